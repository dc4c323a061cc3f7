"""A function with known work at its top level, for the sampler's captures
(testdata/sampler/README.md): a 300 ms busy loop, a 150 ms sleep standing
for configuration fetched over the network, and a boto3 client; the handler
busies itself for 50 ms."""
import time

import boto3


def busy_loop(ms):
    end = time.perf_counter() + ms / 1000
    n = 0
    while time.perf_counter() < end:
        n += 1
    return n


def load_config():
    time.sleep(0.150)
    return {"table": "orders"}


busy_loop(300)
CONFIG = load_config()
S3 = boto3.client("s3", region_name="us-east-1")


def handler(event, context):
    busy_loop(50)
    return {"ok": True, "table": CONFIG["table"]}
