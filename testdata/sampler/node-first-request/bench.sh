#!/bin/sh
# What the Node.js sampler costs the first request (wrapper/hooks/BENCHMARKS.md).
# From the repository root, after npm ci in testdata/node/realistic:
#   go build -o /tmp/cp/ ./cmd/coldprof ./cmd/coldprof-wrapper ./cmd/coldprof-proxy
#   testdata/sampler/node-first-request/bench.sh /tmp/cp ROUNDS [NODE_BIN_DIR]
# Runs ROUNDS interleaved cold starts (coldprof run -n 1) with the sampler
# off, stopped at the cut (the default) and with COLDPROF_SAMPLER_INVOKE=on,
# and prints, per mode, the time from the proxy's invoke_start marker to the
# handler's start and the first invocation's Duration.
set -e
bin=$1 rounds=$2 nodedir=${3:-$(dirname "$(command -v node)")}
out=$(mktemp -d)
for i in $(seq 1 "$rounds"); do
  for mode in off cut invoke; do
    case $mode in
      off) set -- COLDPROF_SAMPLER=off ;;
      cut) set -- COLDPROF_SAMPLER=on ;;
      invoke) set -- COLDPROF_SAMPLER=on COLDPROF_SAMPLER_INVOKE=on ;;
    esac
    env PATH="$nodedir:$PATH" "$@" "$bin/coldprof" run --handler index.handler --runtime nodejs \
      --task-root testdata/sampler/node-first-request -n 1 --log "$out/$mode-$i.log" >/dev/null 2>&1
  done
done
python3 - "$out" <<'PY'
import glob, re, statistics, sys
for mode in ("off", "cut", "invoke"):
    d, dur = [], []
    for f in glob.glob(f"{sys.argv[1]}/{mode}-*.log"):
        s = open(f).read()
        st = re.search(r'"ev":"invoke_start","t":(\d+)', s)
        h = re.search(r'coldprof-bench-handler (\d+)', s)
        r = re.search(r'REPORT RequestId: \S+\tDuration: ([\d.]+) ms', s)
        if st and h and r:
            d.append((int(h.group(1)) - int(st.group(1))) / 1000)
            dur.append(float(r.group(1)))
    print(f"{mode:7s} n={len(d)} invoke_start->handler ms: median {statistics.median(d):.1f} "
          f"[{min(d):.1f}, {max(d):.1f}]; first Duration ms: median {statistics.median(dur):.1f} [{min(dur):.1f}, {max(dur):.1f}]")
PY
rm -rf "$out"
