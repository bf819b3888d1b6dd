# fs.sh - macro workload "tmpfs": file-system-heavy on tmpfs (create,
# append, rename, stat, find, read back, remove 1000 files in 20 dirs).
# Runs: busybox sh in the Linux guest (bench-run hashes what it prints).
set -e
rm -rf /tmp/fs && mkdir -p /tmp/fs && cd /tmp/fs
i=0
while [ $i -lt 1000 ]; do
	d=dir$((i % 20))
	[ -d $d ] || mkdir $d
	echo "file $i" > $d/f$i
	echo "more $i" >> $d/f$i
	i=$((i + 1))
done
for d in dir*; do mv $d/f1* $d/../ 2>/dev/null || true; done
find . -type f | wc -l
find . -type f | sort | xargs cat | md5sum
find . -type f -name 'f1*' | sort | head -5
rm -r dir1*
find . -type d | sort
find . -type f | wc -l
