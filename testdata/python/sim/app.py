"""Handler module for the simulated runtime: some imports in the global
scope (init), some inside the handler (invoke), a dynamic import and a
failing one."""
import csv  # noqa: F401
import email.mime.text  # noqa: F401

try:
    import nonexistent_coldprof_module  # noqa: F401  (a failed import is still listed)
except ImportError:
    pass

print("app: global scope done", flush=True)


def handler(event, context):
    if event["n"] == 0:
        import xml.dom.minidom  # noqa: F401
        importlib = __import__("importlib")
        importlib.import_module("html.parser")
    else:
        import difflib  # noqa: F401
    return {"ok": event["n"]}
