"""A function's own signal handler that raises, run by CPython inside the
SIGURG handler (sampler_tick_test.go): its exception must reach the
function as it would without the sampler. SIGALRM comes every 37 µs until
it has been seen inside the sampler's handler once (or 5 s passed)."""
import os
import signal
import time

HERE = os.path.basename(__file__)


class Nested(Exception):
    pass


nested = []
busy = []


def on_alarm(signum, frame):
    if nested or busy:
        # Raised once already; or this handler is itself interrupted (every
        # 37 µs it can be, on a slow machine, by the next alarm): without
        # the guard it nests in itself until RecursionError.
        return
    busy.append(True)
    try:
        f = frame
        while f is not None:  # the frame CPython interrupted, and its callers
            if os.path.basename(f.f_code.co_filename) == "coldprof_sampler.py":
                nested.append(f.f_code.co_name)
                signal.setitimer(signal.ITIMER_REAL, 0)
                raise Nested()
            f = f.f_back
    finally:
        busy.pop()


signal.signal(signal.SIGALRM, on_alarm)
caught = False
end = time.monotonic() + 5
try:
    signal.setitimer(signal.ITIMER_REAL, 0.000037, 0.000037)
    while not nested and time.monotonic() < end:
        sum(range(100))
except Nested:
    caught = True
signal.setitimer(signal.ITIMER_REAL, 0)
signal.signal(signal.SIGALRM, signal.SIG_DFL)
print("nested in the sampler: %s, caught by the function: %s" % (bool(nested), caught))
