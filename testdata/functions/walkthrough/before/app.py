"""The README's walkthrough function, before: boto3 is imported at global
scope although only the rare "archive" request uses it."""

import json

import boto3


def handler(event, context):
    if event.get("archive"):
        boto3.client("s3").put_object(Bucket=event["bucket"], Key=event["key"], Body=json.dumps(event))
    return {"ok": True}
