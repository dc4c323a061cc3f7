#!/bin/bash
# Per-process CPU of coldprof run cold starts, for wrapper/BENCHMARKS.md's
# "The proxy's own CPU in a Python cold start".
#   run.sh BIN VARIANT OUTDIR [COLD_STARTS]
# BIN holds coldprof, coldprof-wrapper, coldprof-proxy (CGO_ENABLED=0 builds);
# VARIANT is wrapper (COLDPROF_PHASES=off COLDPROF_SAMPLER=off), proxy
# (COLDPROF_SAMPLER=off) or none, as in BenchmarkObserverEffect, or tick or
# thread (below). Appends one
# "<comm> <user µs> <sys µs> <maxrss kB>" line per reaped process to
# OUTDIR/cpu.procs (the proxy is "coldprof-proxy"; the wrapper exec's into
# "python3") and the tree's total to OUTDIR/cpu.
set -e
BIN=$(realpath "$1"); V=$2; D=$(realpath -m "$3"); N=${4:-3}
HERE=$(cd "$(dirname "$0")" && pwd); REPO=$(cd "$HERE/../../.." && pwd)
mkdir -p "$D"
SHIM=$D/shim-bin/shim
if [ ! -x "$SHIM" ]; then
	mkdir -p "$D/shim-bin"
	(cd "$REPO" && CGO_ENABLED=0 go build -o "$SHIM" ./cmd/coldprof/testdata/observer-shim)
fi
envs=(); W=$BIN/coldprof-wrapper
case $V in
wrapper) envs=(--env COLDPROF_PHASES=off --env COLDPROF_SAMPLER=off) ;;
proxy) envs=(--env COLDPROF_SAMPLER=off) ;;
none) W= ;;
# The sampler on, the proxy ticking it (signal) or not (thread), at
# $INTERVAL (default 1ms), for "The proxy's cost of signal ticks".
tick) envs=(--env COLDPROF_SAMPLER_TICK=signal --env "COLDPROF_SAMPLE_INTERVAL=${INTERVAL:-1ms}") ;;
thread) envs=(--env COLDPROF_SAMPLER_TICK=thread --env "COLDPROF_SAMPLE_INTERVAL=${INTERVAL:-1ms}") ;;
*) echo "run.sh: variant $V: want wrapper, proxy, tick, thread or none" >&2; exit 2 ;;
esac
cd "$REPO/cmd/coldprof"
OBSERVER_SHIM_WRAPPER=$W OBSERVER_SHIM_OUT=$D/cpu "$BIN/coldprof" run --wrapper "$SHIM" \
	--cold-starts "$N" -n 1 --log "$D/run.log" --format json \
	--handler app.lambda_handler --runtime python3 --python /usr/bin/python3 \
	--task-root ../../testdata/functions/python "${envs[@]}" >/dev/null 2>"$D/err"
