/*
 * bench-getpid.c - null system call: getpid() through int $0x80, cycles
 * per call by rdtsc.  Runs: ring 3 (sample kernel or Linux).
 * Prints: BENCH null-syscall <cycles> cycles
 */
#include "lib/ulib.h"

#define N 2000

int main(int argc, char **argv)
{
	u64 t;
	int i, pid = getpid();

	(void)argc;
	(void)argv;
	t = rdtsc();
	for (i = 0; i < N; i++)
		if (getpid() != pid)
			return 1;
	t = rdtsc() - t;
	printf("BENCH null-syscall %llu cycles\n", t / N);
	return 0;
}
