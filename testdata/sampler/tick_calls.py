"""Blocking calls while SIGURG ticks come (sampler_tick_test.go): each
blocks for several ticks and must return what it returns without them."""
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time

import tick_probe

out = []


def later(fn, delay=0.06):
    """Runs fn after delay in a thread that never takes SIGURG, so that the
    ticks land in the main thread's blocking call."""

    def run():
        signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGURG])
        time.sleep(delay)
        fn()

    t = threading.Thread(target=run)
    t.start()
    return t


def check(name, ok):
    out.append("%s %s" % (name, "ok" if ok else "FAILED"))


t0 = time.monotonic()
time.sleep(0.05)
check("sleep", time.monotonic() - t0 >= 0.05)

r, w = os.pipe()
t0 = time.monotonic()
check("select", select.select([r], [], [], 0.05) == ([], [], []) and time.monotonic() - t0 >= 0.05)

a, b = socket.socketpair()
th = later(lambda: b.send(b"hello"))
check("recv", a.recv(10) == b"hello")
th.join()
a.close()
b.close()

th = later(lambda: os.write(w, b"data"))
check("os.read", os.read(r, 10) == b"data")
th.join()

t0 = time.monotonic()
check("event.wait", threading.Event().wait(0.05) is False and time.monotonic() - t0 >= 0.05)

p = subprocess.run([sys.executable, "-c", "import time; time.sleep(0.05); print('child')"], stdout=subprocess.PIPE)
check("subprocess", p.returncode == 0 and p.stdout == b"child\n")

try:
    import ctypes
except ImportError:
    out.append("ctypes missing")
else:
    # read(2) straight from C: without SA_RESTART a tick makes it fail with EINTR.
    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(10)
    th = later(lambda: os.write(w, b"c"))
    n = libc.read(r, buf, 10)
    check("ctypes read", n == 1 and buf.raw[:1] == b"c" or print("ctypes read", n, ctypes.get_errno()))
    th.join()


# The function's own alarm still works while ticked.
class Alarm(Exception):
    pass


def on_alarm(signum, frame):
    raise Alarm()


signal.signal(signal.SIGALRM, on_alarm)
signal.alarm(1)
try:
    end = time.monotonic() + 5
    while time.monotonic() < end:
        time.sleep(0.01)
    check("alarm", False)
except Alarm:
    check("alarm", True)
signal.signal(signal.SIGALRM, signal.SIG_DFL)

for line in out:
    print(line)
sys.stdout.flush()
TRUTH = tick_probe.figures()
