import xml.etree.ElementTree  # noqa: F401
import module_that_does_not_exist_anywhere  # noqa: F401


def handler(event, context):
    return "never"
