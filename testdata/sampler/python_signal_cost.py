"""What one signal costs the main thread it interrupts, by what that thread
is doing (wrapper/hooks/BENCHMARKS.md, "Python sampler: what a tick costs,
and why the interval is the lever").
    python3 python_signal_cost.py ROUNDS INTERVAL_US
An interval timer in this process (setitimer, SIGALRM: no other process
wakes) interrupts two fixed workloads: "compile" (compile() and marshal of
os.py's source, C code with a large working set, as an import's unmarshal
and module set-up are) and "loop" (a pure-Python loop). Variants: none (no
timer), "empty" (counts), "stack" (the sampler's tick: a tuple of the
frames' code objects, appended with the time), and "ignored" (the timer
runs but SIGALRM is ignored: the kernel drops the signal, so only the timer
interrupt is left; its count is estimated as CPU / interval). Variants
rotate each round;
CPU is the main thread's (time.thread_time). Prints medians and the cost
per handler call: (variant - none) / calls."""
import marshal
import os
import signal
import statistics
import sys
import time

rounds, interval = int(sys.argv[1]), int(sys.argv[2])
src = open(os.__file__).read()
calls = []


def stack(signum, frame):
    codes = []
    f = frame
    while f is not None:
        codes.append(f.f_code)
        f = f.f_back
    calls.append((time.monotonic_ns(), tuple(codes)))


def empty(signum, frame):
    calls.append(None)


def compile_work():
    for _ in range(80):
        marshal.loads(marshal.dumps(compile(src, "os.py", "exec")))


def loop_work():
    x = 0
    for i in range(6000000):
        x += i * 2


def deep(n, work):  # a stack as deep as an import's
    return deep(n - 1, work) if n else work()


def one(variant, work):
    calls.clear()
    if variant != "none":
        signal.signal(signal.SIGALRM, {"stack": stack, "empty": empty, "ignored": signal.SIG_IGN}[variant])
        signal.siginterrupt(signal.SIGALRM, False)
        signal.setitimer(signal.ITIMER_REAL, interval / 1e6, interval / 1e6)
    t0 = time.thread_time()
    deep(40, work)
    cpu = time.thread_time() - t0
    signal.setitimer(signal.ITIMER_REAL, 0)
    if variant == "ignored":
        return cpu * 1e3, int(cpu * 1e6 / interval)
    return cpu * 1e3, len(calls)


variants = ["none", "ignored", "empty", "stack"]
for name, work in (("compile", compile_work), ("loop", loop_work)):
    res = {v: [] for v in variants}
    deep(40, work)  # warm
    for i in range(rounds):
        for v in variants[i % 4:] + variants[:i % 4]:
            res[v].append(one(v, work))
    base = statistics.median(r[0] for r in res["none"])
    for v in variants:
        cpu = statistics.median(r[0] for r in res[v])
        n = statistics.median(r[1] for r in res[v])
        per = "per call %+.0f us" % ((cpu - base) * 1e3 / n) if n else ""
        print("%-8s %-7s CPU %.1f ms, handler calls %d  %s" % (name, v, cpu, n, per))
