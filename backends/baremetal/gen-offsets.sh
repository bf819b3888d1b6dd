#!/bin/sh
# gen-offsets.sh - turn offsets.c into bm-offsets.h for the monitor's .S
# files.  Runs: build host, from backends/baremetal/meson.build:
#   gen-offsets.sh CLANG OUTPUT INPUT.c -I... -I...
set -eu
cc=$1; out=$2; in=$3; shift 3
tmp=$out.s
"$cc" --target=i386-pc-none-elf -ffreestanding -S "$@" "$in" -o "$tmp"
{
	echo "/* bm-offsets.h - generated from offsets.c by gen-offsets.sh:"
	echo " * generated — do not edit. */"
	sed -n 's/.*"->\([A-Za-z_0-9]*\) \([0-9-]*\)".*/\1 \2/p' "$tmp" |
	awk '{ v = $2; if (v < 0) v += 4294967296;
	       printf "#define %s 0x%x\n", $1, v }'
} > "$out"
rm -f "$tmp"
grep -q R_SIZE "$out" || { echo "gen-offsets: no offsets in $out" >&2; exit 1; }
