#!/usr/bin/env bash
# staticcheck, pinned: 2025.1.1 is module version v0.6.1 of honnef.co/go/tools.
# Installed once into the coldprof cache; .ci/run runs it over every package.
set -euo pipefail
version=v0.6.1 # staticcheck 2025.1.1
bin="${XDG_CACHE_HOME:-$HOME/.cache}/coldprof/staticcheck-$version"
if [ -x "$bin/staticcheck" ]; then
  exit 0
fi
mkdir -p "$bin"
GOBIN="$bin" go install "honnef.co/go/tools/cmd/staticcheck@$version"
