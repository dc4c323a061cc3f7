"""Execs itself during init (sampler_tick_test.go): the new image must live
through the ticks that follow."""
import os
import signal
import sys
import time

if os.environ.get("TICK_EXECD") != "1":
    time.sleep(0.05)  # ticked before the exec too
    os.environ["TICK_EXECD"] = "1"
    os.execv(sys.executable, [sys.executable, "runtime.py", "tick_exec"])

print("exec'd: SIGURG SIG_DFL %s, coldprof env %s" % (
    signal.getsignal(signal.SIGURG) == signal.SIG_DFL, sorted(k for k in os.environ if k.startswith("COLDPROF_SAMPLER"))))
sys.stdout.write("tick-mark\n")
sys.stdout.flush()
end = time.monotonic() + 0.15
while time.monotonic() < end:
    time.sleep(0.01)
    sum(range(10000))
