#!/bin/sh
# Regenerates lambda.log: a real CPython -X importtime capture of app.py
# with the wrapper's start marker before it and Lambda's END/REPORT lines
# after it (as Lambda writes them, tab-separated). The Init Duration on the
# REPORT line is the wall time of the python process in ms, measured here.
# Run from this directory: sh gen.sh   (uses Debian's /usr/bin/python3)
set -e
PY=${PY:-/usr/bin/python3}
ver=$($PY -c 'import sys; print("python%d.%d" % sys.version_info[:2])')
{
  printf 'coldprof: {"v":1,"ev":"start","t":%s,"runtime":"%s","handler":"app.handler","wrapper":"0.1.0","injected":"-X importtime"}\n' \
    "$(date +%s%6N)" "$ver"
  start=$(date +%s%6N)
  $PY -X importtime -S app.py 2>&1
  end=$(date +%s%6N)
  ms=$(( (end - start) / 1000 ))
  printf 'END RequestId: 8f5e2a4c-1b6d-4e7f-9a0b-3c2d1e0f9a8b\n'
  printf 'REPORT RequestId: 8f5e2a4c-1b6d-4e7f-9a0b-3c2d1e0f9a8b\tDuration: 2.71 ms\tBilled Duration: 3 ms\tMemory Size: 128 MB\tMax Memory Used: 41 MB\tInit Duration: %s.00 ms\t\n' "$ms"
} > lambda.log
