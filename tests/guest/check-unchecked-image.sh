#!/bin/sh
# check-unchecked-image.sh - the loaders sweep the code of an image that
# previrt-rewrite did not check (afterburner/src/load.c): the pass-only
# sample image (its .S files' iret, pushf, popf unmarked) is refused on
# each backend with one line naming the first unmarked instruction, and
# the rewritten sample image, its check stamp cleared so that it is swept
# too, still runs (the sweep finds nothing in a complete image).
# Runs: host, meson test (guest-unchecked-image).
# Usage: check-unchecked-image.sh PREVIRT_RUN PASS_ONLY_IMAGE SAMPLE_IMAGE
set -u
run=$1 pass=$2 sample=$3
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
want='unmarked (iret|pushf|popf) at 0x[0-9a-f]{8} .*run previrt-rewrite'
for be in hosted baremetal; do
	timeout 120 "$run" --backend="$be" "$pass" --timeout 60 \
		> "$tmp/out" 2> "$tmp/err"
	rc=$?
	if [ "$rc" = 0 ] || [ "$rc" -ge 124 ] ||
	   ! grep -Eq "$want" "$tmp/err" "$tmp/out"; then
		echo "check-unchecked: $be ran the pass-only image (exit $rc):"
		tail -3 "$tmp/err" "$tmp/out"
		fail=1
	fi
done
# The sample image with its PV_NOTE_UNRESOLVED count set to 1.
python3 - "$sample" "$tmp/unstamped.elf" <<'PY' || exit 1
import sys
b = bytearray(open(sys.argv[1], "rb").read())
key = b"previrt\0" 
# note header: namesz 8, descsz 4, type 3, then the name
hdr = (8).to_bytes(4, "little") + (4).to_bytes(4, "little") + \
      (3).to_bytes(4, "little") + key
at = b.find(hdr)
if at < 0 or b[at + 20:at + 24] != b"\0\0\0\0":
    sys.exit("check-unchecked: no PV_NOTE_UNRESOLVED 0 in " + sys.argv[1])
b[at + 20:at + 24] = (1).to_bytes(4, "little")
open(sys.argv[2], "wb").write(b)
PY
timeout 120 "$run" --backend=hosted "$tmp/unstamped.elf" --append nobench \
	> "$tmp/out" 2> "$tmp/err"
rc=$?
if [ "$rc" != 0 ] || ! grep -q "^SUMMARY: .* 0 failed" "$tmp/out"; then
	echo "check-unchecked: the swept sample image did not run (exit $rc):"
	tail -3 "$tmp/err" "$tmp/out"
	fail=1
fi
[ "$fail" = 0 ] && echo "check-unchecked: PASS"
exit "$fail"
