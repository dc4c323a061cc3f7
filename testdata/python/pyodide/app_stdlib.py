"""Handler module with the standard-library imports a typical Lambda handler
pulls in, for the Pyodide (CPython 3.14) captures: modules imported again
(cached lines at several depths under -X importtime=2), an import inside a
function called at global scope after the top-level imports, a failing
import, and imports inside the handler (the invoke phase)."""
import json
import logging
import re
import datetime
import dataclasses
import decimal
import urllib.parse
import http.client
import xml.etree.ElementTree as ElementTree
import email.mime.text
from email import utils as email_utils  # email again, and a submodule loaded already
import json.decoder  # again: cached

try:
    import nonexistent_coldprof_module  # noqa: F401  (a failed import is still listed)
except ImportError:
    pass

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class Config:
    region: str
    retries: int


def load_config():
    # Imported where it is used, at init but after the imports above.
    import configparser
    import urllib.parse  # noqa: F811  (again: cached)

    parser = configparser.ConfigParser()
    parser.read_string("[aws]\nregion = eu-west-1\nretries = 3\n")
    return Config(parser["aws"]["region"], int(parser["aws"]["retries"]))


CONFIG = load_config()
print("app_stdlib: global scope done", flush=True)


def handler(event, context):
    import base64
    import hashlib
    import json  # noqa: F811  (again: cached, in the invoke phase)

    body = json.dumps({"n": event["n"], "region": CONFIG.region})
    if event["n"] == 0:
        import csv  # noqa: F401
        import statistics  # noqa: F401
    else:
        import difflib  # noqa: F401
    stamp = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc).isoformat()
    digest = hashlib.sha256(body.encode()).hexdigest()[:8]
    element = ElementTree.fromstring("<a>%s</a>" % re.sub(r"\W", "", stamp))
    return {
        "ok": event["n"],
        "digest": digest,
        "b64": base64.b64encode(b"x").decode(),
        "tag": element.tag,
        "amount": str(decimal.Decimal("1.10")),
        "url": urllib.parse.quote("a b"),
        "date": email_utils.format_datetime(datetime.datetime(2026, 1, 1)),
        "status": http.client.OK,
    }
