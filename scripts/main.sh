#!/usr/bin/env bash
# main.sh - the README's main job: install dependencies, build everything,
# boot the sample guest natively (plain and previrtualised) and on every
# backend and print its overhead table; then the same for Linux 6.1
# (tools/previrt-linux: rebuilt with the one extra flag, cached in
# linux-out/ after the first run, booted with Debian's busybox on every
# backend with identical workload output, its table).
# Runs: host.  Usage: bash scripts/main.sh [--runs N] [--no-linux]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=3 LINUX=1
while [ $# -gt 0 ]; do
  case $1 in
  --runs) RUNS=${2:?--runs needs a number}; shift 2 ;;
  --no-linux) LINUX=0; shift ;;
  *) echo "usage: bash scripts/main.sh [--runs N] [--no-linux]" >&2; exit 2 ;;
  esac
done
BUILD=${PREVIRT_BUILD:-build}

bash scripts/deps.sh
bash scripts/build.sh

RUN="$BUILD/tools/previrt-run"
IMAGE="$BUILD/sample-guests/sample.elf"   # pass + rewriter: the previrtualised image
PLAIN="$BUILD/sample-guests/sample-plain.elf"

boot() {   # boot LABEL BACKEND IMAGE: show the summary and benchmark lines
  local label=$1 backend=$2 image=$3 log status=0
  log=$(mktemp)
  echo "== $label: previrt-run --backend=$backend $image"
  "$RUN" --backend="$backend" "$image" >"$log" 2>&1 || status=$?
  grep -E '^(SUMMARY|BENCH|BOOT|previrt-run:)|FAILED' "$log" | sed 's/^/   /' || true
  echo "   exit status $status"
  rm -f "$log"
}

boot "native, plain image" native "$PLAIN"
boot "native, previrtualised image" native "$IMAGE"
for backend in hosted baremetal; do
  if "$RUN" --help 2>&1 | grep -qw "$backend"; then
    boot "$backend backend, same image" "$backend" "$IMAGE"
  else
    echo "== $backend backend: not available in this build"
  fi
done

echo "== benchmark suite (--runs $RUNS), results in bench-out/"
python3 bench/previrt-bench --runs "$RUNS" --out bench-out --build "$BUILD"

[ "$LINUX" = 1 ] || exit 0
# The suite boots every configuration and checks that each finished and
# printed the same workload output; previrt-linux boot and grub (the
# same checks, GRUB) are in its 'all' and the slow tier.
echo "== Linux 6.1: tools/previrt-linux --out linux-out build initramfs bench"
PREVIRT_SLOW=1 bash scripts/deps.sh
tools/previrt-linux --out linux-out --build "$BUILD" build initramfs \
  bench --runs "$RUNS" --configs native,baremetal,hosted,host,host64,uml --icount \
  --no-profile
