"""function/app.py (a 300 ms busy loop, a 150 ms sleep and a boto3 client at
top level) as runtime.py's handler module, for sampler_tick_test.go: its
known work as TRUTH (busy_loop spins exactly 300 ms; load_config sleeps at
least 150 ms, measured here around the import)."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "function"))
start = time.perf_counter()
import app  # noqa: E402

TRUTH = {"busy_loop": 0.3, "load_config": 0.15, "_import": time.perf_counter() - start}


def handler():
    app.handler({}, None)
