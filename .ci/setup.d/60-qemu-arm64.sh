#!/usr/bin/env bash
# qemu-user for the arm64 tests of coldprof-wrapper and coldprof-proxy
# (wrapper/arm64_test.go): with qemu-aarch64 registered in binfmt_misc, the
# static arm64 Go binaries exec like native ones, and the arm64 wrapper execs
# the machine's amd64 runtimes natively.
#
# Downloads Debian's qemu-user and the two libraries it needs that the
# machine lacks (libcapstone4, liburing2): about 13 MB, some 10 s to fetch and
# unpack here. qemu-user-static would be 63 MB; qemu-user-binfmt would pull in
# systemd or binfmt-support only to write the one registration line below.
#
# The registration uses the F flag (the kernel opens qemu-aarch64 once, here,
# so it also works from other mount namespaces, though qemu-user's shared
# libraries are then looked up in the caller's root) and P (qemu keeps the
# program's argv[0], as a native exec does; qemu 7.2 reads the kernel's
# AT_FLAGS for it). Idempotent: installs, mounts and registers only what is
# missing, then checks that an arm64 binary runs.
set -euo pipefail

if ! command -v qemu-aarch64 >/dev/null 2>&1; then
  command -v apt-get >/dev/null 2>&1 || { echo "60-qemu-arm64: no apt-get and no qemu-aarch64" >&2; exit 1; }
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends qemu-user >/dev/null
fi
qemu=$(command -v qemu-aarch64)

binfmt=/proc/sys/fs/binfmt_misc
if [ ! -e "$binfmt/register" ]; then
  mount -t binfmt_misc binfmt_misc "$binfmt"
fi
if [ "$(cat "$binfmt/status")" != enabled ]; then
  echo 1 >"$binfmt/status"
fi

# Any existing aarch64 entry (ours, or qemu-user-static's / qemu-user-binfmt's
# under the same name) is kept as long as it is enabled and its interpreter
# is still there; a stale one (its qemu removed) is replaced.
if [ -e "$binfmt/qemu-aarch64" ]; then
  interp=$(sed -n 's/^interpreter //p' "$binfmt/qemu-aarch64")
  if [ ! -x "$interp" ]; then
    echo -1 >"$binfmt/qemu-aarch64"
  fi
fi
if [ ! -e "$binfmt/qemu-aarch64" ]; then
  # ELF64, little-endian, e_machine EM_AARCH64 (0xb7); the mask ignores the
  # OS ABI byte and the low bit of e_type (ET_EXEC and ET_DYN both match).
  magic='\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00'
  mask='\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'
  printf ':qemu-aarch64:M::%s:%s:%s:FP\n' "$magic" "$mask" "$qemu" >"$binfmt/register"
fi
if ! grep -qx enabled "$binfmt/qemu-aarch64"; then
  echo 1 >"$binfmt/qemu-aarch64"
fi

# Check: a static arm64 Go binary execs directly (through binfmt_misc).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/main.go" <<'EOF'
package main

import (
	"fmt"
	"runtime"
)

func main() { fmt.Println(runtime.GOARCH) }
EOF
(cd "$tmp" && GOFLAGS= GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -o hello main.go)
out=$("$tmp/hello")
if [ "$out" != arm64 ]; then
  echo "60-qemu-arm64: arm64 binary printed '$out', want arm64" >&2
  exit 1
fi
echo "qemu-arm64: $qemu registered in $binfmt/qemu-aarch64 ($("$qemu" --version | head -1))"
