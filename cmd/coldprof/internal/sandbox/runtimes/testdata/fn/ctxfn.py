# A test function: echoes its event and context, raises on request.
import sys

def handler(event, context):
    if event.get("raise"):
        raise ValueError("asked to raise")
    if event.get("unserializable"):
        return {"s": {1, 2}}
    return {
        "event": event,
        "python": "%d.%d" % sys.version_info[:2],
        "function_name": context.function_name,
        "function_version": context.function_version,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "aws_request_id": context.aws_request_id,
        "invoked_function_arn": context.invoked_function_arn,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "remaining_positive": 0 < context.get_remaining_time_in_millis() <= 5000,
        "client": context.client_context.custom if context.client_context else None,
        "cognito": context.identity.cognito_identity_id if context.identity else None,
        "in_sys_modules": "ctxfn" in sys.modules,
    }
