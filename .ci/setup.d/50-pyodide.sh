#!/usr/bin/env bash
# Pyodide 314.0.8 (CPython 3.14.2 compiled to WebAssembly) for the parsers'
# tests on genuine Python 3.14 -X importtime output (testdata/python/pyodide/).
# npm's pyodide package is packed (never installed: no package script runs),
# its tarball checked against the integrity pinned below (npm's
# dist.integrity for this version), and unpacked into
# ${XDG_CACHE_HOME:-$HOME/.cache}/coldprof/pyodide/314.0.8/package/. It runs
# under the Node.js 22 of 40-node-versions.sh. The tarball is 6.2 MB
# (14 MB unpacked); packing, checking and unpacking took 1 s here with npm's
# cache warm. A complete copy already there is left alone, so reruns cost
# nothing.
set -euo pipefail
command -v npm >/dev/null 2>&1 || exit 0
version=314.0.8
integrity='sha512-74Wq1kXOC+CCEzAfxuRAO701nAcCMLjf8NrwvWpu8S41dVMXwXmLQ05dYB+F4e46AdnGo0oq7YHSVUpHsoarLQ=='
cache="${XDG_CACHE_HOME:-$HOME/.cache}/coldprof/pyodide"
dir="$cache/$version"
if [ -s "$dir/package/pyodide.asm.wasm" ] && [ -s "$dir/package/python_stdlib.zip" ] && [ -s "$dir/package/pyodide.mjs" ]; then
  echo "pyodide $version: cached"
  exit 0
fi
mkdir -p "$cache"
tmp="$(mktemp -d "$cache/.tmp-$version.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
tarball="$(cd "$tmp" && npm pack --silent --pack-destination "$tmp" "pyodide@$version" | tail -n 1)"
# node, not openssl: npm brings it, and a fresh machine may have no openssl.
got="sha512-$(node -e 'process.stdout.write(require("crypto").createHash("sha512").update(require("fs").readFileSync(process.argv[1])).digest("base64"))' "$tmp/$tarball")"
if [ "$got" != "$integrity" ]; then
  echo "pyodide@$version: tarball integrity $got, want $integrity" >&2
  exit 1
fi
mkdir -p "$tmp/unpacked"
tar -xzf "$tmp/$tarball" -C "$tmp/unpacked"
[ -s "$tmp/unpacked/package/pyodide.asm.wasm" ] || { echo "pyodide@$version has no pyodide.asm.wasm" >&2; exit 1; }
rm -rf "$dir"
mkdir -p "$dir"
mv "$tmp/unpacked/package" "$dir/package"
echo "pyodide $version: installed ($(du -sh "$dir" | cut -f1))"
