#!/usr/bin/env python3
"""Regenerates the Python test logs in this directory from real interpreters.

Usage (from the repository root or anywhere):

    python3 testdata/python/generate.py            # every file
    python3 testdata/python/generate.py lambda-3.12.log threads-3.13.log

Real output: every "import time:" line comes from running CPython with
-X importtime (pyenv's 3.7-3.13 under ~/.pyenv/versions, Debian's
/usr/bin/python3 with python3-boto3, -numpy, -requests, -pandas). The
simulated runtime in sim/ prints coldprof markers and Lambda's platform lines
where the wrapper's proxy, Lambda or the runtime interface emulator would.

Derived files (marked "derived" in README.md) are real logs transformed the
way exports and consoles transform them: aws logs tail prefixes, CRLF,
collapsed spaces, a cut, and Python 3.14 "cached" lines (add_lookups
simulates them with CPython's format strings; they were written before a 3.14
ran here: genuine 3.14 output is captured by pyodide/capture.mjs).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SIM = os.path.join(HERE, "sim")
PYENV = os.path.expanduser("~/.pyenv/versions")
VERSIONS = {"3.7": "3.7.16", "3.8": "3.8.18", "3.9": "3.9.18", "3.10": "3.10.13",
            "3.11": "3.11.7", "3.12": "3.12.1", "3.13": "3.13.0"}
RIE_FAKE_ID = "3f1c8e02-5d4b-4a6e-8f70-91a2b3c4d5e6"


def python(version):
    if version == "debian":
        return "/usr/bin/python3"
    return os.path.join(PYENV, VERSIONS[version], "bin", "python" + version)


def start_marker(runtime, handler):
    # marker.Append's spelling: v, ev, t, runtime, handler, wrapper, injected, proxy.
    return ('coldprof: {"v":1,"ev":"start","t":%d,"runtime":"%s","handler":"%s",'
            '"wrapper":"testdata","injected":"-X importtime","proxy":true}\n'
            % (int(time.time() * 1e6), runtime, handler))


def run(argv, env=None, before=""):
    """Runs argv with stdout and stderr in one pipe, as a log stream has
    them, and returns `before` followed by the output."""
    full_env = dict(os.environ)
    full_env.pop("PYTHONPROFILEIMPORTTIME", None)
    full_env["PYTHONPATH"] = SIM
    full_env["SIM_T0"] = repr(time.time())
    full_env.update(env or {})
    out = subprocess.run(argv, cwd=SIM, env=full_env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, check=False).stdout
    return before + out.decode()


def lambda_log(version, handler="app.handler", markers=True, platform="lambda"):
    runtime = "python3.11" if version == "debian" else "python" + version
    before = ""
    if platform == "lambda":
        before += ("INIT_START Runtime Version: %s:%s.mainlinev2.v7\tRuntime Version ARN: "
                   "arn:aws:lambda:us-east-1::runtime:0123456789abcdef\n" % ("python", runtime[6:]))
    if platform == "rie":
        before += "START RequestId: %s Version: $LATEST\n" % RIE_FAKE_ID
    if markers:
        before += start_marker(runtime, handler)
    env = {"SIM_HANDLER": handler, "SIM_MARKERS": "1" if markers else "0", "SIM_PLATFORM": platform}
    return run([python(version), "-X", "importtime", os.path.join(SIM, "run_sim.py")], env, before)


def script_log(version, script):
    return run([python(version), "-X", "importtime", os.path.join(SIM, script)])


def coldprof_run_log(version):
    """Runs sim/app.py through `coldprof run`: the real coldprof-wrapper,
    its runtime-API proxy markers, coldprof's runtime client and local
    Runtime API with Lambda's platform lines. Needs Go."""
    repo = os.path.dirname(os.path.dirname(HERE))
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(os.path.join(SIM, "app.py"), tmp)
        events = []
        for n in range(2):
            events += ["--event", os.path.join(tmp, "event%d.json" % n)]
            with open(events[-1], "w") as fh:
                fh.write('{"n": %d}' % n)
        log = os.path.join(tmp, "run.log")
        subprocess.run(["go", "run", "./cmd/coldprof", "run", "--handler", "app.handler",
                        "--runtime", "python" + version, "--python", python(version),
                        "--task-root", tmp, "-n", "2", "--log", log] + events,
                       cwd=repo, stdout=subprocess.DEVNULL, check=True)
        with open(log) as fh:
            return fh.read()


# aws logs tail --format detailed: "<ISO time> <stream> <message>".
STREAM_A = "2026/11/22/[$LATEST]0a1b2c3d4e5f40718293a4b5c6d7e8f9"
STREAM_B = "2026/11/22/[$LATEST]f9e8d7c6b5a4403928171615a4b3c2d1"


def tail_detailed(logs):
    """Interleaves the logs' lines as aws logs tail prints them from several
    streams, one event per line, trailing white space stripped."""
    streams = [(STREAM_A, logs[0].splitlines()), (STREAM_B, logs[1].splitlines())]
    out, t, i = [], 1795320000.0, 0
    while any(lines for _, lines in streams):
        name, lines = streams[i % 2]
        i += 1
        for _ in range(3):
            if lines:
                t += 0.000137
                stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%06d+00:00" % int((t % 1) * 1e6)
                out.append("%s %s %s" % (stamp, name, lines.pop(0).rstrip()))
    return "\n".join(out) + "\n"


def collapse(log):
    """Squeezes runs of spaces as a console or web page does (the AWS docs'
    rendering of their importtime example)."""
    return re.sub(r" +", " ", log)


def truncate(log):
    """Cuts the log in the middle of the handler's imports, mid-line."""
    lines = log.splitlines(keepends=True)
    cut = next(i for i, l in enumerate(lines) if "email._header_value_parser" in l) + 1
    return "".join(lines[:cut]) + lines[cut][:30]


LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S.*)$")


# Modules in sys.modules before any import is timed: always there to look up.
PRELOADED = ["sys", "builtins", "_imp", "_thread", "_warnings", "_weakref"]
# Names looked up often, when loaded: short ones get leading spaces in a
# cached line's field (exact level), long ones do not (level only bounded).
COMMON = ["os", "sys", "re", "io", "abc", "types", "typing", "warnings", "functools",
          "collections", "collections.abc", "itertools", "threading", "importlib.util"]


def add_lookups(log, seed):
    """Simulates Python 3.14 -X importtime=2 on a real log: returns the log
    with "cached" lines inserted and their truth. CPython prints one when an
    import statement finds its module in sys.modules (import.c,
    import_ensure_initialized), with printf "import time: cached    |
    cached     | %*s\n" and width import_level*2: the name right-aligned in
    a field twice the number of imports open. Timed lines use "%*s%s" with
    2*level spaces, level = the imports open around them, so the lookups a
    module at level L makes while it runs get width 2*(L+1), and those of
    the code that is not being imported (level 0) width 0.

    The simulation walks the real tree in execution order: every module
    (and the top level) makes 0-3 lookups before each of its fresh imports
    and after the last, each naming a module already loaded then. The truth
    is the module that made each lookup: "<cached line> <its line>" (1-based
    line numbers of the result; 0 at the top level)."""
    import random
    rng = random.Random(seed)
    lines = log.splitlines()
    levels = []
    for line in lines:
        m = LINE.match(line)
        levels.append(len(m.group(3)) // 2 if m else None)
    # Each entry's subtree starts at start[i]; children[i] are its children's
    # line indexes, in order (post-order: children come before the parent).
    start, children, pending = {}, {}, []
    for i, level in enumerate(levels):
        if level is None:
            continue
        kids = []
        while pending and levels[pending[-1]] > level:
            kids.append(pending.pop())
        kids.reverse()
        children[i] = kids
        start[i] = start[kids[0]] if kids else i
        pending.append(i)
    tops = pending
    inserts = {}  # line index -> [(level, order, name, owner line index or None)]
    order = [0]

    def loaded_before(index):
        names = [LINE.match(lines[j]).group(4) for j in range(index) if levels[j] is not None]
        pool = PRELOADED + names
        common = [n for n in COMMON if n in pool]
        return pool, common

    def lookups(index, level, owner):
        pool, common = loaded_before(index)
        for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
            name = rng.choice(common) if common and rng.random() < 0.6 else rng.choice(pool)
            order[0] += 1
            inserts.setdefault(index, []).append((level, order[0], name, owner))

    def run(kids, level, owner, end):
        # The code of owner (None: the top level) runs at import level
        # `level`, importing kids in turn, then finishing before line end.
        for k in kids:
            lookups(start[k], level, owner)
            run(children[k], level + 1, k, k)
        if end is not None:
            lookups(end, level, owner)

    run(tops, 0, None, None)
    out, where, owners = [], {}, []
    for i, line in enumerate(lines):
        for level, _, name, owner in sorted(inserts.get(i, [])):
            out.append("import time: cached    | cached     | " + "%*s" % (2 * level, name))
            owners.append((len(out), owner))
        where[i] = len(out) + 1
        out.append(line)
    truth = ["# cached line -> the line of the module whose code looked it up (0: top level)"]
    truth += ["%d %d" % (n, 0 if owner is None else where[owner]) for n, owner in owners]
    return "\n".join(out) + "\n", "\n".join(truth) + "\n"


def generate():
    files = {}
    for v in VERSIONS:
        files["lambda-%s.log" % v] = (lambda v=v: lambda_log(v))
    files["lambda-boto3-numpy-requests.log"] = lambda: lambda_log("debian", "app_heavy.handler")
    files["platform-3.12.log"] = lambda: lambda_log("3.12", markers=False, platform="lambda")
    files["rie-3.12.log"] = lambda: lambda_log("3.12", markers=False, platform="rie")
    files["plain-3.12.log"] = lambda: script_log("3.12", "import_module.py")
    files["import-module-3.7.log"] = lambda: script_log("3.7", "import_module.py")
    files["threads-3.13.log"] = lambda: script_log("3.13", "threads.py")
    files["threads-3.7.log"] = lambda: script_log("3.7", "threads.py")
    files["spawn-3.12.log"] = lambda: script_log("3.12", "spawn.py")
    files["coldprof-run-3.12.log"] = lambda: coldprof_run_log("3.12")
    derived = {
        "tail-detailed.log": lambda f: tail_detailed([f("lambda-3.12.log"), f("platform-3.12.log")]),
        "crlf.log": lambda f: f("lambda-3.11.log").replace("\n", "\r\n"),
        "collapsed.log": lambda f: collapse(f("lambda-3.9.log")),
        "truncated.log": lambda f: truncate(f("lambda-3.10.log")),
        "cached-3.14.log": lambda f: add_lookups(f("plain-3.12.log"), 314)[0],
        "cached-3.14.truth": lambda f: add_lookups(f("plain-3.12.log"), 314)[1],
        "cached-3.14-lambda.log": lambda f: add_lookups(f("lambda-boto3-numpy-requests.log"), 3140)[0],
        "cached-3.14-lambda.truth": lambda f: add_lookups(f("lambda-boto3-numpy-requests.log"), 3140)[1],
    }
    return files, derived


def main(wanted):
    files, derived = generate()

    def read(name):
        with open(os.path.join(HERE, name), newline="") as fh:
            return fh.read()

    for name, make in list(files.items()) + list(derived.items()):
        if wanted and name not in wanted:
            continue
        text = make() if name in files else make(read)
        with open(os.path.join(HERE, name), "w", newline="") as fh:
            fh.write(text)
        print("wrote", name, file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
