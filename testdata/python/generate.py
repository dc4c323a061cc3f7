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
collapsed spaces, a cut, and Python 3.14 "cached" lines (3.14 is not
installed here, so they are inserted per reference A.2's printf analysis).
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


def add_cached(log, shape="right"):
    """Inserts Python 3.14 -X importtime=2 "cached" lines. A cached line is
    printed when an import finds the module already loaded, while its
    parent is loading, at the level of the imports open then. One is
    inserted as the sibling just before every fresh entry at levels 0-4,
    ahead of that entry's subtree (the parent imported a loaded module, then
    the entry), naming a module certainly loaded by then: "os" or
    "collections.abc" (too long to get leading spaces when right-aligned,
    so its level is only bounded). shape "right" right-aligns the name in a
    field 2*level wide, as A.2 reads CPython's printf call; "indented"
    indents it like a timed line, the other possibility."""
    lines = log.splitlines()
    levels = []
    for line in lines:
        m = LINE.match(line)
        levels.append(len(m.group(3)) // 2 if m else None)
    inserts = {}
    for i, level in enumerate(levels):
        if level is None or level > 4:
            continue
        start = i  # the first line of the entry's subtree
        while start > 0 and levels[start - 1] is not None and levels[start - 1] > level:
            start -= 1
        name = "collections.abc" if level % 2 else "os"
        if shape == "right":
            field = "%*s" % (2 * level, name)
        else:
            field = "%*s%s" % (2 * level, "", name)
        # Entries whose subtrees start at the same line: the outer one's
        # cached line was printed first.
        inserts.setdefault(start, []).append((level, "import time: cached    | cached     | " + field))
    out = []
    for i, line in enumerate(lines):
        out.extend(text for _, text in sorted(inserts.get(i, [])))
        out.append(line)
    return "\n".join(out) + "\n"


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
        "cached-3.14.log": lambda f: add_cached(f("plain-3.12.log")),
        "cached-3.14-indented.log": lambda f: add_cached(f("plain-3.12.log"), "indented"),
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
