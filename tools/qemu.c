/*
 * qemu.c - the qemu-system-i386 half shared by previrt-run's QEMU-based
 * backends (run-native.c, run-baremetal.c): the -initrd list, the one
 * command line (TCG, serial on stdout, isa-debug-exit at port 0xf4, no
 * reboot), starting QEMU with its stderr captured, and mapping QEMU's
 * exit to previrt-run's status.  Runs: host tool.
 * Used by: previrt-run --backend=native|baremetal IMAGE ...
 */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "previrt-run.h"

#define PR_QEMU_MAXARGS (32 + PR_MAX_QEMU_ARGS)

/* The one place that picks the accelerator.  /dev/kvm on our machines is
 * a nested PVM that cannot run 32-bit paging guests, so: always TCG. */
static const char *pr_qemu_accel(void)
{
	return "tcg";
}

const char *pr_qemu_initrd(const char *first, const struct pr_opts *o,
			   const char *reject, char *buf, size_t n)
{
	const char *path;
	size_t used = 0, len;
	int i;

	buf[0] = 0;
	for (i = first ? -1 : 0; i < o->nmodules; i++) {
		path = i < 0 ? first : o->modules[i];
		len = strlen(path);
		if (strpbrk(path, reject) || used + len + 2 > n)
			return NULL;
		if (used)
			buf[used++] = ',';
		memcpy(buf + used, path, len + 1);
		used += len;
	}
	return used ? buf : NULL;
}

/* Fill argv (PR_QEMU_MAXARGS slots) with QEMU's command line. */
static void pr_qemu_argv(const char **argv, const struct pr_opts *o,
			 const struct pr_qemu *q)
{
	static const char *const fixed[] = { "-serial", "stdio", "-display",
		"none", "-monitor", "none", "-no-reboot", "-device",
		"isa-debug-exit,iobase=0xf4,iosize=0x04" };
	size_t k;
	int n = 0, i;

	argv[n++] = "qemu-system-i386";
	argv[n++] = "-accel";
	argv[n++] = pr_qemu_accel();
	argv[n++] = "-m";
	argv[n++] = q->mem;
	argv[n++] = "-kernel";
	argv[n++] = q->kernel;
	if (q->append) {
		argv[n++] = "-append";
		argv[n++] = q->append;
	}
	if (q->initrd) {
		argv[n++] = "-initrd";
		argv[n++] = q->initrd;
	}
	for (k = 0; k < sizeof(fixed) / sizeof(fixed[0]); k++)
		argv[n++] = fixed[k];
	if (o->qemu_log) {
		argv[n++] = "-d";
		argv[n++] = "guest_errors,unimp,cpu_reset";
		argv[n++] = "-D";
		argv[n++] = o->qemu_log;
	}
	for (i = 0; i < o->nqemu_args; i++)   /* --qemu-arg, e.g. -icount */
		argv[n++] = o->qemu_args[i];
	argv[n] = NULL;
}

/* Copy QEMU's captured stderr to ours; 1 if it reported an error
 * (a "qemu-system-i386:" line that is not a warning). */
static int pr_qemu_stderr(FILE *err)
{
	char line[1024];
	int bad = 0;

	rewind(err);
	while (fgets(line, sizeof(line), err)) {
		fputs(line, stderr);
		if (strncmp(line, "qemu", 4) == 0 && !strstr(line, "warning"))
			bad = 1;
	}
	fclose(err);
	return bad;
}

/* Map QEMU's wait status to previrt-run's (see previrt-run.h).  QEMU
 * exits with (status << 1) | 1 after a write to isa-debug-exit. */
static int pr_qemu_status(int st, int qemu_error, const struct pr_qemu *q)
{
	int code;

	if (st < 0)
		return PR_EXIT_TIMEOUT;
	if (!WIFEXITED(st)) {
		fprintf(stderr, "previrt-run: qemu died (signal %d)\n",
			WTERMSIG(st));
		return PR_EXIT_CRASH;
	}
	code = WEXITSTATUS(st);
	if (qemu_error) {
		fprintf(stderr, "previrt-run: qemu failed (exit %d)\n", code);
		return PR_EXIT_CRASH;
	}
	if (code == 1)
		return PR_EXIT_OK;
	if (!(code & 1)) {
		fprintf(stderr, "previrt-run: guest stopped without a "
			"debug-exit status (qemu exit %d)\n", code);
		return code == 0 ? PR_EXIT_NOSTATUS : PR_EXIT_CRASH;
	}
	code >>= 1;
	if (q->stopped && q->stopped(code)) {
		fprintf(stderr, "previrt-run: the %s backend stopped the guest "
			"(status 0x%x)\n", q->backend, code);
		return PR_EXIT_CRASH;
	}
	fprintf(stderr, "previrt-run: guest exit status %d\n", code);
	return code;
}

int pr_qemu_run(const struct pr_opts *o, const struct pr_qemu *q)
{
	const char *argv[PR_QEMU_MAXARGS];
	struct timespec t0, t1;
	FILE *err;
	int st;

	pr_qemu_argv(argv, o, q);
	fprintf(stderr, "previrt-run: backend %s, accel %s, %simage %s\n",
		q->backend, pr_qemu_accel(), q->what ? q->what : "", o->image);
	if (!(err = tmpfile())) {
		perror("previrt-run: tmpfile");
		return PR_EXIT_CRASH;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	st = pr_spawn_wait((char *const *)argv, o->timeout, fileno(err));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (o->stats && q->wall_stats)
		fprintf(stderr, "previrt-run: stats: backend %s, wall %.3f s,"
			" no monitor counters\n", q->backend,
			(double)(t1.tv_sec - t0.tv_sec) +
			(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return pr_qemu_status(st, pr_qemu_stderr(err), q);
}
