"""Where the Python sampler's wake-ups go: per thread CPU and context switches.

Usage (wrapper/hooks/BENCHMARKS.md, "Python sampler: where a wake-up goes"):

    python3 testdata/sampler/python_wakeups.py ROUNDS off=DIR NAME=DIR[@US] ...

Each DIR is a hook folder's python/ (this tree's: wrapper/hooks/python). Every
round starts /usr/bin/python3 -X importtime once per variant, in a new random
order, importing testdata/functions/python/app.py (boto3, numpy, requests):
DIR first on PYTHONPATH, the sampler asked for at US µs (default 5000; "off*"
variants: no sampler variables, sitecustomize still runs), no stop pipe
(the sampler runs on past init: only init is measured here). The process
reports at the end of init and exits: its CPU (all threads), then, from
/proc/self/task/*/schedstat and status, the main thread's and the sampler
thread's CPU and voluntary/involuntary context switches, the samples the
sampler took (found through gc after measuring) and the garbage collector's
runs. NAME-noit runs without -X importtime.

NAME=DIR@US~ (a "~" after the interval, or "@~" for the default): signal
ticks (COLDPROF_SAMPLER_TICK=signal, TICK-CONTRACT): the process gets a stop
pipe (never written: init is measured) and a separate ticker process
(TICKER, a small python3 loop standing in for the proxy) sends it SIGURG
every US µs from its start until it has reported; the ticker's own CPU is
reported apart (tick-cpu), never in the process's. "taken" counts the
samples either way (the handler's, when ticked). An "off*" variant with "~"
is ticked at US µs with no sampler (SIGURG at SIG_DFL: the ticks are
ignored): what the ticker's wake-ups alone cost the process. Stderr goes to a pipe this
script reads, as a log reader would (each import line then wakes it).

Per variant, medians: cpu, main (main thread's CPU over init, after
sitecustomize), sampler (the sampler thread's CPU), vcs/ivcs (context
switches over init), taken (samples), and pair medians against the first
variant (same round): pair-cpu (ms), pair-main, pair-start (CPU before the
runtime's first line: sitecustomize and the sampler's start), and per-sample
cost = (pair-cpu − pair-start) / taken.
"""
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
APP = os.path.join(REPO, "testdata", "functions", "python")

RUNTIME = r"""
import gc, importlib, json, os, sys, time
def tasks():
    out = {}
    for t in os.listdir("/proc/self/task"):
        d = {}
        with open("/proc/self/task/%s/status" % t) as f:
            for ln in f:
                if ln.startswith(("voluntary_ctxt", "nonvoluntary_ctxt")):
                    k, v = ln.split(":")
                    d[k[:3]] = int(v)
        with open("/proc/self/task/%s/schedstat" % t) as f:
            d["run"] = int(f.read().split()[0]) / 1e6
        out[int(t)] = d
    return out
pre = tasks()  # the main thread and, with the sampler, its thread only
sys.path.insert(0, sys.argv[1])
importlib.import_module("app")
cpu = time.process_time() * 1e3
post = tasks()
me = os.getpid()
res = {"cpu": cpu, "main": post[me], "pre": pre[me], "gc": [s["collections"] for s in gc.get_stats()]}
for t in pre:
    if t != me:
        res["sampler"] = post[t]
for o in gc.get_objects():
    if type(o).__name__ == "_Sampler":
        # ticked: the handler's samples wait in ticked_raw until the cut
        res["taken"] = o.taken + len(getattr(o, "ticked_raw", ()))
        res["tick_ns"] = getattr(o, "tick_ns", None)  # a timed variant's handler CPU
sys.stdout.write(json.dumps(res) + "\n")
sys.stdout.flush()
os._exit(0)
"""


# The proxy's ticks, in their own process: SIGURG to argv[1] every argv[2]
# µs, on time (a late tick is skipped, not queued), until SIGTERM; then it
# prints the ticks sent and its CPU since its start-up (ms).
TICKER = r"""
import os, signal, sys, time
pid, every = int(sys.argv[1]), int(sys.argv[2]) / 1e6
n = [0]
cpu0 = time.process_time()
def done(s, f):
    sys.stdout.write("%d %f\n" % (n[0], (time.process_time() - cpu0) * 1e3))
    sys.stdout.flush()
    os._exit(0)
signal.signal(signal.SIGTERM, done)
nxt = time.monotonic() + every
while True:
    d = nxt - time.monotonic()
    if d > 0:
        time.sleep(d)
    os.kill(pid, signal.SIGURG)
    n[0] += 1
    nxt += every
    now = time.monotonic()
    if nxt < now:
        nxt = now + every
"""


def run(hooks, interval, importtime, tick=False, sampled=True):
    env = {k: v for k, v in os.environ.items() if not k.startswith("COLDPROF_")}
    env["PYTHONPATH"] = hooks
    fds = ()
    if interval and sampled:
        env["COLDPROF_SAMPLER_INTERVAL_US"] = interval
    if tick and sampled:
        r, w = os.pipe()  # the stop pipe: signal ticks need one
        env["COLDPROF_SAMPLER_FD"] = str(r)
        env["COLDPROF_SAMPLER_TICK"] = "signal"
        fds = (r,)
    argv = ["/usr/bin/python3"] + (["-X", "importtime"] if importtime else []) + ["-c", RUNTIME, APP]
    # The sampler samples only in the process COLDPROF_SAMPLER_PID names.
    shell = 'if [ -n "$COLDPROF_SAMPLER_INTERVAL_US" ]; then export COLDPROF_SAMPLER_PID=$$; fi; exec "$@"'
    p = subprocess.Popen(["/bin/sh", "-c", shell, "sh"] + argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=fds)
    ticker = None
    if fds:
        os.close(r)
    if tick:
        ticker = subprocess.Popen(["/usr/bin/python3", "-S", "-c", TICKER, str(p.pid), interval], stdout=subprocess.PIPE)
    drain = threading.Thread(target=p.stderr.read)
    drain.start()
    out = p.stdout.readline()
    res = json.loads(out)
    if ticker is not None:
        # The runtime has exited but is not reaped yet: its pid is still its own.
        ticker.send_signal(signal.SIGTERM)
        n, cpu = ticker.stdout.readline().split()
        ticker.wait()
        ticker.stdout.close()
        res["ticks"], res["ticker"] = int(n), float(cpu)
    if fds:
        os.close(w)
    p.wait()
    drain.join()
    p.stdout.close()
    p.stderr.close()
    return res


def main():
    rounds = int(sys.argv[1])
    variants = []
    for spec in sys.argv[2:]:
        name, _, d = spec.partition("=")
        d, _, us = d.partition("@")
        tick = us.endswith("~")
        us = us.rstrip("~")
        variants.append((name, d, us or "5000", tick))
    res = {name: [] for name, _, _, _ in variants}
    for _ in range(rounds):
        order = list(variants)
        random.shuffle(order)
        for name, d, us, tick in order:
            res[name].append(run(d, us, not name.endswith("-noit"), tick, not name.startswith("off")))
    med = statistics.median
    base = res[variants[0][0]]
    print("load average %s, %d rounds" % (" ".join(open("/proc/loadavg").read().split()[:3]), rounds))
    print("%-10s %7s %7s %7s %5s %5s %5s %5s %6s %9s %9s %10s %12s %s" % (
        "variant", "cpu", "main", "sampler", "m.vcs", "m.ivc", "s.vcs", "s.ivc", "taken",
        "pair-cpu", "pair-main", "pair-start", "µs/sample", "gc runs"), "ticks sent, ticker CPU (ms, start-up excluded)")
    for name, _, _, _ in variants:
        xs = res[name]
        s = [x["sampler"] for x in xs if "sampler" in x]
        pair_cpu = med(x["cpu"] - b["cpu"] for x, b in zip(xs, base))
        pair_start = med(x["pre"]["run"] - b["pre"]["run"] for x, b in zip(xs, base))
        taken = med(x.get("taken", 0) for x in xs)
        print("%-10s %7.1f %7.1f %7.2f %5d %5d %5s %5s %6.1f %+9.1f %+9.1f %+10.1f %12s %s" % (
            name, med(x["cpu"] for x in xs), med(x["main"]["run"] - x["pre"]["run"] for x in xs),
            med(t["run"] for t in s) if s else 0.0,
            med(x["main"]["vol"] - x["pre"]["vol"] for x in xs), med(x["main"]["non"] - x["pre"]["non"] for x in xs),
            "%d" % med(t["vol"] for t in s) if s else "-", "%d" % med(t["non"] for t in s) if s else "-",
            taken, pair_cpu,
            med((x["main"]["run"] - x["pre"]["run"]) - (b["main"]["run"] - b["pre"]["run"]) for x, b in zip(xs, base)),
            pair_start, "%.0f" % ((pair_cpu - pair_start) * 1000 / taken) if taken else "-",
            [med(x["gc"][i] for x in xs) for i in range(3)]),
            "%d %.2f" % (med(x["ticks"] for x in xs), med(x["ticker"] for x in xs)) if "ticker" in xs[0] else "-")
        if xs[0].get("tick_ns") is not None:
            print("%-10s handler body: %.1f µs/sample (thread_time_ns inside the handler)" % (
                name, med(x["tick_ns"] / 1e3 / x["taken"] for x in xs if x["taken"])))


if __name__ == "__main__":
    main()
