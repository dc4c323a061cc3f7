#!/usr/bin/env bash
# A real npm dependency tree (@aws-sdk/client-s3) for the Node.js hook's
# realistic test; without it that one test fails in the full tier and says why.
set -euo pipefail
command -v npm >/dev/null 2>&1 || exit 0
cd testdata/node/realistic
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
