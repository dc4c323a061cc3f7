# coldprof's stand-in for Lambda's /var/runtime/bootstrap.py: it only
# imports the runtime client, so the client's own imports show up under
# "import coldprof_runtime" in -X importtime output (the runtime phase).
import coldprof_runtime

coldprof_runtime.main()
