"""An example Lambda function for coldprof run.

Its global scope imports real, heavy modules (boto3, numpy, requests when
they are installed, as with Debian's python3-boto3/-numpy/-requests; stdlib
modules otherwise), so they load during init. The handler imports one
module lazily on every call (handler-time: the invoke phase) and another
only on its second call.
"""

# Stdlib modules: Lambda's runtime client has already loaded json, decimal
# and http.client (so they cost the function nothing and show no line);
# email.mime and xml.etree load here.
import decimal  # noqa: F401
import email.mime.text  # noqa: F401
import http.client  # noqa: F401
import json  # noqa: F401
import xml.etree.ElementTree  # noqa: F401

try:
    import boto3  # noqa: F401
except ImportError:
    boto3 = None
try:
    import numpy  # noqa: F401
except ImportError:
    numpy = None
try:
    import requests  # noqa: F401
except ImportError:
    requests = None

calls = 0


def lambda_handler(event, context):
    global calls
    calls += 1
    import smtplib  # lazy: loaded by the first invocation, cached after

    median = None
    if calls == 2:
        import statistics  # loaded only by the second invocation

        median = statistics.median([3, 1, 2])
    return {
        "call": calls,
        "requestId": context.aws_request_id,
        "smtpPort": smtplib.SMTP_PORT,
        "median": median,
        "heavy": [name for name, mod in (("boto3", boto3), ("numpy", numpy), ("requests", requests)) if mod],
    }
