"""Exit cost of the Python sampler: interleaved runs of a 20 ms program with
the sampler (5 ms, no stop pipe) from each hook folder given; median wall and
mean child CPU. usage: python_exit_wait.py PYTHON HOOKDIR..."""
import os, subprocess, sys, time, resource
py = sys.argv[1]; hooks = sys.argv[2:]
res = {h: [] for h in hooks}; cpu = {h: 0.0 for h in hooks}
for i in range(60):
    for h in hooks:
        env = dict(os.environ, PYTHONPATH=h, COLDPROF_SAMPLER_INTERVAL_US="5000")
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(["/bin/sh", "-c", 'COLDPROF_SAMPLER_PID=$$ exec "$@"', "sh", py, "-c", "import time; time.sleep(0.02)"], env=env, stderr=subprocess.DEVNULL)
        res[h].append(time.perf_counter() - t)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu[h] += (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
for h in hooks:
    v = sorted(res[h]); print(h, "median wall %.1f ms" % (v[len(v)//2]*1e3), "mean CPU %.2f ms" % (cpu[h]/60*1e3))
