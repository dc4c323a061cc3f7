"""Writes the logs `coldprof diff` is tested on: five cold starts of
testdata/python/sim's app_heavy.handler (boto3, numpy, requests at init)
in before/, five of app_lazy.handler (boto3 and numpy moved into the
handler) in after/. Each file is one simulated Lambda cold start run by
Debian's /usr/bin/python3 -X importtime, made by testdata/python/generate.py's
lambda_log (markers and platform lines emulated, import lines real).

Run from the repository root: python3 cmd/coldprof/testdata/diff/generate.py
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "testdata", "python"))
import generate as pygen  # noqa: E402


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def main():
    sim = os.path.join(HERE, "sim")
    real_run = pygen.run

    def run(argv, env=None, before=""):
        # pygen.run puts only its own sim/ on PYTHONPATH; add ours for app_lazy.
        env = dict(env or {}, PYTHONPATH=pygen.SIM + os.pathsep + sim)
        return real_run(argv, env, before)

    pygen.run = run
    for i in range(1, 6):
        write(os.path.join(HERE, "before", "%d.log" % i), pygen.lambda_log("debian", handler="app_heavy.handler"))
        write(os.path.join(HERE, "after", "%d.log" % i), pygen.lambda_log("debian", handler="app_lazy.handler"))


if __name__ == "__main__":
    main()
