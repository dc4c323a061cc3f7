#!/usr/bin/env bash
# Debian's packages the tests run: Ruby for the require hook, Debian's Python
# with boto3/numpy/requests/pandas for realistic import trees (and pycurl: libcurl's
# long poll under the sampler's signal ticks, as Lambda's runtime clients make it), Chromium for the HTML
# self-tests, jq and unzip for the layer and AWS-command tests.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
command -v apt-get >/dev/null 2>&1 || exit 0
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  ruby python3 python3-boto3 python3-numpy python3-requests python3-pandas python3-pycurl chromium jq unzip >/dev/null
