"""Where an ES module handler's hook cost goes: interleaved runs of
load-esm.mjs over testdata/node/realistic, whole-process CPU from wait4 and
the import's CPU as load-esm.mjs prints it.

usage: python3 esm_pieces.py ROUNDS NODE HANDLER NAME=HOOKFILE ...

HANDLER is lodash.mjs or s3.mjs. HOOKFILE is a coldprof-require.cjs to
preload ("-" for no hook). Each round runs every variant once, in a new
random order. Prints per variant the median import CPU and process CPU (ms)
and the median of the per-round ratios against the first variant (import
CPU, process CPU), with quartiles of the import ratio.
"""
import os, sys, subprocess, random, statistics, time
here = os.path.dirname(os.path.abspath(__file__))
realistic = os.path.join(here, '..', 'realistic')
n = int(sys.argv[1]); node = sys.argv[2]; handler = sys.argv[3]
vs = [a.partition('=') for a in sys.argv[4:]]
vs = [(k, v) for k, _, v in vs]
res = {k: [] for k, _ in vs}
env = dict(os.environ, LAMBDA_TASK_ROOT=realistic, _HANDLER=handler.split('.')[0] + '.handler')
for r in range(n):
    order = vs[:]; random.shuffle(order)
    for k, hook in order:
        args = [node] + (['--require', hook] if hook != '-' else []) + [os.path.join(here, '..', 'load-esm.mjs'), handler]
        p = subprocess.Popen(args, env=env, cwd=realistic, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        out = p.stdout.read().decode()
        _, st, ru = os.wait4(p.pid, 0)
        if st != 0:
            sys.exit(f'{k}: exit {st}')
        _, cpu = out.split()
        res[k].append((int(cpu) / 1000, (ru.ru_utime + ru.ru_stime) * 1000))
base = vs[0][0]
for k, _ in vs:
    imp = [x[0] for x in res[k]]; proc = [x[1] for x in res[k]]
    ri = sorted(a[0] / b[0] for a, b in zip(res[k], res[base]))
    rp = sorted(a[1] / b[1] for a, b in zip(res[k], res[base]))
    print(f"{k:12s} import {statistics.median(imp):7.1f} ms  process {statistics.median(proc):7.1f} ms  "
          f"pair {100*(statistics.median(ri)-1):+6.1f}% ({100*(ri[len(ri)//4]-1):+.1f} .. {100*(ri[3*len(ri)//4]-1):+.1f})  "
          f"process pair {100*(statistics.median(rp)-1):+6.1f}%")
