import sys
import xml.etree.ElementTree  # noqa: F401

err = sys.stderr.buffer if hasattr(sys.stderr, "buffer") else sys.stderr
sys.stderr.flush()
err.write(b"\x00\xff\xfe garbage \x1b[31m not utf-8 \xc3\x28\n")
err.write(b"import time: this is not a number | nor this | x\n")
err.write(b"import time:       12 |     -5 | negative\n")
err.write(b"coldprof: {\"v\":1,\"ev\":\n")
err.write(b"no newline at the end of this one")
err.flush()
sys.stderr.write("\n")


def handler(event, context):
    sys.stderr.write("import time: self [us] | cumulative | imported package\n")
    return {"ok": True}
