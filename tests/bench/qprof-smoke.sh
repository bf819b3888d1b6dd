#!/bin/sh
# qprof-smoke.sh - the instruction profiler end to end: boot the sample
# guest natively under libqprof.so, symbolise with previrt-qprof, expect
# guest-kernel instructions in kernel functions; a damaged profile must be
# refused with a message.  Runs: host (meson test --suite bench).
# Usage: qprof-smoke.sh PREVIRT-RUN LIBQPROF PREVIRT-QPROF SAMPLE-ELF
set -eu
run=$1 plugin=$2 qprof=$3 elf=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$run" --backend=native --qemu-arg=-plugin \
	--qemu-arg="$plugin,out=$tmp/p" --append "notests nobench" "$elf" \
	> "$tmp/log" 2>&1 || { cat "$tmp/log"; exit 1; }
test -s "$tmp/p" || { echo "qprof-smoke: no profile written"; exit 1; }
"$qprof" "$tmp/p" --elf "$elf" --top 50 > "$tmp/out"
cat "$tmp/out"
awk '$1 == "kernel" && $2 > 100000 { ok = 1 } END { exit !ok }' "$tmp/out" ||
	{ echo "qprof-smoke: no guest-kernel instructions counted"; exit 1; }
grep -q "kernel:kmain\|kernel:memset" "$tmp/out" ||
	{ echo "qprof-smoke: kernel symbols missing"; exit 1; }
echo "fd100000 x 1" > "$tmp/bad"
if "$qprof" "$tmp/bad" > "$tmp/err" 2>&1; then
	echo "qprof-smoke: a damaged profile was accepted"; exit 1
fi
grep -q "expected 'vaddr insns execs'\|not a number" "$tmp/err" ||
	{ cat "$tmp/err"; echo "qprof-smoke: unclear error"; exit 1; }
echo "qprof-smoke: ok"
