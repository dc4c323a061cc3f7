"""What the sampler tests read about the sampler from inside a function
(sampler_tick_test.go): figures for runtime.py's truth line."""
import gc
import os
import signal
import time


def sampler():
    """The sampler's _Sampler: the SIGURG handler's object when ticked,
    else found through gc."""
    h = signal.getsignal(signal.SIGURG)
    s = getattr(h, "__self__", None)
    if type(s).__name__ == "_Sampler":
        return s
    for o in gc.get_objects():
        if type(o).__name__ == "_Sampler":
            return o
    return None


def thread_vcs():
    """The voluntary context switches of the process's other thread (the
    sampler's), from /proc."""
    me = os.getpid()
    for t in os.listdir("/proc/self/task"):
        if int(t) == me:
            continue
        with open("/proc/self/task/%s/status" % t) as f:
            for ln in f:
                if ln.startswith("voluntary_ctxt_switches"):
                    return int(ln.split(":")[1])
    return -1


def figures():
    s = sampler()
    h = signal.getsignal(signal.SIGURG)
    return {
        "_urg_ours": float(s is not None and h is getattr(s, "handler", None) and h is not None),
        "_alrm_dfl": float(signal.getsignal(signal.SIGALRM) == signal.SIG_DFL),
        "_ticks": float(getattr(s, "ticks", -1)),
        "_wakeups": float(getattr(s, "wakeups", -1)),
        "_thread_vcs": float(thread_vcs()),
        "_init_ms": (time.time_ns() // 1000 - s.begin) / 1000.0 if s is not None else -1.0,
    }
