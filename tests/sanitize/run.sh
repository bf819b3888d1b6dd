#!/bin/sh
# run.sh - the default test tier again in a second build with ASan and
# UBSan (meson -Db_sanitize=address,undefined): every host tool and test
# instrumented with both, except what runs inside another program (the
# compiler pass in clang, qprof in QEMU: none) and previrt-hosted with its
# afterburner, which owns the low 4 GiB ASan's shadow would take (UBSan
# only).  Any report stops the test that made it (halt_on_error).
# Runs: host (meson test --suite slow: sanitize).
# Usage: tests/sanitize/run.sh SOURCE_DIR SANITIZE_BUILD_DIR
set -eu
src=$1 san=$2
if [ ! -f "$san/build.ninja" ]; then
	CC=clang-16 CXX=clang++-16 meson setup "$san" "$src" \
		--buildtype=debugoptimized -Db_sanitize=address,undefined \
		-Dfuzz=false
fi
ninja -C "$san"
# Leak reports at exit would only name test fixtures and one-shot tools.
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=0
meson test -C "$san" --no-suite slow --no-suite fuzz --num-processes 2 \
	--print-errorlogs
