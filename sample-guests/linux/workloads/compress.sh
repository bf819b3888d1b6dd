# compress.sh - macro workload "compress": CPU and memory bound, about
# 5 MiB of text through gzip -6 and back, twice.  Sizes and contents are
# printed (gzip's header time is 0 for a pipe, so sizes are stable).
# Runs: busybox sh in the Linux guest (bench-run hashes what it prints).
set -e
seq 1 700000 > /tmp/c.txt
md5sum < /tmp/c.txt
gzip -6 < /tmp/c.txt > /tmp/c.gz
gunzip < /tmp/c.gz | md5sum
gzip -1 < /tmp/c.txt | gunzip | md5sum
rm -f /tmp/c.txt /tmp/c.gz
