"""A small Lambda runtime client for Python, shipped inside coldprof.

It behaves like Lambda's awslambdaric on what matters for import profiles:
it imports what awslambdaric imports before the handler (so a function's own
"import json" costs nothing, as on Lambda), loads the handler module with
importlib.import_module (so the handler module has no "import time:" line),
then loops on the Runtime API's next, calls handler(event, context) and posts
the response or the error. Standard library only; CPython 3.7 and later.
"""

import decimal  # noqa: F401  (awslambdaric's marshaller imports it)
# http.client's first connection encodes the host name with the idna codec,
# which imports encodings.idna (and stringprep, unicodedata) after the
# handler module is loaded but before init ends: imported here, they stay in
# the runtime phase and the function's init holds only its own imports.
import encodings.idna  # noqa: F401
import http.client
import importlib
import json
import logging
import os
import sys
import time
import traceback

API_PREFIX = "/2018-06-01/runtime"
ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"


class Unbuffered(object):
    """Writes through at once, as awslambdaric does, so output and the
    Runtime API calls that follow it reach the log in order."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, data):
        self.stream.write(data)
        self.stream.flush()

    def writelines(self, lines):
        self.stream.writelines(lines)
        self.stream.flush()

    def __getattr__(self, name):
        return getattr(self.stream, name)


class ClientContext(object):
    def __init__(self, client, custom, env):
        self.client = client
        self.custom = custom
        self.env = env


class CognitoIdentity(object):
    def __init__(self, identity_id, pool_id):
        self.cognito_identity_id = identity_id
        self.cognito_identity_pool_id = pool_id


class LambdaContext(object):
    """The handler's context, with the attributes Lambda's context has."""

    def __init__(self, request_id, deadline_ms, invoked_function_arn, client_context, cognito_identity):
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_function_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.client_context = None
        self.identity = None
        self._deadline_ms = deadline_ms
        if client_context:
            try:
                cc = json.loads(client_context)
                self.client_context = ClientContext(cc.get("client"), cc.get("custom"), cc.get("env"))
            except (ValueError, AttributeError):
                pass
        if cognito_identity:
            try:
                ci = json.loads(cognito_identity)
                self.identity = CognitoIdentity(ci.get("cognitoIdentityId"), ci.get("cognitoIdentityPoolId"))
            except (ValueError, AttributeError):
                pass

    def get_remaining_time_in_millis(self):
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def __repr__(self):
        return "LambdaContext([aws_request_id=%s,function_name=%s,memory_limit_in_mb=%s])" % (
            self.aws_request_id, self.function_name, self.memory_limit_in_mb)


class FaultException(Exception):
    def __init__(self, error_type, msg, trace=None):
        Exception.__init__(self, msg)
        self.error_type = error_type
        self.msg = msg
        self.trace = trace or []


class RuntimeAPI(object):
    def __init__(self, address):
        host, _, port = address.rpartition(":")
        self.conn = http.client.HTTPConnection(host, int(port))  # no timeout: next long-polls

    def _request(self, method, path, body=None, headers=None):
        self.conn.request(method, API_PREFIX + path, body=body, headers=headers or {})
        resp = self.conn.getresponse()
        data = resp.read()
        return resp, data

    def next(self):
        resp, data = self._request("GET", "/invocation/next")
        if resp.status != 200:
            raise RuntimeError("next: HTTP %d: %s" % (resp.status, data[:200]))
        return resp, data

    def post(self, path, body, headers):
        resp, data = self._request("POST", path, body, headers)
        if resp.status >= 300:
            sys.stderr.write("coldprof_runtime: POST %s: HTTP %d: %s\n" % (path, resp.status, data.decode("utf-8", "replace")[:200]))
        return resp.status


def error_result(exc_info, error_type=None):
    etype, value, tb = exc_info
    return {
        "errorMessage": str(value),
        "errorType": error_type or etype.__name__,
        "requestId": "",
        "stackTrace": traceback.format_list(traceback.extract_tb(tb)[1:]),  # [1:]: not our own frame
    }


def log_error(result):
    lines = ["[ERROR] %s: %s" % (result["errorType"], result["errorMessage"])]
    if result["stackTrace"]:
        lines.append("Traceback (most recent call last):")
        lines.extend(line.rstrip("\n") for line in result["stackTrace"])
    sys.stdout.write("\n".join(lines) + "\n")


def load_handler(handler):
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as e:
        raise FaultException("Runtime.MalformedHandlerName", "Bad handler '%s': %s" % (handler, e))
    try:
        if modname.split(".")[0] in sys.builtin_module_names:
            raise FaultException("Runtime.BuiltInModuleConflict",
                                 "Cannot use built-in module %s as a handler module" % modname)
        module = importlib.import_module(modname.replace("/", "."))
    except ImportError as e:
        raise FaultException("Runtime.ImportModuleError", "Unable to import module '%s': %s" % (modname, e))
    except SyntaxError as e:
        trace = ['  File "%s" Line %s\n    %s' % (e.filename, e.lineno, e.text)]
        raise FaultException("Runtime.UserCodeSyntaxError", "Syntax error in module '%s': %s" % (modname, e), trace)
    try:
        return getattr(module, fname)
    except AttributeError:
        raise FaultException("Runtime.HandlerNotFound", "Handler '%s' missing on module '%s'" % (fname, modname))


def setup_logging():
    class RequestIdFilter(logging.Filter):
        def filter(self, record):
            record.aws_request_id = os.environ.get("_coldprof_request_id", "")
            return True

    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(RequestIdFilter())
    formatter = logging.Formatter("[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
                                  "%Y-%m-%dT%H:%M:%S")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    logging.getLogger().addHandler(handler)


def main():
    sys.stdout = Unbuffered(sys.stdout)
    sys.stderr = Unbuffered(sys.stderr)
    setup_logging()
    api = RuntimeAPI(os.environ["AWS_LAMBDA_RUNTIME_API"])
    task_root = os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd()
    if task_root not in sys.path:
        sys.path.insert(0, task_root)

    try:
        handler = load_handler(os.environ.get("_HANDLER", ""))
    except FaultException as e:
        result = {"errorMessage": e.msg, "errorType": e.error_type, "requestId": "", "stackTrace": e.trace}
    except Exception:
        result = error_result(sys.exc_info())
    else:
        result = None
    if result is not None:
        log_error(result)
        api.post("/init/error", json.dumps(result).encode(), {
            ERROR_TYPE_HEADER: result["errorType"], "Content-Type": "application/json"})
        sys.exit(1)

    while True:
        resp, event_body = api.next()
        request_id = resp.getheader("Lambda-Runtime-Aws-Request-Id")
        trace_id = resp.getheader("Lambda-Runtime-Trace-Id")
        if trace_id:
            os.environ["_X_AMZN_TRACE_ID"] = trace_id
        else:
            os.environ.pop("_X_AMZN_TRACE_ID", None)
        os.environ["_coldprof_request_id"] = request_id or ""
        context = LambdaContext(
            request_id,
            int(resp.getheader("Lambda-Runtime-Deadline-Ms") or 0),
            resp.getheader("Lambda-Runtime-Invoked-Function-Arn"),
            resp.getheader("Lambda-Runtime-Client-Context"),
            resp.getheader("Lambda-Runtime-Cognito-Identity"))
        try:
            event = json.loads(event_body.decode("utf-8")) if event_body else None
            result = handler(event, context)
            try:
                body = json.dumps(result, default=_decimal_default).encode()
            except (TypeError, ValueError) as e:
                raise FaultException("Runtime.MarshalError", "Unable to marshal response: %s" % e)
        except FaultException as e:
            err = {"errorMessage": e.msg, "errorType": e.error_type, "requestId": request_id, "stackTrace": e.trace}
        except Exception:
            err = error_result(sys.exc_info())
            err["requestId"] = request_id
        else:
            api.post("/invocation/%s/response" % request_id, body, {"Content-Type": "application/json"})
            continue
        log_error(err)
        api.post("/invocation/%s/error" % request_id, json.dumps(err).encode(), {
            ERROR_TYPE_HEADER: err["errorType"], "Content-Type": "application/json"})


def _decimal_default(o):
    if isinstance(o, decimal.Decimal):
        return int(o) if o == o.to_integral_value() else float(o)
    raise TypeError("Object of type %s is not JSON serializable" % type(o).__name__)
