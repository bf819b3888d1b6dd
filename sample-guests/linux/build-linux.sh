#!/bin/sh
# build-linux.sh - build Debian's Linux 6.1 for i386 with the previrt
# compiler pass as the one extra flag (KCFLAGS=-fpass-plugin=...), no
# source patches.  Runs: host (slow tier; several minutes on 2 cores).
# Usage: build-linux.sh OUTDIR PREVIRT_PASS_SO [CONFIG]
#   OUTDIR/linux-source-6.1   unpacked /usr/src/linux-source-6.1.tar.xz
#   OUTDIR/obj/vmlinux        the result (object tree, O=OUTDIR/obj)
#   CONFIG                    what to start from instead of tinyconfig +
#                             config-fragment: a .config file, or
#                             make:TARGET (e.g. make:i386_defconfig),
#                             optionally +FRAGMENT (a file of CONFIG_
#                             lines merged over it); the options previrt
#                             needs (config-required) go over it; or
#                             fragment+FRAGMENT: tinyconfig +
#                             config-fragment with FRAGMENT's lines
#                             replacing the same options' lines
# Needs: linux-source-6.1 bc flex bison cpio (scripts/deps.sh, PREVIRT_SLOW=1)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$(mkdir -p "$1" && cd "$1" && pwd)
pass=$2
user_config=${3:-}
tarball=/usr/src/linux-source-6.1.tar.xz
src=$out/linux-source-6.1
[ -f "$tarball" ] || { echo "build-linux: $tarball missing (apt-get install linux-source-6.1)"; exit 1; }
[ -f "$pass" ] || { echo "build-linux: pass plugin $pass missing"; exit 1; }
if [ ! -f "$src/Makefile" ]; then
	echo "build-linux: unpacking $tarball"
	t0=$(date +%s)
	tar -C "$out" -xJf "$tarball"
	echo "build-linux: unpacked in $(($(date +%s) - t0)) s"
fi
mk() { make -s -C "$src" O="$out/obj" ARCH=i386 LLVM=-16 "$@"; }
mkdir -p "$out/obj"
# What this configuration is made of: the fragment, or the user's base
# (a file or make:TARGET), an optional "+FRAGMENT" of the user's, and the
# required options.
want=$out/obj/.wanted
if [ -n "$user_config" ]; then
	base=${user_config%%+*} extra=
	[ "$base" = "$user_config" ] || extra=${user_config#*+}
	[ -z "$extra" ] || [ -f "$extra" ] ||
		{ echo "build-linux: fragment $extra missing"; exit 1; }
	frag=$out/obj/.fragment-merged
	mkdir -p "$out/obj"
	if [ "$base" = fragment ]; then
		# config-fragment, each option's last line winning
		base=make:tinyconfig
		cat "$here/config-fragment" ${extra:+"$extra"} | awk -F= '
			/^CONFIG_/ { if (!($1 in v)) k[++n] = $1; v[$1] = $0 }
			END { for (i = 1; i <= n; i++) print v[k[i]] }' > "$frag"
	else
		cat ${extra:+"$extra"} "$here/config-required" > "$frag"
	fi
	case $base in
	make:*) echo "$base" | cat - "$frag" > "$want.new" ;;
	*) cat "$base" "$frag" > "$want.new" ;;
	esac
else
	cp "$here/config-fragment" "$want.new"
	frag=$here/config-fragment
fi
if ! cmp -s "$want.new" "$want"; then
	if [ -n "$user_config" ] && [ "${base#make:}" != "$base" ]; then
		mk "${base#make:}"
	elif [ -n "$user_config" ]; then
		cp "$base" "$out/obj/.config"
	else
		mk tinyconfig
	fi
	"$src/scripts/kconfig/merge_config.sh" -m -O "$out/obj" \
		"$out/obj/.config" "$frag" >/dev/null
	mk olddefconfig
	mv "$want.new" "$want"
fi
rm -f "$want.new"
# Every line of the fragment must have survived Kconfig.
grep '^CONFIG_' "$frag" | while IFS= read -r opt; do
	case $opt in
	*=\"\") ! grep -q "^${opt%=*}=." "$out/obj/.config" || \
		grep -qx "$opt" "$out/obj/.config" || \
		{ echo "build-linux: Kconfig kept ${opt%=*} non-empty"; exit 1; } ;;
	*=n) ! grep -q "^${opt%=n}=" "$out/obj/.config" || \
		{ echo "build-linux: Kconfig kept ${opt%=n}"; exit 1; } ;;
	*) grep -qx "$opt" "$out/obj/.config" || \
		{ echo "build-linux: Kconfig dropped $opt"; exit 1; } ;;
	esac
done
echo "build-linux: building vmlinux (KCFLAGS=-fpass-plugin=$pass)"
# Progress: objects built so far, every 30 s (make -s prints nothing).
( while sleep 30; do
	echo "build-linux: ... $(find "$out/obj" -name '*.o' | wc -l) objects"
  done ) &
progress=$!
trap 'kill $progress 2>/dev/null' EXIT
t0=$(date +%s)
nice -n 10 make -s -C "$src" O="$out/obj" ARCH=i386 LLVM=-16 \
	KCFLAGS="-fpass-plugin=$pass" -j"$(nproc)" vmlinux
echo "build-linux: vmlinux built in $(($(date +%s) - t0)) s"
ls -l "$out/obj/vmlinux"
