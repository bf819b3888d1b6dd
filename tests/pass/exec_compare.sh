#!/usr/bin/env bash
# exec_compare.sh - run the exec test built without and with the pass and
# require identical, complete output.  Runs: host (meson test --suite pass).
# Usage: exec_compare.sh PLAIN_EXE MARKED_EXE
set -euo pipefail
plain=$("$1") || { echo "FAIL: $1 exited $?" >&2; exit 1; }
marked=$("$2") || { echo "FAIL: $2 exited $?" >&2; exit 1; }
echo "$marked"
grep -q '^exec_sensitive: done$' <<<"$marked" || { echo "FAIL: $2 incomplete" >&2; exit 1; }
if [ "$plain" != "$marked" ]; then
  echo "FAIL: outputs differ (plain vs marked):" >&2
  diff <(echo "$plain") <(echo "$marked") >&2 || true
  exit 1
fi
echo "ok: identical output with and without the pass"
