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


try:
    import pycurl
except ImportError:
    out.append("pycurl missing")
else:
    # libcurl's long poll, as Lambda's runtime clients make their
    # .../invocation/next (aws-lambda-cpp: curl_easy_perform): its poll(2)
    # is not restarted by SA_RESTART and returns EINTR at each tick; the
    # transfer must still complete. A local server answers after 100 ms from
    # a thread that never takes SIGURG, so the ticks land in curl's poll.
    import http.server
    import io
    import socketserver

    class Slow(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            time.sleep(0.1)
            self.send_response(200)
            self.send_header("Content-Length", "5")
            self.end_headers()
            self.wfile.write(b"event")

        def log_message(self, *args):
            pass

    srv = socketserver.TCPServer(("127.0.0.1", 0), Slow)

    def serve():
        signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGURG])
        srv.serve_forever()

    st = threading.Thread(target=serve)
    st.start()
    c = pycurl.Curl()  # one handle, its connection kept alive, as a runtime client's
    good = 0
    for _ in range(3):
        body = io.BytesIO()
        c.setopt(pycurl.URL, "http://127.0.0.1:%d/next" % srv.server_address[1])
        c.setopt(pycurl.WRITEDATA, body)
        try:
            c.perform()
            good += c.getinfo(pycurl.RESPONSE_CODE) == 200 and body.getvalue() == b"event"
        except pycurl.error as e:
            print("libcurl", e)
    c.close()
    srv.shutdown()
    st.join()
    srv.server_close()
    check("libcurl", good == 3)


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
