/*
 * init.c - the first user process of the sample kernel: runs usertests,
 * then (unless started with "nobench") every benchmark program, each with
 * fork + execve + waitpid, and exits with the number of programs that
 * failed; the kernel turns init's exit into the SUMMARY line and the
 * debug-exit status.  Runs: ring 3 under the sample kernel.
 */
#include "../../bench/progs/lib/ulib.h"

static const char *const benches[] = {
	"bench-getpid", "bench-pipe", "bench-fork", "bench-pagefault",
	"bench-cpu",
};

/* fork + exec name; returns its wait status, or -1. */
static int run(const char *name)
{
	char *argv[2] = { (char *)name, NULL };
	int pid = fork(), st;

	if (pid == 0) {
		execve(name, argv, NULL);
		printf("init: execve %s failed\n", name);
		exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return st;
}

int main(int argc, char **argv)
{
	int nobench = argc > 1 && strcmp(argv[1], "nobench") == 0;
	int failed = 0, st;
	unsigned i;

	printf("init: pid %d\n", getpid());
	if ((st = run("usertests")) != 0) {
		printf("init: usertests exited with status %x\n", st);
		failed++;
	}
	for (i = 0; !nobench && i < sizeof(benches) / sizeof(benches[0]); i++)
		if ((st = run(benches[i])) != 0) {
			printf("init: %s exited with status %x\n", benches[i],
			       st);
			failed++;
		}
	return failed;
}
