#!/bin/sh
# run.sh - run the rewriter's libFuzzer target for a while, single process,
# niced, seeded with the test images.  Runs: host.
# Usage: tests/fuzz/run.sh BUILD_DIR [SECONDS]   (BUILD_DIR configured with
#        -Dfuzz=true; default 180 s).  Corpus: BUILD_DIR/fuzz-corpus.
set -eu
build=$1 secs=${2:-180}
corpus=$build/fuzz-corpus
mkdir -p "$corpus"
for f in "$build"/tests/rewriter/e2e.elf "$build"/tests/rewriter/bad.elf \
	 "$build"/sample-guests/sample.elf; do
	[ -f "$f" ] && cp "$f" "$corpus/seed-$(basename "$f")"
done
exec nice -n 10 "$build"/tests/fuzz/fuzz-rw-reader -max_total_time="$secs" \
	-max_len=262144 -rss_limit_mb=4096 -print_final_stats=1 "$corpus"
