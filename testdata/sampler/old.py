# For Python 2.7, 3.6 and 3.7: the sampler stays off, the chain still works.
import os
import sys

import usermod

print(os.path.basename(os.path.dirname(sys.modules["sitecustomize"].__file__)))
print(getattr(__builtins__, "USER_SITE_RUNS", None) or __import__("builtins" if sys.version_info[0] > 2 else "__builtin__").__dict__.get("USER_SITE_RUNS"))
print(usermod.VALUE)
print([p for p in sys.path if "hooks dir" in p or p.endswith("/user")])
print(os.environ.get("PYTHONPATH"))
print(sorted(k for k in os.environ if k.startswith("COLDPROF_SAMPLER")))
