"""A stand-in for Lambda's Python runtime client, for the sampler tests.

It imports the handler module named in argv[1] (its global scope is init),
says "next" on stdout and waits for a line on stdin (the test writes the
proxy's init_done to the sampler's pipe, then answers), calls handler(),
says "response" and waits again (the test writes invoke_end), then prints
"truth <json>": the module's TRUTH dict, the wall seconds its named pieces
of work measured themselves, and _initCpu, the process's CPU seconds
when init was over.
"""
import importlib
import json
import sys
import time

sys.path.insert(0, ".")
mod = importlib.import_module(sys.argv[1])
init_cpu = time.process_time()  # the whole process, all threads, since it started
sys.stdout.write("next\n")
sys.stdout.flush()
sys.stdin.readline()
getattr(mod, "handler", lambda: None)()
sys.stdout.write("response\n")
sys.stdout.flush()
sys.stdin.readline()
truth = dict(getattr(mod, "TRUTH", {}), _initCpu=init_cpu)
sys.stdout.write("truth " + json.dumps(truth) + "\n")
sys.stdout.flush()
