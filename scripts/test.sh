#!/usr/bin/env bash
# test.sh - the README's test command: install deps, build, run every test.
# Runs: host.  Usage: bash scripts/test.sh [--slow]
#   --slow  also runs the slow tier (Linux 6.1 build and boots, long benches).
set -euo pipefail
cd "$(dirname "$0")/.."
SUITES=(--no-suite slow)
if [ "${1:-}" = --slow ]; then export PREVIRT_SLOW=1; SUITES=(); fi
bash scripts/deps.sh
bash scripts/build.sh
status=0
meson test -C "${PREVIRT_BUILD:-build}" --print-errorlogs -t 3 "${SUITES[@]}" || status=$?
python3 scripts/summarize-tests.py "${PREVIRT_BUILD:-build}/meson-logs/testlog.json"
exit $status
