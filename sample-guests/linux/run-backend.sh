#!/bin/sh
# run-backend.sh - boot the previrtualised Linux 6.1 (the same rewritten
# vmlinux that boots natively, see run-linux.sh) on a previrt backend
# through previrt-run, into the initramfs whose /init runs the benchmark
# programs and restarts the machine; check every BENCH line, init's
# "all ok" and the clean restart (8042 reset: exit status 0).
# Runs: host (meson test --suite linux: linux-hosted, linux-baremetal).
# Usage: run-backend.sh OUTDIR BACKEND PREVIRT_RUN PASS_SO REWRITER
#                       BENCH_PROG... [--helpers HELPER...]
#   OUTDIR is shared with rw-linux (build-linux.sh does nothing when the
#   kernel is up to date); the log goes to OUTDIR/linux-BACKEND.log.
# Boot line: only the user's; the loader adds the image's own boot
# arguments (.note.previrt: memmap= for the trampoline segment,
# reservetop= for the runtime's wedge).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
[ $# -ge 6 ] || { echo "usage: run-backend.sh OUTDIR BACKEND PREVIRT_RUN PASS_SO REWRITER BENCH_PROG... [--helpers HELPER...]"; exit 2; }
out=$1 backend=$2 run=$3 pass=$4 rw=$5
shift 5
sh "$here/build-linux.sh" "$out" "$pass"
# The same files, by the same commands, as run-linux.sh (rw-linux).
img=$out/vmlinux.rw
"$rw" "$out/obj/vmlinux" -o "$img" --check --report "$out/linux-report.json" >/dev/null
linux_initramfs "$out" "$@"
log=$out/linux-$backend.log
echo "run-backend: booting $img on $backend"
rc=0
timeout 900 "$run" --backend="$backend" "$img" \
	--module "$out/initramfs.cpio" --timeout 800 \
	--append "console=ttyS0 panic=-1" \
	> "$log" 2>&1 || rc=$?
grep -E '^(BENCH|previrt-linux-init)' "$log" || true
want=$(linux_want "$@")
got=$(linux_got "$log")
if [ "$rc" -ne 0 ] || [ "$got" -lt "$want" ] ||
   ! grep -q 'previrt-linux-init: done, .* all ok' "$log" ||
   ! grep -q '^reboot: Restarting system' "$log" ||
   grep -q 'Kernel panic' "$log"; then
	echo "run-backend: FAIL on $backend (exit $rc, $got of $want BENCH lines); log tail:"
	tail -30 "$log"
	exit 1
fi
echo "run-backend: PASS on $backend ($got BENCH lines, clean restart)"
