# The function's own sitecustomize: must run exactly once, with or without coldprof.
try:
    import builtins
except ImportError:  # Python 2
    import __builtin__ as builtins

builtins.USER_SITE_RUNS = getattr(builtins, "USER_SITE_RUNS", 0) + 1
