"""app_heavy with its fix: boto3 and numpy imported in the handler, so
they leave init and show up in the first invocation (with pandas, which
app_heavy also imports there)."""
import requests  # noqa: F401

print("app_lazy: global scope done", flush=True)


def handler(event, context):
    import boto3
    import numpy  # noqa: F401
    if event["n"] == 0:
        import pandas  # noqa: F401
    return {"ok": event["n"], "boto3": boto3.__version__}
