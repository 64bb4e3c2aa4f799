#!/usr/bin/env bash
# Installs the Debian packages the test suite uses as references and tools: Chromium (UI tests), QEMU (the
# reference machine), the AArch64 cross toolchain (guest programs, objdump as decoder oracle), dtc, gdb.
# Fast when everything is already there.
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1; }
have chromium || need+=(chromium)
have qemu-system-aarch64 || need+=(qemu-system-arm)
have qemu-img || need+=(qemu-utils)
have aarch64-linux-gnu-gcc || need+=(gcc-aarch64-linux-gnu)
have aarch64-linux-gnu-objdump || need+=(binutils-aarch64-linux-gnu)
have dtc || need+=(device-tree-compiler)
have gdb-multiarch || need+=(gdb-multiarch)
have cpio || need+=(cpio)
have mkfs.ext4 || need+=(e2fsprogs)

if [ ${#need[@]} -eq 0 ]; then
  echo "test dependencies: all present"
  exit 0
fi

if ! have apt-get; then
  echo "test dependencies missing (${need[*]}) and apt-get is not available: install them by hand" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing Debian packages: ${need[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
