#!/usr/bin/env bash
# main.sh - the README's main job: install dependencies, build everything,
# boot the sample guest natively (plain and previrtualised) and on every
# backend, then run the benchmark suite with a small N and print the
# overhead table.  Runs: host.  Usage: bash scripts/main.sh [--runs N]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=3
[ "${1:-}" = --runs ] && RUNS=${2:?--runs needs a number}
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
