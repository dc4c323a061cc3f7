"""Breaks the clock the SIGURG handler reads (time.monotonic_ns) for a while
during init (sampler_tick_test.go): sampling must end with one error line,
the function run on unchanged."""
import time

real = time.monotonic_ns
time.monotonic_ns = lambda: 1 // 0
time.sleep(0.3)
time.monotonic_ns = real
print("still running")
