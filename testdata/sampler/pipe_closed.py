"""Plays a runtime (next, response) and says whether the process still holds
the sampler's stop pipe (the test names its inode in TEST_STOP_PIPE): during
init it must, once the sampler has ended it must not."""
import os
import sys
import time

pipe = "pipe:[%s]" % os.environ.get("TEST_STOP_PIPE")


def holds_pipe():
    for f in os.listdir("/proc/self/fd"):
        try:
            if os.readlink("/proc/self/fd/" + f) == pipe:
                return True
        except OSError:
            pass
    return False


print("during init: %s" % holds_pipe())
print("next")
sys.stdout.flush()
sys.stdin.readline()
print("response")
sys.stdout.flush()
sys.stdin.readline()
deadline = time.monotonic() + 10  # the sampler ends at invoke_end (or at the cut): a hang guard only
while holds_pipe() and time.monotonic() < deadline:
    time.sleep(0.01)
print("after sampling: %s" % holds_pipe())
