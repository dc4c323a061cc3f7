"""Breaks the SIGURG handler's list of samples from outside during init
(sampler_tick_test.go): the SIGURG handler's next sample fails, sampling
must end with one error line, the function run on unchanged. It also
replaces time.monotonic_ns, which the handler must not depend on."""
import signal
import time

s = signal.getsignal(signal.SIGURG).__self__
real = time.monotonic_ns
time.monotonic_ns = lambda: 1 // 0
time.sleep(0.05)
time.monotonic_ns = real
print("ticks while the clock was broken: %s" % (s.ticks > 0))
s.ticked_raw = None
time.sleep(0.3)
print("still running")
