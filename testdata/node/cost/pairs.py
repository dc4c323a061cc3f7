"""Interleaved pairs of Node.js runs, whole-process CPU from wait4.

usage: python3 pairs.py ROUNDS NODE NAME:K=V,K=V NAME2:K=V ...

Each round runs every variant once, in a new random order: NODE with
--require profiler-pieces.cjs (unless NOPRE=1) and ARGS (space-separated), then
import-handler.mjs, with the variant's environment. Prints per variant the
median CPU and wall time (ms), the preload's and Profiler.stop's CPU, and the
median of the per-round CPU ratio against the first variant; then the second
variant against the third, pair by pair.
"""
import os, sys, subprocess, random, statistics, time, re
here = os.path.dirname(os.path.abspath(__file__))
n = int(sys.argv[1]); node = sys.argv[2]; vs = sys.argv[3:]
res = {v: [] for v in vs}
ratios = {v: [] for v in vs}
base = vs[0]
for r in range(n):
    order = vs[:]; random.shuffle(order)
    got = {}
    for v in order:
        name, _, envs = v.partition(':')
        env = dict(os.environ)
        for kv in envs.split(','):
            if kv: k, _, val = kv.partition('='); env[k] = val
        args = [node] + (['--require', os.path.join(here, 'profiler-pieces.cjs')] if env.get('NOPRE') != '1' else []) + env.get('ARGS', '').split() + [os.path.join(here, 'import-handler.mjs')]
        args = [a for a in args if a]
        t = time.time()
        p = subprocess.Popen(args, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
        _, st, ru = os.wait4(p.pid, 0)
        err = p.stderr.read().decode()
        wall = (time.time() - t) * 1000
        cpu = (ru.ru_utime + ru.ru_stime) * 1000
        m = re.search(r'RES pre=(\S+) stop=(\S+) nodes=(\d+)', err)
        got[v] = (cpu, wall, float(m.group(1)) if m else 0, float(m.group(2)) if m else 0)
        if st != 0: print('FAIL', v, err[-500:])
    for v in vs:
        res[v].append(got[v]); ratios[v].append(got[v][0] / got[base][0])
for v in vs:
    c = [x[0] for x in res[v]]; w = [x[1] for x in res[v]]
    print(f"{v:50s} cpu {statistics.median(c):7.1f} wall {statistics.median(w):7.1f} pre {statistics.median([x[2] for x in res[v]]):6.2f} stop {statistics.median([x[3] for x in res[v]]):6.2f} ratio {100*(statistics.median(ratios[v])-1):+6.1f}%")
if len(vs) > 2:
    a, b = vs[1], vs[2]
    r = sorted(x[0]/y[0] for x, y in zip(res[a], res[b]))
    print(f"{a.split(':')[0]} vs {b.split(':')[0]}: median {100*(statistics.median(r)-1):+.1f}%  quartiles {100*(r[len(r)//4]-1):+.1f} {100*(r[3*len(r)//4]-1):+.1f}")
