#!/bin/sh
# build-linux.sh - build Debian's Linux 6.1 for i386 with the previrt
# compiler pass as the one extra flag (KCFLAGS=-fpass-plugin=...), no
# source patches.  Runs: host (slow tier; several minutes on 2 cores).
# Usage: build-linux.sh OUTDIR PREVIRT_PASS_SO
#   OUTDIR/linux-source-6.1   unpacked /usr/src/linux-source-6.1.tar.xz
#   OUTDIR/obj/vmlinux        the result (object tree, O=OUTDIR/obj)
# Needs: linux-source-6.1 bc flex bison cpio (scripts/deps.sh, PREVIRT_SLOW=1)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$(mkdir -p "$1" && cd "$1" && pwd)
pass=$2
tarball=/usr/src/linux-source-6.1.tar.xz
src=$out/linux-source-6.1
[ -f "$tarball" ] || { echo "build-linux: $tarball missing (apt-get install linux-source-6.1)"; exit 1; }
[ -f "$pass" ] || { echo "build-linux: pass plugin $pass missing"; exit 1; }
if [ ! -f "$src/Makefile" ]; then
	echo "build-linux: unpacking $tarball"
	tar -C "$out" -xJf "$tarball"
fi
mk() { make -s -C "$src" O="$out/obj" ARCH=i386 LLVM=-16 "$@"; }
mkdir -p "$out/obj"
if ! cmp -s "$here/config-fragment" "$out/obj/.fragment"; then
	mk tinyconfig
	"$src/scripts/kconfig/merge_config.sh" -m -O "$out/obj" \
		"$out/obj/.config" "$here/config-fragment" >/dev/null
	mk olddefconfig
	cp "$here/config-fragment" "$out/obj/.fragment"
fi
# Every line of the fragment must have survived Kconfig.
grep '^CONFIG_' "$here/config-fragment" | while IFS= read -r opt; do
	case $opt in
	*=n) ! grep -q "^${opt%=n}=" "$out/obj/.config" || \
		{ echo "build-linux: Kconfig kept ${opt%=n}"; exit 1; } ;;
	*) grep -qx "$opt" "$out/obj/.config" || \
		{ echo "build-linux: Kconfig dropped $opt"; exit 1; } ;;
	esac
done
echo "build-linux: building vmlinux (KCFLAGS=-fpass-plugin=$pass)"
nice -n 10 make -s -C "$src" O="$out/obj" ARCH=i386 LLVM=-16 \
	KCFLAGS="-fpass-plugin=$pass" -j2 vmlinux
ls -l "$out/obj/vmlinux"
