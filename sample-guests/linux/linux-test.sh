#!/bin/sh
# linux-test.sh - the slow-tier test: build Linux 6.1 with the pass
# (build-linux.sh), then rewrite, check and boot it (run-linux.sh).
# Runs: host (meson test --suite slow: rw-linux).
# Usage: linux-test.sh OUTDIR PASS_SO REWRITER OBJDUMP_COUNT_PY PREVIRT_RUN
#                      BENCH...
#                      [--helpers HELPER...]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$1 pass=$2
shift 2
sh "$here/build-linux.sh" "$out" "$pass"
exec sh "$here/run-linux.sh" "$out" "$@"
