import builtins
import os
import signal
import subprocess
import sys
import threading
import time

import usermod

out = []
out.append(("sitecustomize", os.path.basename(os.path.dirname(sys.modules["sitecustomize"].__file__))))
out.append(("user site runs", getattr(builtins, "USER_SITE_RUNS", 0)))
out.append(("usermod", usermod.VALUE))
out.append(("sys.path", [p for p in sys.path if "hooks dir" in p or p.endswith("/user")]))
out.append(("PYTHONPATH", os.environ.get("PYTHONPATH")))
out.append(("coldprof env", sorted(k for k in os.environ if k.startswith("COLDPROF_SAMPLER"))))
out.append(("coldprof modules", sorted(m for m in sys.modules if "coldprof" in m)))

# Threads: they wait until they have been counted, so that the count does
# not depend on how fast they run (with or without the sampler).
results = []
counted = threading.Event()


def work(i):
    counted.wait()
    results.append(sum(range(10000 * i)))


threads = [threading.Thread(target=work, args=(i,), name="worker-%d" % i) for i in range(3)]
for t in threads:
    t.start()
out.append(("threads while running", threading.active_count(), sorted(t.name for t in threading.enumerate())))
counted.set()
for t in threads:
    t.join()
out.append(("thread results", sorted(results)))


# Signals: an alarm must interrupt the main thread's sleep at once.
class Alarm(Exception):
    pass


def on_alarm(signum, frame):
    raise Alarm()


signal.signal(signal.SIGALRM, on_alarm)
start = time.monotonic()
signal.setitimer(signal.ITIMER_REAL, 0.05)
try:
    time.sleep(5)
    out.append(("alarm", "not delivered"))
except Alarm:
    out.append(("alarm", "interrupted the sleep" if time.monotonic() - start < 2 else "late"))
got = []
signal.signal(signal.SIGUSR1, lambda s, f: got.append(s))
os.kill(os.getpid(), signal.SIGUSR1)
time.sleep(0.01)
out.append(("SIGUSR1", got == [signal.SIGUSR1]))
signal.signal(signal.SIGTERM, lambda s, f: got.append(s))
os.kill(os.getpid(), signal.SIGTERM)
time.sleep(0.01)
out.append(("SIGTERM", got[-1] == signal.SIGTERM))

# Fork: the child exits normally (atexit handlers run) and must stay silent.
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(r)
    os.write(w, b"child ran")
    sys.exit(0)
os.close(w)
_, status = os.waitpid(pid, 0)
out.append(("fork", os.read(r, 100).decode(), os.WEXITSTATUS(status)))

# A Python child process: no sampler, the user's sitecustomize, no coldprof variables.
child = subprocess.run(
    [sys.executable, "-c", "import os, sys, builtins; print(sorted(k for k in os.environ if k.startswith('COLDPROF_SAMPLER')), getattr(builtins, 'USER_SITE_RUNS', 0))"],
    stdout=subprocess.PIPE, universal_newlines=True)
out.append(("child", child.stdout.strip(), child.returncode))

for item in out:
    print(item)

# A child process must not inherit the stop pipe (the test names its inode).
pipe = "pipe:[%s]" % os.environ.get("TEST_STOP_PIPE")
child = subprocess.run(
    [sys.executable, "-c", "import os, sys; print(any(os.readlink('/proc/self/fd/' + f) == sys.argv[1] for f in os.listdir('/proc/self/fd') if os.path.exists('/proc/self/fd/' + f)))", pipe],
    stdout=subprocess.PIPE, universal_newlines=True)
print(("child has the stop pipe", child.stdout.strip()))
