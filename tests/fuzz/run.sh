#!/bin/sh
# run.sh - run one libFuzzer target for a while, single process, niced,
# seeded with the test images; its final statistics (executions, their
# rate, coverage) are printed.  Runs: host (meson test: fuzz-*-short in
# the default tier, fuzz-*-long in the slow tier).
# Usage: tests/fuzz/run.sh BUILD_DIR [SECONDS] [TARGET]
#   default 180 s, TARGET fuzz-rw-reader.  Corpus: BUILD_DIR/fuzz-corpus/TARGET.
set -eu
build=$1 secs=${2:-180} target=${3:-fuzz-rw-reader}
corpus=$build/fuzz-corpus/$target
mkdir -p "$corpus"
for f in "$build"/tests/rewriter/e2e.elf "$build"/tests/rewriter/bad.elf \
	 "$build"/tests/rewriter/e2e-linux.elf "$build"/sample-guests/sample.elf \
	 "$build"/tests/rewriter/e2e-out/e2e-linux.rw.elf; do
	[ -f "$f" ] && cp "$f" "$corpus/seed-$(basename "$f")"
done
# libFuzzer's own failure status is 77, which meson reads as "skipped".
exec nice -n 10 "$build/tests/fuzz/$target" -max_total_time="$secs" \
	-max_len=262144 -rss_limit_mb=4096 -print_final_stats=1 \
	-error_exitcode=1 -timeout_exitcode=1 "$corpus"
