"""A simulated Lambda runtime client for generating test logs (not a runtime).

It does what matters for import profiles in the order Lambda's awslambdaric
does: imports the runtime's own modules, loads the handler module with
importlib.import_module (so the handler module gets no "import time:" line),
then runs invocations. Around them it prints coldprof markers in the exact
grammar of wrapper/marker (keys in Append's order) where the wrapper's
runtime-API proxy would: init_done when the runtime first asks for an event,
invoke_start/invoke_end around each invocation. With SIM_PLATFORM=lambda or
=rie it also prints the platform lines Lambda or the runtime interface
emulator would add (reference/lambda-runtime.md 4.1 and 7), in their order.

Environment: SIM_HANDLER (module.function, default app.handler),
SIM_INVOKES (default 2), SIM_MARKERS (1 = print markers, default 1),
SIM_PLATFORM (none, lambda, rie).
"""
import decimal  # noqa: F401  (awslambdaric's marshaller imports it)
import http.client  # noqa: F401
import importlib
import json
import logging  # noqa: F401
import os
import sys
import time

REQUEST_IDS = [
    "8f5e2a4c-1b6d-4e7f-9a0b-3c2d1e0f9a8b",
    "0d3c5b7a-9e1f-4a2b-8c6d-5e4f3a2b1c0d",
    "6a7b8c9d-0e1f-4a3b-9c5d-7e8f9a0b1c2d",
]


def now_us():
    return int(time.time() * 1000000)


def marker(ev, **fields):
    # Same key order and JSON spelling as marker.Append.
    parts = ['"v":1', '"ev":' + json.dumps(ev), '"t":%d' % now_us()]
    for key in ("runtime", "handler", "wrapper", "injected", "requestId", "status", "msg"):
        if fields.get(key):
            parts.append(json.dumps(key) + ":" + json.dumps(fields[key]))
    sys.stderr.write("coldprof: {" + ",".join(parts) + "}\n")
    sys.stderr.flush()


def platform(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main():
    handler_name = os.environ.get("SIM_HANDLER", "app.handler")
    invokes = int(os.environ.get("SIM_INVOKES", "2"))
    markers = os.environ.get("SIM_MARKERS", "1") == "1"
    plat = os.environ.get("SIM_PLATFORM", "none")
    init_start = float(os.environ.get("SIM_T0", time.time()))

    modname, fname = handler_name.rsplit(".", 1)
    module = importlib.import_module(modname)
    handler = getattr(module, fname)
    init_ms = (time.time() - init_start) * 1000
    if plat == "rie":
        init_ms = 0.41  # the emulator reports a fraction of a millisecond (reference 7)
    if markers:
        marker("init_done")
    for i in range(invokes):
        rid = REQUEST_IDS[i % len(REQUEST_IDS)]
        if plat == "lambda" or (plat == "rie" and i > 0):
            # The emulator printed the first START itself, before init.
            platform("START RequestId: %s Version: $LATEST" % rid)
        if markers:
            marker("invoke_start", requestId=rid)
        t = time.time()
        result = handler({"n": i}, None)
        ms = (time.time() - t) * 1000
        print("result %s" % json.dumps(result), flush=True)
        if markers:
            marker("invoke_end", requestId=rid, status="response")
        if plat in ("lambda", "rie"):
            platform("END RequestId: %s" % rid)
        if plat == "lambda":
            init = "\tInit Duration: %.2f ms" % init_ms if i == 0 else ""
            platform("REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB%s\t" % (rid, ms, int(ms) + 1, init))
        elif plat == "rie":
            init = "Init Duration: %.2f ms\t" % init_ms if i == 0 else ""
            platform("REPORT RequestId: %s\t%sDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: 3008 MB\tMax Memory Used: 3008 MB\t" % (rid, init, ms, int(ms) + 1))
