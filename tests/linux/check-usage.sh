#!/bin/sh
# check-usage.sh - tools/previrt-linux and tools/previrt-iso refuse bad
# command lines and missing inputs with a message and a non-zero exit,
# before any long step.  Runs: host (meson test --suite linux-tools,
# default tier: no kernel needed).
# Usage: check-usage.sh PREVIRT_LINUX PREVIRT_ISO BUILD_DIR
set -u
pl=$1 iso=$2 build=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
# expect STATUS TEXT CMD...: CMD exits STATUS and its stderr has TEXT.
expect() {
	want=$1 text=$2
	shift 2
	"$@" > "$tmp/out" 2> "$tmp/err"
	got=$?
	if [ "$got" -ne "$want" ] || ! grep -qF -- "$text" "$tmp/err"; then
		echo "check-usage: '$*' exited $got (want $want), stderr:"
		sed 's/^/    /' "$tmp/err"
		fail=1
	fi
}
expect 2 "unknown command frob" bash "$pl" --out "$tmp/o" --build "$build" frob
expect 2 "unknown option --frob" bash "$pl" --frob
expect 2 "--config /nonexistent: no such file" bash "$pl" --config /nonexistent build
expect 2 "--config fragment /nonexistent: no such file" bash "$pl" --config fragment+/nonexistent build
expect 1 "vmlinux.rw missing" bash "$pl" --out "$tmp/o" --build "$build" boot
expect 1 "initramfs.cpio missing" bash "$pl" --out "$tmp/o" --build "$build" big
touch "$tmp/o/vmlinux.rw"
expect 1 "initramfs.cpio missing" bash "$pl" --out "$tmp/o" --build "$build" grub
expect 2 "no such file" bash "$iso" "$tmp/x.iso" --monitor /nonexistent.elf "$tmp/o/vmlinux.rw"
expect 2 "unknown option --frob" bash "$iso" "$tmp/x.iso" --frob x
[ "$fail" = 0 ] && echo "check-usage: PASS"
exit "$fail"
