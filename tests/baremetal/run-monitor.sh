#!/bin/sh
# run-monitor.sh - boot monitor.elf with a guest in QEMU (TCG) and check
# the outcome.  Runs: host, from tests/baremetal/meson.build:
#   run-monitor.sh MONITOR GUEST STATUS APPEND PATTERN...
# $BM_QEMU_MEM: QEMU -m in MiB (default 144: the monitor's 16 MiB and
# the default 128 MiB of guest RAM).
# STATUS is the status the guest (or the monitor) writes to isa-debug-exit
# (QEMU exits with STATUS*2+1).  Each PATTERN must appear in the serial
# output; a PATTERN starting with '!' must not.  APPEND may be "".
set -u
mon=$1; guest=$2; want=$3; append=$4; shift 4
out=$(timeout 240 qemu-system-i386 -accel tcg -m "${BM_QEMU_MEM:-144}" -kernel "$mon" \
	-initrd "$guest" -append "$append" -serial stdio -display none \
	-no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 2>&1)
rc=$?
printf '%s\n' "$out"
if [ $((rc % 2)) -ne 1 ]; then
	echo "run-monitor: QEMU exit $rc: not through isa-debug-exit" >&2
	exit 1
fi
status=$(( (rc - 1) / 2 ))
if [ "$status" -ne "$want" ]; then
	echo "run-monitor: status $status, expected $want" >&2
	exit 1
fi
for p in "$@"; do
	case $p in
	!*)	if printf '%s\n' "$out" | grep -qF -- "${p#!}"; then
			echo "run-monitor: output has: ${p#!}" >&2
			exit 1
		fi ;;
	*)	if ! printf '%s\n' "$out" | grep -qF -- "$p"; then
			echo "run-monitor: output lacks: $p" >&2
			exit 1
		fi ;;
	esac
done
echo "run-monitor: ok (status $status)"
