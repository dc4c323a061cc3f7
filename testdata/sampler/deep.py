"""A stack of 1200 distinct functions with 1000-character names: its frames
alone are more than a cold start's 256 lines can hold."""
import sys
import time

sys.setrecursionlimit(10000)
N = 1200
names = ["f%d_" % i + "x" * 1000 for i in range(N)]
src = []
for i, name in enumerate(names):
    body = "    %s()\n" % names[i + 1] if i + 1 < N else "    time.sleep(0.3)\n"
    src.append("def %s():\n%s" % (name, body))
exec("\n".join(src))
globals()[names[0]]()
print("done")
