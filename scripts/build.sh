#!/usr/bin/env bash
# build.sh - configure (once) and build previrt with meson into ./build.
# Runs: host.  Used by: scripts/main.sh, scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${PREVIRT_BUILD:-build}
if [ ! -f "$BUILD/build.ninja" ]; then
  CC=clang-16 CXX=clang++-16 meson setup "$BUILD" --buildtype=debugoptimized "$@"
fi
ninja -C "$BUILD"
