# archive.sh - macro workload "archive": build a tree of 200 files, tar
# and gzip it, unpack it elsewhere and compare every file.  Printed are
# contents and names only (not sizes or times, which tar headers hold).
# Runs: busybox sh in the Linux guest (bench-run hashes what it prints).
set -e
rm -rf /tmp/arch && mkdir -p /tmp/arch/src /tmp/arch/out && cd /tmp/arch/src
i=0
while [ $i -lt 200 ]; do
	mkdir -p d$((i % 10))
	seq $i $((i * 20 + 1)) > d$((i % 10))/f$i
	i=$((i + 1))
done
cd /tmp/arch
tar -cf - src | gzip -6 > a.tgz
gunzip -c a.tgz | tar -xf - -C out
find src -type f | sort | xargs md5sum | md5sum
(cd out && find src -type f | sort | xargs md5sum) | md5sum
gunzip -c a.tgz | tar -tf - | sort | md5sum
