/*
 * init.c - the first user process of the sample kernel: runs usertests
 * (unless argv holds "notests"), every benchmark program (unless
 * "nobench"), then each program named by a "run=NAME" argument (an
 * embedded program or a PVH module "module0".."module7"), each with
 * fork + execve + waitpid, and exits with the number that failed; the
 * kernel turns init's exit into the SUMMARY line and the
 * debug-exit status.  Runs: ring 3 under the sample kernel.
 */
#include "../../bench/progs/lib/ulib.h"

static const char *const benches[] = {
	"bench-getpid", "bench-pipe", "bench-fork", "bench-pagefault",
	"bench-cpu", "bench-macro",
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

/* Run name; count it as failed unless it exits 0. */
static int run_check(const char *name)
{
	int st = run(name);

	if (st == 0)
		return 0;
	printf("init: %s exited with status %x\n", name, st);
	return 1;
}

static int has_arg(int argc, char **argv, const char *word)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], word) == 0)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	int failed = 0, i;
	unsigned b;

	printf("init: pid %d\n", getpid());
	if (!has_arg(argc, argv, "notests"))
		failed += run_check("usertests");
	for (b = 0; !has_arg(argc, argv, "nobench") &&
	     b < sizeof(benches) / sizeof(benches[0]); b++)
		failed += run_check(benches[b]);
	for (i = 1; i < argc; i++)
		if (strncmp(argv[i], "run=", 4) == 0)
			failed += run_check(argv[i] + 4);
	return failed;
}
