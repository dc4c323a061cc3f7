"""Breaks what the sampler relies on (sys._current_frames), then works on:
the sampler must stop with one error line and the function run unchanged."""
import sys
import time

sys._current_frames = lambda: 1 / 0
time.sleep(0.05)
print("still running")
