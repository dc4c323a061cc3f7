"""The sampler's descriptors while ticked (sampler_tick_test.go): its
handler's probe pipe is open during init and closed once the cut is read,
so the function keeps no descriptor of the sampler's past init."""
import os
import time

import tick_probe

TRUTH = {}
s = tick_probe.sampler()
state = type(s).tick.__globals__["_state"]
probe = state.get("probe")
TRUTH["_probe_in_init"] = float(probe is not None)


def _open(fd):
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


def handler():
    give_up = time.monotonic() + 20  # hang guard only
    while s.cut is None and time.monotonic() < give_up:
        time.sleep(0.001)
    with s.lock:  # the thread's step at the cut is over
        pass
    TRUTH["_cut_seen"] = float(s.cut is not None)
    TRUTH["_probe_after_cut"] = float("probe" in state or (probe is not None and any(_open(fd) for fd in probe)))
