# Returns its event and a few context attributes: coldprof run's tests of
# events and of the runtime-client choice use it.
import json  # noqa: F401  (already loaded by the runtime client: no line)


def handler(event, context):
    import colorsys  # noqa: F401  (handler-time: the invoke phase)

    return {"event": event, "function": context.function_name}
