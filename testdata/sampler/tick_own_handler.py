"""Installs its own SIGURG handler at module level (sampler_tick_test.go):
it must get the ticks from then on; the sampler goes on from its thread."""
import signal
import sys
import time

import tick_probe

TRUTH = {}
count = [0]


def mine(signum, frame):
    count[0] += 1


def spin_after(seconds):
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


s = tick_probe.sampler()
TRUTH["_prev_ours"] = float(signal.getsignal(signal.SIGURG) is getattr(s, "handler", 0))
signal.signal(signal.SIGURG, mine)
sys.stdout.write("tick-mark\n")
sys.stdout.flush()
start = time.perf_counter()
spin_after(0.6)
TRUTH["spin_after"] = time.perf_counter() - start
TRUTH["_mine"] = float(count[0])
