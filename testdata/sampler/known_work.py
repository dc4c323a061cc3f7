"""Init with known work: a busy loop and a sleep in named functions; the
handler spins too (it must land after the cut)."""
import time

TRUTH = {}


def timed(name, fn, *args):
    start = time.perf_counter()
    fn(*args)
    TRUTH[name] = TRUTH.get(name, 0) + time.perf_counter() - start


def busy_loop(seconds):
    end = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < end:
        n += 1
    return n


def nap(seconds):
    time.sleep(seconds)


timed("busy_loop", busy_loop, 0.3)
timed("nap", nap, 0.2)


def handler_work(seconds):
    busy_loop(seconds)


def handler():
    timed("handler_work", handler_work, 0.1)
