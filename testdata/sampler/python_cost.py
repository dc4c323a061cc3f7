"""What the Python sampler costs one cold start, hooks folders side by side.

Usage (wrapper/hooks/BENCHMARKS.md, "Python sampler's cost"):

    python3 testdata/sampler/python_cost.py ROUNDS off=DIR NAME=DIR [NAME@US=DIR ...]

Each DIR is a hook folder's python/ (this tree's: wrapper/hooks/python; an
older one: `git archive main wrapper/hooks | tar -x -C /tmp/base`). Every
round starts /usr/bin/python3 -X importtime on testdata/functions/python/app.py
(through the runtime stand-in below) once per variant, in a new random order,
as coldprof-wrapper would: DIR first on PYTHONPATH, COLDPROF_SAMPLER_* set
("off": DIR on PYTHONPATH, no sampler variables; NAME@US: interval US µs,
else 5000), with this script playing the proxy on the stop pipe (init_done
when the runtime asks for its first event, invoke_end after its response).
The process is killed once the sampler's end line is written, as Lambda or
coldprof run would, so interpreter shutdown is not counted. NAME-noit runs
without -X importtime.

Per variant, medians: cpu (the process's whole life, getrusage of the
child), initcpu (process CPU when the runtime asks for its first event),
main (the main thread's CPU by then), inv (ms from handing over the event to
the response), lines and bytes the sampler wrote; pair-% are medians of the
per-round ratios against "off", which cancel the machine's drift.
"""
import json
import os
import random
import statistics
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
APP = os.path.join(REPO, "testdata", "functions", "python")

# The runtime: imports the handler module (init), asks for an event, runs
# the handler, posts a response, then reports its CPU and waits to be killed.
RUNTIME = """
import importlib, json, sys, time
sys.path.insert(0, ".")
mod = importlib.import_module(sys.argv[1])
init_cpu, main_cpu = time.process_time(), time.thread_time()
sys.stdout.write("next\\n"); sys.stdout.flush()
sys.stdin.readline()
getattr(mod, "handler", lambda: None)()
sys.stdout.write("response\\n"); sys.stdout.flush()
sys.stdin.readline()
sys.stdout.write(json.dumps({"initCpu": init_cpu, "mainCpu": main_cpu}) + "\\n"); sys.stdout.flush()
sys.stdin.readline()
"""


def now_us():
    return time.time_ns() // 1000


def run(hooks, sampler, importtime, interval):
    stop_r, stop_w = os.pipe()
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    err = open("/tmp/python_cost.%d.err" % os.getpid(), "w+b")
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.chdir(APP)
        os.dup2(in_r, 0)
        os.dup2(out_w, 1)
        os.dup2(err.fileno(), 2)
        env = {k: v for k, v in os.environ.items() if not k.startswith("COLDPROF_")}
        env["PYTHONPATH"] = hooks
        if sampler:
            env["COLDPROF_SAMPLER_INTERVAL_US"] = interval
            env["COLDPROF_SAMPLER_PID"] = str(os.getpid())
            env["COLDPROF_SAMPLER_FD"] = str(stop_r)
            os.set_inheritable(stop_r, True)
        argv = ["/usr/bin/python3"] + (["-X", "importtime"] if importtime else []) + ["-c", RUNTIME, "app"]
        os.execve(argv[0], argv, env)
    os.close(stop_r)
    os.close(in_r)
    os.close(out_w)
    out = os.fdopen(out_r, "rb")
    assert out.readline() == b"next\n"
    init_wall = time.perf_counter() - t0
    try:
        os.write(stop_w, b"init_done %d\n" % now_us())
    except BrokenPipeError:
        pass  # "off": no reader
    t1 = time.perf_counter()
    os.write(in_w, b"\n")
    assert out.readline() == b"response\n"
    inv = time.perf_counter() - t1
    try:
        os.write(stop_w, b"invoke_end %d\n" % now_us())
    except BrokenPipeError:
        pass
    os.close(stop_w)
    os.write(in_w, b"\n")
    truth = json.loads(out.readline())
    if sampler:
        for _ in range(400):  # until the end line is out (a hang guard)
            err.seek(0)
            if b'"ev":"end"' in err.read():
                break
            time.sleep(0.005)
    os.kill(pid, 9)
    _, _, ru = os.wait4(pid, 0)
    os.close(in_w)
    out.close()
    err.seek(0)
    lines = [ln for ln in err.read().split(b"\n") if b"coldprof-sampler: " in ln]
    err.close()
    os.unlink(err.name)
    if sampler and not any(b'"ev":"end"' in ln for ln in lines):
        sys.exit("no sampler end line: %r" % lines[-3:])
    return {
        "cpu": (ru.ru_utime + ru.ru_stime) * 1e3, "initcpu": truth["initCpu"] * 1e3,
        "main": truth["mainCpu"] * 1e3, "wall": init_wall * 1e3, "inv": inv * 1e3,
        "lines": len(lines), "bytes": sum(len(ln) + 1 for ln in lines),
    }


def main():
    rounds = int(sys.argv[1])
    variants = [spec.partition("=")[::2] for spec in sys.argv[2:]]
    if "off" not in dict(variants):
        sys.exit("need an off=DIR variant")
    res = {name: [] for name, _ in variants}
    for _ in range(rounds):
        order = list(variants)
        random.shuffle(order)
        for name, hooks in order:
            interval = name.split("@")[1].split("-")[0] if "@" in name else "5000"
            res[name].append(run(hooks, name != "off" and not name.startswith("off-"), not name.endswith("-noit"), interval))
    med = statistics.median
    base = res["off"]
    print("load average %s, %d rounds" % (" ".join(open("/proc/loadavg").read().split()[:3]), rounds))
    print("%-14s %8s %8s %8s %8s %8s %8s %9s %9s %6s %7s" % (
        "variant", "cpu", "initcpu", "main", "wall", "inv", "cpu-off", "pair-cpu%", "pair-ini%", "lines", "bytes"))
    for name, _ in variants:
        xs = res[name]
        print("%-14s %8.1f %8.1f %8.1f %8.1f %8.2f %8.2f %9.2f %9.2f %6d %7d" % (
            name, med(x["cpu"] for x in xs), med(x["initcpu"] for x in xs), med(x["main"] for x in xs),
            med(x["wall"] for x in xs), med(x["inv"] for x in xs),
            med(x["cpu"] - b["cpu"] for x, b in zip(xs, base)),
            med(100 * (x["cpu"] / b["cpu"] - 1) for x, b in zip(xs, base)),
            med(100 * (x["initcpu"] / b["initcpu"] - 1) for x, b in zip(xs, base)),
            med(x["lines"] for x in xs), med(x["bytes"] for x in xs)))


if __name__ == "__main__":
    main()
