# common.sh - shell functions shared by run-linux.sh (native boot) and
# run-backend.sh (previrt backends): the benchmark initramfs, the BENCH
# count.  Runs: host; sourced (". common.sh"), not executed.

# OUTDIR/initramfs.cpio: /init (init.c) plus the benchmark programs and
# helpers given as arguments (mkcpio.py).
linux_initramfs() {
	out=$1
	shift
	clang-16 -m32 -static -O2 "$here/init.c" -o "$out/init"
	python3 "$here/mkcpio.py" "$out/initramfs.cpio" "$out/init" "$@"
}

# The number of benchmark programs (bench-*) among the arguments before
# --helpers; the others (isolation) print no BENCH line, only their exit
# status through /init.
linux_want() {
	n=0
	for a in "$@"; do
		[ "$a" = --helpers ] && break
		case ${a##*/} in bench-*) n=$((n + 1)) ;; esac
	done
	echo "$n"
}

# BENCH lines with a positive figure in LOG.
linux_got() {
	grep -cE '^BENCH [a-z0-9-]+ [1-9][0-9]* [a-z]+' "$1" || true
}
