"""A minimal Lambda runtime for coldprof-wrapper's tests.

It speaks the Runtime API at $AWS_LAMBDA_RUNTIME_API over one keep-alive
connection, prints a line to stderr between calls so tests can check where
the wrapper's markers land, and imports a module during the first
invocation (a handler-time import). argv[1]: number of invocations to serve
before exiting; argv[2] (optional): "init-error" to report an init error
instead.
"""
import http.client
import os
import sys

api = os.environ["AWS_LAMBDA_RUNTIME_API"]
conn = http.client.HTTPConnection(api)
base = "/2018-06-01/runtime"


def call(method, path, body=None, headers=None):
    conn.request(method, base + path, body=body, headers=headers or {})
    resp = conn.getresponse()
    return resp, resp.read()


sys.stderr.write("runtime: init\n")
sys.stderr.flush()
if len(sys.argv) > 2 and sys.argv[2] == "init-error":
    resp, _ = call("POST", "/init/error", b'{"errorMessage":"boom","errorType":"Runtime.ImportModuleError"}',
                   {"Lambda-Runtime-Function-Error-Type": "Runtime.ImportModuleError"})
    sys.stderr.write("runtime: init error posted %d\n" % resp.status)
    sys.exit(1)

for i in range(int(sys.argv[1])):
    resp, event = call("GET", "/invocation/next")
    rid = resp.getheader("Lambda-Runtime-Aws-Request-Id")
    sys.stderr.write("runtime: handling %s\n" % rid)
    sys.stderr.flush()
    if i == 0:
        import decimal  # noqa: F401  (handler-time import)
    resp, _ = call("POST", "/invocation/%s/response" % rid, event)
    sys.stderr.write("runtime: done %s %d\n" % (rid, resp.status))
    sys.stderr.flush()
