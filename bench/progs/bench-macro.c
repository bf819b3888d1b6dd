/*
 * bench-macro.c - a shell-like macro workload: ROUNDS times the pipeline
 * "bench-gen 32768 | bench-sum 32768" (pipe, 2 x fork, dup2, execve,
 * 32 KiB through the pipe, 2 x wait).  Cycles per pipeline by rdtsc.
 * The helpers are looked up next to argv[0] (Linux) or by name (sample
 * kernel).  Runs: ring 3 (sample kernel or Linux).
 * Prints: BENCH macro-pipeline <cycles> cycles
 */
#include "lib/ulib.h"

#define ROUNDS 6

static char gen_path[256], sum_path[256];

/* dir of argv0 (with '/') + name, or just name. */
static void sibling(char *out, const char *argv0, const char *name)
{
	int i, cut = -1;

	for (i = 0; argv0[i] && i < 200; i++)
		if (argv0[i] == '/')
			cut = i;
	memcpy(out, argv0, cut + 1);
	memcpy(out + cut + 1, name, strlen(name) + 1);
}

static int spawn(const char *path, const char *name, int fd, int target,
		 int other)
{
	char *argv[3] = { (char *)name, "32768", NULL };
	int pid = fork();

	if (pid == 0) {
		if (dup2(fd, target) != target)
			exit(120);
		close(fd);
		close(other);
		execve(path, argv, NULL);
		exit(121);
	}
	return pid;
}

static int pipeline(void)
{
	int fds[2], a, b, sa, sb;

	if (pipe(fds) < 0)
		return -1;
	a = spawn(gen_path, "bench-gen", fds[1], 1, fds[0]);
	b = spawn(sum_path, "bench-sum", fds[0], 0, fds[1]);
	close(fds[0]);
	close(fds[1]);
	if (a < 0 || b < 0 || waitpid(a, &sa, 0) != a ||
	    waitpid(b, &sb, 0) != b)
		return -1;
	return sa == 0 && sb == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	u64 t;
	int i;

	(void)argc;
	sibling(gen_path, argv[0], "bench-gen");
	sibling(sum_path, argv[0], "bench-sum");
	t = rdtsc();
	for (i = 0; i < ROUNDS; i++)
		if (pipeline() < 0) {
			printf("bench-macro: pipeline %d failed\n", i);
			return 1;
		}
	t = rdtsc() - t;
	printf("BENCH macro-pipeline %llu cycles\n", t / ROUNDS);
	return 0;
}
