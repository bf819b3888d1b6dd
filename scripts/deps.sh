#!/usr/bin/env bash
# deps.sh - install previrt's Debian 12 build and test dependencies.
# Runs: host, as root (or with sudo).  A no-op when everything is present.
# Used by: scripts/main.sh, scripts/test.sh, .ci/run.
set -euo pipefail

PKGS=(
  clang-16 llvm-16-dev llvm-16-tools lld-16 libclang-rt-16-dev
  libelf-dev libcriterion-dev meson ninja-build pkg-config
  qemu-system-x86 gcc-multilib binutils
  libxen-dev libseccomp-dev gnuplot-nox python3 xz-utils
  user-mode-linux grub-pc-bin grub-common xorriso mtools
)
# Linux source only for the Linux guest (tools/previrt-linux, slow tier);
# its userland is Debian's i386 busybox, fetched by previrt-linux with
# apt-get download once dpkg knows the i386 architecture.
SUDO=; [ "$(id -u)" -ne 0 ] && SUDO=sudo
if [ "${PREVIRT_SLOW:-0}" = 1 ]; then
  PKGS+=(linux-source-6.1 bc flex bison libssl-dev cpio)
  if ! dpkg --print-foreign-architectures | grep -qx i386; then
    $SUDO dpkg --add-architecture i386
    $SUDO apt-get update -qq
  fi
fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
    || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
