#!/bin/bash
# Interleaved before/after pairs of run.sh, for wrapper/BENCHMARKS.md's
# "The proxy in Go's network poller".
#   pairs.sh OUT N A_BIN B_BIN [K]
# Runs N pairs of "run.sh BIN proxy DIR 3" (the order alternating), side a
# from A_BIN's binaries and side b from B_BIN's, each from one of K (default
# 5) copies of its bin directory, made at the same time (a1 b1 a2 b2 ...) and
# used in rotation: which copy of the same binaries ran moved the proxy's CPU
# by 10-15 % in an A/A test (their page-cache state), so one copy per side
# biases the comparison. Prints the medians of coldprof-proxy's CPU per side
# and the median over pairs of the ratio of b's to a's median.
# A_VARIANT and B_VARIANT (default proxy) are the run.sh variants per side.
set -e
OUT=$(realpath -m "$1"); N=$2; A=$(realpath "$3"); B=$(realpath "$4"); K=${5:-5}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT/copies"
for k in $(seq "$K"); do
	rm -rf "$OUT/copies/a$k" "$OUT/copies/b$k"
	cp -r "$A" "$OUT/copies/a$k"
	cp -r "$B" "$OUT/copies/b$k"
done
for i in $(seq "$N"); do
	k=$(((i - 1) % K + 1))
	if [ $((i % 2)) = 1 ]; then order="a b"; else order="b a"; fi
	for v in $order; do
		if [ "$v" = a ]; then variant=${A_VARIANT:-proxy}; else variant=${B_VARIANT:-proxy}; fi
		"$HERE/run.sh" "$OUT/copies/$v$k" "$variant" "$OUT/$v/$i" 3
	done
done
python3 - "$OUT" <<'PY'
import glob, os, statistics, sys
out = sys.argv[1]
def proxy_ms(d):
    with open(os.path.join(d, "cpu.procs")) as f:
        return [(int(x[1]) + int(x[2])) / 1000 for x in (l.split() for l in f) if x[0] == "coldprof-proxy"]
runs = {s: {os.path.basename(d): proxy_ms(d) for d in glob.glob(os.path.join(out, s, "*"))} for s in "ab"}
def quart(v):
    v = sorted(v)
    return v[len(v) // 4], statistics.median(v), v[3 * len(v) // 4]
for s in "ab":
    lo, med, hi = quart([x for v in runs[s].values() for x in v])
    print("%s: coldprof-proxy median %.2f ms (IQR %.2f-%.2f)" % (s, med, lo, hi))
ratios = [statistics.median(runs["b"][k]) / statistics.median(runs["a"][k])
          for k in runs["a"] if runs["a"][k] and runs["b"].get(k)]
lo, med, hi = quart(ratios)
print("paired ratio b/a: %.3f (IQR %.3f-%.3f), %d pairs" % (med, lo, hi, len(ratios)))
PY
