"""A tiny Lambda-shaped function run by gen.sh: imports in the global
scope (init) and one inside the handler (invoke), with coldprof markers
printed where coldprof-wrapper's runtime-API proxy would print them."""
import sys
import time


def marker(ev, extra=""):
    sys.stderr.write('coldprof: {"v":1,"ev":"%s","t":%d%s}\n' % (ev, int(time.time() * 1e6), extra))
    sys.stderr.flush()


import json  # noqa: E402,F401  (init)
import decimal  # noqa: E402,F401  (init)

marker("init_done")
REQ = "8f5e2a4c-1b6d-4e7f-9a0b-3c2d1e0f9a8b"
marker("invoke_start", ',"requestId":"%s"' % REQ)
import csv  # noqa: E402,F401  (invoke: a handler-time import)
marker("invoke_end", ',"requestId":"%s","status":"response"' % REQ)
