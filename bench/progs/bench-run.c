/*
 * bench-run.c - runs one macro workload of the Linux guest and measures
 * it: forks PROG ARGS... with its standard output on a pipe, reads and
 * hashes everything it prints (FNV-1a, 64 bits), waits for it.  The hash
 * lets previrt-linux check that every way of running printed the same.
 * Runs: ring 3 (Linux guest, the busybox initramfs; also the host).
 * Usage: bench-run NAME PROG [ARGS...]
 * Prints: BENCH NAME <cycles> cycles
 *         OUTPUT NAME <hash> <bytes> bytes
 * Exit: 0, or 1 when PROG could not run or exited non-zero.
 */
#include "lib/ulib.h"

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME  0x100000001b3ull

static u64 hash_fd(int fd, u64 *bytes)
{
	static unsigned char buf[8192];
	u64 h = FNV_OFFSET;
	int n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (int i = 0; i < n; i++)
			h = (h ^ buf[i]) * FNV_PRIME;
		*bytes += (u64)n;
	}
	return h;
}

int main(int argc, char **argv)
{
	static char *envp[] = { "PATH=/bin:/sbin", "LC_ALL=C", NULL };
	int fds[2], status = -1, pid;
	u64 bytes = 0, t0, h;

	if (argc < 3) {
		printf("usage: bench-run NAME PROG [ARGS...]\n");
		return 1;
	}
	if (pipe(fds) < 0)
		return 1;
	t0 = rdtsc();
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execve(argv[2], argv + 2, envp);
		exit(127);
	}
	close(fds[1]);
	h = hash_fd(fds[0], &bytes);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		status = -1;
	printf("BENCH %s %llu cycles\n", argv[1], rdtsc() - t0);
	printf("OUTPUT %s %x%x %llu bytes\n", argv[1], (u32)(h >> 32), (u32)h,
	       bytes);
	if (status != 0)
		printf("bench-run: %s: %s exit status 0x%x\n", argv[1], argv[2],
		       (u32)status);
	return status != 0;
}
