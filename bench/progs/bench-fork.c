/*
 * bench-fork.c - fork + exit + wait: cycles per child lifetime as seen by
 * the parent.  Runs: ring 3 (sample kernel or Linux).
 * Prints: BENCH fork-exit-wait <cycles> cycles
 */
#include "lib/ulib.h"

#define N 20

int main(int argc, char **argv)
{
	int i, pid, st;
	u64 t;

	(void)argc;
	(void)argv;
	t = rdtsc();
	for (i = 0; i < N; i++) {
		if ((pid = fork()) == 0)
			exit(i);
		if (pid < 0 || waitpid(pid, &st, 0) != pid ||
		    WEXITSTATUS(st) != i)
			return 1;
	}
	t = rdtsc() - t;
	printf("BENCH fork-exit-wait %llu cycles\n", t / N);
	return 0;
}
