/*
 * run-hosted.c - the "hosted" backend of previrt-run: runs the guest
 * image in previrt-hosted (backends/hosted; the build tree's, else the
 * one on $PATH), an unprivileged Linux process, with the serial console
 * on stdout.  previrt-hosted already
 * exits with previrt-run's statuses (guest debug-exit value, 3 when the
 * guest was stopped for an error, 64 for a bad image).  Runs: host tool.
 * Usage: previrt-run --backend=hosted IMAGE [--append ARGS] [--module F]
 *        [--mem SIZE] [--stats]
 */
#include <limits.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "previrt-run.h"

#define HOSTED_MAXARGS (8 + 2 * PR_MAX_MODULES)

int pr_run_hosted(const struct pr_opts *o)
{
	const char *argv[HOSTED_MAXARGS];
	char path[PATH_MAX + 64];
	int n = 0, i, st;

	argv[n++] = pr_sibling("../backends/hosted/previrt-hosted", X_OK,
			       "previrt-hosted", path, sizeof(path));
	argv[n++] = o->image;
	argv[n++] = "--mem";
	argv[n++] = o->mem;
	if (o->append) {
		argv[n++] = "--append";
		argv[n++] = o->append;
	}
	for (i = 0; i < o->nmodules; i++) {
		argv[n++] = "--module";
		argv[n++] = o->modules[i];
	}
	if (o->stats)
		argv[n++] = "--stats";
	argv[n] = NULL;
	st = pr_spawn_wait((char *const *)argv, o->timeout, -1);
	if (st < 0)
		return PR_EXIT_TIMEOUT;
	if (WIFSIGNALED(st)) {
		fprintf(stderr, "previrt-run: previrt-hosted died (signal %d)\n",
			WTERMSIG(st));
		return PR_EXIT_CRASH;
	}
	return WEXITSTATUS(st);
}
