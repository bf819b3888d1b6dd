# text.sh - macro workload "shell-text": text processing with many
# fork/exec (awk, sort, uniq, sed, grep, md5sum, a 200-round shell loop).
# Runs: busybox sh in the Linux guest (bench-run hashes what it prints).
set -e
mkdir -p /tmp/text && cd /tmp/text
awk 'BEGIN { for (i = 0; i < 20000; i++)
	printf "%d %s %d\n", (i * 7919) % 1000,
	       substr("alphabetagammadeltaepsil", (i % 5) * 5 + 1, 5), i % 97 }' > in.txt
sort -n in.txt | uniq -c | sort -rn | head -20
awk '{ s[$2] += $3 } END { for (k in s) print k, s[k] }' in.txt | sort
sed -e 's/alpha/ALPHA/g' in.txt | grep -c ALPHA
i=0
while [ $i -lt 200 ]; do echo "line $i" | md5sum; i=$((i + 1)); done | md5sum
wc -l -w -c < in.txt
