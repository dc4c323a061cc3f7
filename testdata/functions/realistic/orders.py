"""A realistic Python function for issue 12's end-to-end test
(cmd/coldprof/realistic_e2e_test.go, testdata/functions/README.md).

At global scope: boto3, numpy and requests imported, a boto3 client and a
boto3 resource created, and about 150 ms of configuration loading (a JSON
file read, its routes compiled as regular expressions, and a 100 ms wait
standing for a parameter-store call: this machine has no network). The
handler imports pandas lazily on its first call.

Each step's wall time is measured here with time.perf_counter and printed as
a "coldprof-truth: NAME MS MODULES" line, MODULES being the modules first
imported during the step (comma-separated): the independent truth the test
compares the report's sampled attribution with (the report counts the time
of those imports under imports, exactly, not under the step).
"""
import json
import os
import re
import sys
import time

import boto3
import numpy
import requests

REGION = os.environ.get("AWS_REGION", "us-east-1")


def truth(name, start, modules_before):
    ms = (time.perf_counter() - start) * 1000
    new = ",".join(sorted(set(sys.modules) - modules_before))
    print(f"coldprof-truth: {name} {ms:.3f} {new}", flush=True)


def fetch_parameters(names):
    """Stands for an SSM GetParameters call: 100 ms of waiting on I/O."""
    time.sleep(0.100)
    return {name: f"value-of-{name}" for name in names}


def load_config():
    with open(os.path.join(os.path.dirname(__file__), "orders-config.json")) as f:
        config = json.load(f)
    routes = []
    for route in config["routes"]:
        routes.append((re.compile(route["pattern"], re.IGNORECASE | re.VERBOSE), route["name"]))
    # Regular expressions compiled the way a router builds its table: each
    # route's pattern expanded per tenant (some 50 ms of CPU).
    for tenant in range(config["tenants"]):
        for route in config["routes"]:
            routes.append((re.compile(f"(?P<tenant>t{tenant:04d})/" + route["pattern"]), route["name"]))
    config["routes"] = routes
    config["parameters"] = fetch_parameters(config["parameters"])
    return config


def create_clients():
    s3 = boto3.client("s3", region_name=REGION)
    table = boto3.resource("dynamodb", region_name=REGION).Table("orders")
    return s3, table


_modules, _start = set(sys.modules), time.perf_counter()
CONFIG = load_config()
truth("load_config", _start, _modules)

_modules, _start = set(sys.modules), time.perf_counter()
S3, TABLE = create_clients()
truth("create_clients", _start, _modules)

SESSION = requests.Session()
WEIGHTS = numpy.linspace(0.0, 1.0, 16)


def handler(event, context):
    import pandas  # lazy: only requests pay for it, the first one most

    frame = pandas.DataFrame({"weight": WEIGHTS})
    return {
        "requestId": context.aws_request_id,
        "routes": len(CONFIG["routes"]),
        "bucket": S3.meta.service_model.service_name,
        "table": TABLE.name,
        "meanWeight": float(frame["weight"].mean()),
    }
