/*
 * bench-pipe.c - pipe round trip between two processes: the parent
 * writes one byte, the child echoes it back over a second pipe.  Cycles
 * per round trip by rdtsc.  Runs: ring 3 (sample kernel or Linux).
 * Prints: BENCH pipe-roundtrip <cycles> cycles
 */
#include "lib/ulib.h"

#define N 200

static void echo_child(int in, int out)
{
	char c;

	while (read(in, &c, 1) == 1)
		if (write(out, &c, 1) != 1)
			exit(2);
	exit(0);
}

int main(int argc, char **argv)
{
	int to[2], from[2], i, pid, st;
	char c = 'x';
	u64 t;

	(void)argc;
	(void)argv;
	if (pipe(to) < 0 || pipe(from) < 0)
		return 1;
	if ((pid = fork()) == 0) {
		close(to[1]);
		close(from[0]);
		echo_child(to[0], from[1]);
	}
	close(to[0]);
	close(from[1]);
	t = rdtsc();
	for (i = 0; i < N; i++)
		if (write(to[1], &c, 1) != 1 || read(from[0], &c, 1) != 1)
			return 1;
	t = rdtsc() - t;
	close(to[1]);
	if (waitpid(pid, &st, 0) != pid || st != 0)
		return 1;
	printf("BENCH pipe-roundtrip %llu cycles\n", t / N);
	return 0;
}
