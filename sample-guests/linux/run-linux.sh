#!/bin/sh
# run-linux.sh - the Linux half of the rewriter's slow tier: rewrite the
# pass-built vmlinux (--check), compare its report with objdump, pack an
# initramfs whose /init runs the benchmark programs, boot the rewritten
# vmlinux natively through PVH (previrt-run --backend=native) and check
# the BENCH lines.
# Runs: host (meson test --suite slow, after build-linux.sh).
# Usage: run-linux.sh OUTDIR REWRITER OBJDUMP_COUNT_PY PREVIRT_RUN
#                     BENCH_PROG... [--helpers HELPER...]
#   OUTDIR holds obj/vmlinux from build-linux.sh; results go to OUTDIR.
# The boot line is only the user's: the rewriter records the memmap=
# that keeps its trampoline segment reserved in the image
# (.note.previrt), and previrt-run adds it (docs/rewriter.md).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
out=$1 rw=$2 count=$3 run=$4
shift 4
vmlinux=$out/obj/vmlinux
[ -f "$vmlinux" ] || { echo "run-linux: $vmlinux missing (run build-linux.sh)"; exit 1; }
"$rw" "$vmlinux" -o "$out/vmlinux.rw" --check --report "$out/linux-report.json"
python3 "$count" --report "$out/linux-report.json" "$out/vmlinux.rw"
linux_initramfs "$out" "$@"
echo "run-linux: booting $out/vmlinux.rw natively"
timeout 600 "$run" --backend=native "$out/vmlinux.rw" --timeout 500 \
	--module "$out/initramfs.cpio" --mem 256M \
	--append "console=ttyS0 panic=-1" > "$out/linux-boot.log" 2>&1 || true
grep -E '^(BENCH|previrt-linux-init)' "$out/linux-boot.log" || true
want=$(linux_want "$@")
got=$(linux_got "$out/linux-boot.log")
if [ "$got" -lt "$want" ] || ! grep -q 'previrt-linux-init: done, .* all ok' "$out/linux-boot.log"; then
	echo "run-linux: FAIL ($got of $want BENCH lines); log tail:"
	tail -30 "$out/linux-boot.log"
	exit 1
fi
echo "run-linux: PASS ($got BENCH lines from the rewritten vmlinux)"
