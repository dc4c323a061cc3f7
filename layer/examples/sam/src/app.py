import json

# Imported in the global scope: shows up in coldprof's "init" phase.
import urllib.request  # noqa: F401


def lambda_handler(event, context):
    # Imported on the first invocation: shows up in the "invoke" phase.
    import decimal

    return {"statusCode": 200, "body": json.dumps({"answer": str(decimal.Decimal(42))})}
