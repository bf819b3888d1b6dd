#!/bin/sh
# check-behave.sh - behaviour test of previrt-rewrite: run a static i386
# program, rewrite it (--check), run the rewritten one; the outputs must
# match and the rewrite must have made trampolines.
# Runs: host (meson test --suite rewriter).
# Usage: check-behave.sh REWRITER PROG OUTDIR
set -eu
rw=$1 prog=$2 out=$3
mkdir -p "$out"
"$prog" a b > "$out/before.txt"
"$rw" "$prog" -o "$out/behave.rw" --check --report "$out/behave.json" \
	2> "$out/rewrite.txt" || { cat "$out/rewrite.txt"; exit 1; }
"$out/behave.rw" a b > "$out/after.txt"
if ! cmp -s "$out/before.txt" "$out/after.txt"; then
	echo "check-behave: output differs after rewriting:"
	diff "$out/before.txt" "$out/after.txt" || true
	exit 1
fi
windows=$(sed -n 's/.*"windows": \([0-9]*\).*/\1/p' "$out/behave.json")
[ "${windows:-0}" -gt 0 ] || { echo "check-behave: no trampolines made"; exit 1; }
cat "$out/rewrite.txt"
echo "check-behave: PASS ($windows windows, identical output)"
