#!/usr/bin/env bash
# run_filecheck.sh - FileCheck one C file's assembly built with the pass,
# and make sure the same checks FAIL on the assembly built without it.
# Runs: host (meson test --suite pass).
# Usage: run_filecheck.sh CLANG PLUGIN FILECHECK SRC OPT [PREFIX [FLAGS...]]
#   PREFIX RAW checks -fno-integrated-as output (the raw rewritten text).
set -euo pipefail
clang=$1 plugin=$2 filecheck=$3 src=$4 opt=$5 prefix=${6:-CHECK}
shift $(( $# < 6 ? $# : 6 ))
flags=(--target=i386-pc-none-elf -ffreestanding "$opt" -S -o - "$@")
[ "$prefix" = RAW ] && flags+=(-fno-integrated-as)

with=$("$clang" "${flags[@]}" -fpass-plugin="$plugin" "$src")
if ! "$filecheck" --check-prefix="$prefix" "$src" <<<"$with"; then
  echo "FAIL: $src $opt: checks do not hold with the pass" >&2
  exit 1
fi
without=$("$clang" "${flags[@]}" "$src")
if "$filecheck" --check-prefix="$prefix" "$src" <<<"$without" >/dev/null 2>&1; then
  echo "FAIL: $src $opt: checks also hold WITHOUT the pass (test is vacuous)" >&2
  exit 1
fi
echo "ok: $src $opt $prefix"
