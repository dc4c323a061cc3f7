"""Handler module with the heavy imports of a typical data function."""
import boto3
import numpy  # noqa: F401
import requests  # noqa: F401

print("app_heavy: global scope done", flush=True)


def handler(event, context):
    if event["n"] == 0:
        import pandas  # noqa: F401  (handler-time: the invoke phase)
    return {"ok": event["n"], "boto3": boto3.__version__}
