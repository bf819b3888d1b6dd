#!/bin/sh
# check-grub.sh - boot a GRUB CD image (tools/previrt-iso) in QEMU (TCG)
# and check the outcome like run-monitor.sh: the isa-debug-exit status
# and each PATTERN in the serial output ('!PATTERN': must not appear).
# Runs: host (meson test: baremetal-grub; previrt-linux grub).
# Usage: check-grub.sh ISO MEM_MIB STATUS PATTERN...
set -u
iso=$1 mem=$2 want=$3
shift 3
log=$(mktemp)
timeout 600 qemu-system-i386 -accel tcg -m "$mem" -cdrom "$iso" \
	-serial stdio -display none -monitor none -no-reboot \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 > "$log" 2>&1
rc=$?
out=$(tr -d '\033' < "$log")
rm -f "$log"
printf '%s\n' "$out" | grep -av '^\[' | tail -40
if [ "$want" != any ] && [ "$rc" -ne $((want * 2 + 1)) ]; then
	echo "check-grub: QEMU exit $rc, want $((want * 2 + 1)) (status $want)" >&2
	exit 1
fi
for p in "$@"; do
	case $p in
	!*) ! printf '%s\n' "$out" | grep -aqF -- "${p#!}" ||
		{ echo "check-grub: output has: ${p#!}" >&2; exit 1; } ;;
	*) printf '%s\n' "$out" | grep -aqF -- "$p" ||
		{ echo "check-grub: output lacks: $p" >&2; exit 1; } ;;
	esac
done
echo "check-grub: PASS"
