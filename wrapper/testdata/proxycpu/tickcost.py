#!/usr/bin/env python3
"""The proxy's CPU per signal tick, for wrapper/BENCHMARKS.md's "The proxy's
cost of signal ticks".
    tickcost.py PROXY_BIN ROUNDS [SECONDS] [INTERVAL_US] [FLOOR_BIN]
Each round runs, in rotating order: the proxy idle for SECONDS (default 2)
with signal ticks to this process every INTERVAL_US (default 1000), the
same without ticks, and, if given, FLOOR_BIN (a C loop of clock_nanosleep
and pidfd_send_signal, printing its CPU per tick). The proxy is this
process's child, as it is the runtime's; its CPU is wait4's rusage of it
alone; the ticks are counted here (a SIGURG handler). Prints the medians
and the per-tick cost: (ticking - idle) / ticks."""
import fcntl, os, signal, socket, statistics, subprocess, sys, time

proxy, rounds = sys.argv[1], int(sys.argv[2])
seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 2.0
interval = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
floor = sys.argv[5] if len(sys.argv) > 5 else None
ticks = [0]
signal.signal(signal.SIGURG, lambda s, f: ticks.__setitem__(0, ticks[0] + 1))
signal.siginterrupt(signal.SIGURG, False)

def run_proxy(tick):
    ln = socket.socket()
    ln.bind(("127.0.0.1", 0))
    ln.listen()
    r, w = os.pipe()
    env = {"COLDPROF_PROXY_UPSTREAM": "127.0.0.1:9", "COLDPROF_PROXY_EXIT": "pipe", "GOMAXPROCS": "1"}
    if tick:
        env.update(COLDPROF_PROXY_TICK_US=str(interval), COLDPROF_PROXY_TICK_PID=str(os.getpid()))
    pid = os.fork()
    if pid == 0:
        a, b = fcntl.fcntl(ln.fileno(), fcntl.F_DUPFD, 10), fcntl.fcntl(r, fcntl.F_DUPFD, 10)
        os.dup2(a, 3)  # inheritable
        os.dup2(b, 4)
        os.execve(proxy, [proxy], env)
    os.close(r)
    ln.close()
    ticks[0] = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(end - time.monotonic())
    n = ticks[0]
    os.close(w)  # the "runtime" has gone: the proxy exits
    _, status, ru = os.wait4(pid, 0)
    return (ru.ru_utime + ru.ru_stime) * 1e3, n

res = {"tick": [], "idle": [], "floor": []}
counts = []
for i in range(rounds):
    order = ["tick", "idle", "floor"][i % 3:] + ["tick", "idle", "floor"][:i % 3]
    for v in order:
        if v == "floor":
            if floor:
                out = subprocess.run([floor, str(interval)], capture_output=True, text=True).stdout
                res["floor"].append(float(out.split()[2]))
            continue
        ms, n = run_proxy(v == "tick")
        res[v].append(ms)
        if v == "tick":
            counts.append(n)
med = {k: statistics.median(v) for k, v in res.items() if v}
print("proxy CPU over %.1f s: ticking %.2f ms (ticks received: median %d), idle %.2f ms, %d rounds" % (
    seconds, med["tick"], statistics.median(counts), med["idle"], rounds))
per = [(t - statistics.median(res["idle"])) * 1e3 / n for t, n in zip(res["tick"], counts) if n]
print("per tick: median %.1f us (IQR %.1f-%.1f)" % (statistics.median(per), sorted(per)[len(per) // 4], sorted(per)[3 * len(per) // 4]))
if "floor" in med:
    print("C floor (clock_nanosleep + pidfd_send_signal per tick): median %.1f us" % med["floor"])
