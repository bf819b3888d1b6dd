/*
 * run-native.c - the "native" backend of previrt-run: the guest image
 * boots directly on qemu-system-i386 through its PVH note, with the
 * serial console on stdout and QEMU's isa-debug-exit device at port 0xf4
 * (QEMU exits with (status << 1) | 1).  Runs: host tool.
 * Usage: previrt-run --backend=native IMAGE [--append ARGS] ...
 */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "previrt-run.h"

#define NATIVE_MAXARGS 40

/* The one place that picks the accelerator.  /dev/kvm on our machines is
 * a nested PVM that cannot run 32-bit paging guests, so: always TCG. */
static const char *native_accel(void)
{
	return "tcg";
}

/* Join the module paths with commas for -initrd; NULL if none. */
static const char *native_initrd(const struct pr_opts *o, char *buf,
				 size_t n)
{
	size_t used = 0;
	int i;

	if (o->nmodules == 0)
		return NULL;
	buf[0] = 0;
	for (i = 0; i < o->nmodules; i++) {
		size_t len = strlen(o->modules[i]);
		if (strchr(o->modules[i], ',') || used + len + 2 > n)
			return NULL;
		if (i)
			buf[used++] = ',';
		memcpy(buf + used, o->modules[i], len + 1);
		used += len;
	}
	return buf;
}

/* Copy QEMU's captured stderr to ours; 1 if it reported an error
 * (a "qemu-system-i386:" line that is not a warning). */
static int native_stderr(FILE *err)
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

/* Map QEMU's exit status to previrt-run's (see previrt-run.h). */
static int native_status(int st, int qemu_error)
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
	if (code & 1) {
		fprintf(stderr, "previrt-run: guest exit status %d\n",
			code >> 1);
		return code >> 1;
	}
	fprintf(stderr, "previrt-run: guest stopped without a debug-exit "
		"status (qemu exit %d)\n", code);
	return code == 0 ? PR_EXIT_NOSTATUS : PR_EXIT_CRASH;
}

int pr_run_native(const struct pr_opts *o)
{
	const char *argv[NATIVE_MAXARGS];
	char accel[32], initrd[4096];
	const char *mods = native_initrd(o, initrd, sizeof(initrd));
	struct timespec t0, t1;
	FILE *err;
	int n = 0, st, i;

	if (o->nmodules && !mods) {
		fprintf(stderr, "previrt-run: module paths must not contain ','"
			" and must fit in %zu bytes\n", sizeof(initrd));
		return PR_EXIT_USAGE;
	}
	snprintf(accel, sizeof(accel), "%s", native_accel());
	argv[n++] = "qemu-system-i386";
	argv[n++] = "-accel";
	argv[n++] = accel;
	argv[n++] = "-m";
	argv[n++] = o->mem;
	argv[n++] = "-kernel";
	argv[n++] = o->image;
	if (o->append) {
		argv[n++] = "-append";
		argv[n++] = o->append;
	}
	if (mods) {
		argv[n++] = "-initrd";
		argv[n++] = mods;
	}
	argv[n++] = "-serial";
	argv[n++] = "stdio";
	argv[n++] = "-display";
	argv[n++] = "none";
	argv[n++] = "-monitor";
	argv[n++] = "none";
	argv[n++] = "-no-reboot";
	argv[n++] = "-device";
	argv[n++] = "isa-debug-exit,iobase=0xf4,iosize=0x04";
	if (o->qemu_log) {
		argv[n++] = "-d";
		argv[n++] = "guest_errors,unimp,cpu_reset";
		argv[n++] = "-D";
		argv[n++] = o->qemu_log;
	}
	for (i = 0; i < o->nqemu_args; i++)   /* --qemu-arg, e.g. -icount */
		argv[n++] = o->qemu_args[i];
	argv[n] = NULL;
	fprintf(stderr, "previrt-run: backend native, accel %s, image %s\n",
		accel, o->image);
	if (!(err = tmpfile())) {
		perror("previrt-run: tmpfile");
		return PR_EXIT_CRASH;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	st = pr_spawn_wait((char *const *)argv, o->timeout, fileno(err));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (o->stats)
		fprintf(stderr, "previrt-run: stats: backend native, wall %.3f s,"
			" no monitor counters\n", (double)(t1.tv_sec - t0.tv_sec) +
			(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return native_status(st, native_stderr(err));
}
