# A runtime client that gets its event and posts the response to a request
# ID it made up, then waits: the Runtime API answers 400 InvalidRequestID
# and the invocation times out.
import http.client
import os
import time

host, _, port = os.environ["AWS_LAMBDA_RUNTIME_API"].rpartition(":")
conn = http.client.HTTPConnection(host, int(port))
conn.request("GET", "/2018-06-01/runtime/invocation/next")
resp = conn.getresponse()
resp.read()
conn.request("POST", "/2018-06-01/runtime/invocation/not-the-real-id/response", body=b"{}")
resp = conn.getresponse()
print("wrong_id_runtime: HTTP %d %s" % (resp.status, resp.read().decode()), flush=True)
time.sleep(60)
