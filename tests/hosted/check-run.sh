#!/usr/bin/env bash
# check-run.sh - run one guest under previrt-hosted and check its exit
# status, its console output and its stderr.  Runs: host (meson test
# --suite hosted).
# Usage: check-run.sh PREVIRT_HOSTED IMAGE STATUS OUT_REGEX|EMPTY [ERR_REGEX]
#   [-- extra previrt-hosted args]
set -u
bin=$1 image=$2 want=$3 out_re=$4 err_re=${5:-}
shift 5 2>/dev/null || shift 4
[ "${1:-}" = "--" ] && shift
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
# HOSTED_INPUT: bytes for the guest's console input (else /dev/null)
if [ -n "${HOSTED_INPUT:-}" ]; then
  printf '%s' "$HOSTED_INPUT" | timeout 120 "$bin" "$image" "$@" >"$out" 2>"$err"
else
  timeout 120 "$bin" "$image" "$@" </dev/null >"$out" 2>"$err"
fi
rc=$?
cat "$out"; cat "$err" >&2
fail=0
[ "$rc" = "$want" ] || { echo "check-run: exit status $rc, want $want"; fail=1; }
if [ "$out_re" = "EMPTY" ]; then
  [ ! -s "$out" ] || { echo "check-run: guest output where none was expected"; fail=1; }
else
  grep -Eq "$out_re" "$out" || { echo "check-run: output lacks /$out_re/"; fail=1; }
fi
if [ -n "$err_re" ]; then
  grep -Eq "$err_re" "$err" || { echo "check-run: stderr lacks /$err_re/"; fail=1; }
fi
[ $fail = 0 ] && echo "check-run: PASS" || echo "check-run: FAIL"
exit $fail
