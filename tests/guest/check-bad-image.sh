#!/bin/sh
# check-bad-image.sh - previrt-run on corrupt copies of a good image, on
# every backend: each must be refused (non-zero status below 124, a
# message on stderr), never crash or hang.  The copies are made here from
# the good image (no binaries committed).  Runs: host, meson test
# (guest-bad-images).  Usage: check-bad-image.sh PREVIRT_RUN IMAGE
set -u
run=$1 img=$2
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
python3 - "$img" "$tmp" <<'PY' || exit 1
import struct, sys
src, out = sys.argv[1], sys.argv[2]
good = open(src, "rb").read()
def put(name, data):
    open("%s/%s.elf" % (out, name), "wb").write(data)
def field(name, off, fmt, val):
    b = bytearray(good)
    struct.pack_into(fmt, b, off, val)
    put(name, bytes(b))
field("phoff-wraps-4g", 28, "<I", 0xffffffe0)   # e_phoff + 32 wraps to 0
field("phoff-past-end", 28, "<I", len(good) - 8)
field("phnum-huge", 44, "<H", 0xffff)
put("truncated-header", good[:40])
put("not-elf", b"\x7fELG" + good[4:4096])
PY
fail=0
for f in "$tmp"/*.elf; do
	for be in native hosted baremetal; do
		timeout 120 "$run" --backend="$be" "$f" --timeout 30 \
			>/dev/null 2>"$tmp/err"
		rc=$?
		if [ "$rc" -eq 0 ] || [ "$rc" -ge 124 ] || [ ! -s "$tmp/err" ]; then
			echo "bad-image: $(basename "$f") on $be: status $rc, stderr: $(head -c 300 "$tmp/err")" >&2
			fail=1
		fi
	done
done
[ "$fail" -eq 0 ] && echo "bad-image: every corrupt image refused on every backend"
exit "$fail"
