import xml.etree.ElementTree  # noqa: F401


def handler(event, context):
    import csv  # noqa: F401  (handler-time, before the raise)
    raise ValueError("raises.py always raises")
