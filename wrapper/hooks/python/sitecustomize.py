# coldprof: starts the init sampler (coldprof_sampler.py, beside this file)
# when coldprof-wrapper asked for it in this very process, takes this folder
# back off sys.path and PYTHONPATH, then imports the function's or runtime's
# own sitecustomize, if any, so that sys.modules['sitecustomize'] is theirs.
# Python 2.7 must be able to read this file: no f-strings.
import os
import sys


def _coldprof_start():
    here = os.path.dirname(os.path.abspath(__file__))
    env = os.environ
    conf = {}
    for key in [k for k in env if k.startswith("COLDPROF_SAMPLER_")]:
        conf[key] = env.pop(key)  # children must not inherit them
    try:
        paths = env.get("PYTHONPATH", "").split(os.pathsep)
        kept = [p for p in paths if os.path.abspath(p) != here]
        if len(kept) != len(paths):
            if kept:
                env["PYTHONPATH"] = os.pathsep.join(kept)
            else:
                del env["PYTHONPATH"]
        pid = conf.get("COLDPROF_SAMPLER_PID")
        if conf.get("COLDPROF_SAMPLER_INTERVAL_US") and pid == str(os.getpid()) and sys.version_info >= (3, 6):
            import coldprof_sampler

            coldprof_sampler.start(conf)
    finally:
        sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
        sys.modules.pop("coldprof_sampler", None)  # it holds its own state


try:
    _coldprof_start()
except Exception:
    pass  # never stop the function: the sampler reports its own errors
del _coldprof_start
del sys.modules["sitecustomize"]
import sitecustomize  # noqa: E402,F401 (the next one on sys.path; site ignores "not found")
