"""Forks during init (sampler_tick_test.go): the child, ticked too, must not
sample and must have SIGURG at SIG_DFL."""
import os
import signal
import sys
import time

import tick_probe

s = tick_probe.sampler()
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(r)
    before = s.ticks
    dfl = signal.getsignal(signal.SIGURG) == signal.SIG_DFL
    sys.stdout.write("tick %d\ntick-mark\n" % os.getpid())
    sys.stdout.flush()
    end = time.monotonic() + 0.15
    while time.monotonic() < end:
        sum(range(10000))
    os.write(w, ("%s %d" % (dfl, s.ticks - before)).encode())
    os._exit(0)
os.close(w)
_, status = os.waitpid(pid, 0)
dfl, taken = os.read(r, 100).decode().split()
print("child: SIGURG SIG_DFL %s, samples taken %s, exit %d" % (dfl, taken, os.WEXITSTATUS(status)))
sys.stdout.flush()
