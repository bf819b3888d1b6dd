/*
 * run-baremetal.c - the "baremetal" backend of previrt-run: boots the
 * bare-metal monitor (backends/baremetal/monitor.elf) on qemu-system-i386
 * as a multiboot kernel, with the guest image as the first multiboot
 * module and --module files after it; the monitor runs the guest
 * deprivileged (kernel ring 1, user ring 3).  Serial console on stdout;
 * the guest's debug-exit status comes back through isa-debug-exit.
 * Runs: host tool.
 * Usage: previrt-run --backend=baremetal IMAGE [--append ARGS]
 *        [--module FILE]... [--stats] [--timeout SEC] [--qemu-log FILE]
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "previrt-run.h"

#define BM_MAXARGS   (40 + PR_MAX_QEMU_ARGS)
#define BM_KILLED    0x72      /* the monitor stopped the guest */
#define BM_PANIC     0x70      /* the monitor refused to start it */

/* $PREVIRT_MONITOR, the build tree's monitor.elf next to tools/, or
 * monitor.elf in the current directory. */
static const char *bm_monitor(char *buf, size_t n)
{
	char self[PATH_MAX], *slash;
	const char *env = getenv("PREVIRT_MONITOR");
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (env && *env)
		return env;
	if (len > 0) {
		self[len] = 0;
		if ((slash = strrchr(self, '/'))) {
			*slash = 0;
			snprintf(buf, n, "%s/../backends/baremetal/monitor.elf",
				 self);
			if (access(buf, R_OK) == 0)
				return buf;
		}
	}
	return "monitor.elf";
}

/* "IMAGE,MOD1,..." for -initrd; NULL if a path holds ',' or ' '. */
static const char *bm_initrd(const struct pr_opts *o, char *buf, size_t n)
{
	size_t used = strlen(o->image);
	int i;

	if (used + 1 > n || strpbrk(o->image, ", "))
		return NULL;
	memcpy(buf, o->image, used + 1);
	for (i = 0; i < o->nmodules; i++) {
		size_t len = strlen(o->modules[i]);
		if (strpbrk(o->modules[i], ", ") || used + len + 2 > n)
			return NULL;
		buf[used++] = ',';
		memcpy(buf + used, o->modules[i], len + 1);
		used += len;
	}
	return buf;
}

/* QEMU's exit status -> previrt-run's (see previrt-run.h). */
static int bm_status(int st)
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
	if (code == 1)
		return PR_EXIT_OK;
	if (!(code & 1)) {
		fprintf(stderr, "previrt-run: qemu exit %d without a "
			"debug-exit status (monitor reset?)\n", code);
		return code == 0 ? PR_EXIT_NOSTATUS : PR_EXIT_CRASH;
	}
	code >>= 1;
	if (code == BM_KILLED || code == BM_PANIC) {
		fprintf(stderr, "previrt-run: the monitor stopped the guest "
			"(status 0x%x)\n", code);
		return PR_EXIT_CRASH;
	}
	fprintf(stderr, "previrt-run: guest exit status %d\n", code);
	return code;
}

int pr_run_baremetal(const struct pr_opts *o)
{
	const char *argv[BM_MAXARGS];
	char mon[PATH_MAX + 64], initrd[8192], append[4096];
	const char *mods = bm_initrd(o, initrd, sizeof(initrd));
	int n = 0, i;

	if (!mods) {
		fprintf(stderr, "previrt-run: image and module paths must not "
			"contain ',' or ' '\n");
		return PR_EXIT_USAGE;
	}
	snprintf(append, sizeof(append), "%s%s", o->append ? o->append : "",
		 o->stats ? (o->append ? " bm.stats" : "bm.stats") : "");
	argv[n++] = "qemu-system-i386";
	argv[n++] = "-accel";
	argv[n++] = "tcg";      /* /dev/kvm here cannot run 32-bit paging */
	argv[n++] = "-m";
	argv[n++] = "128";      /* the monitor's map needs 48 MiB */
	argv[n++] = "-kernel";
	argv[n++] = bm_monitor(mon, sizeof(mon));
	argv[n++] = "-initrd";
	argv[n++] = mods;
	argv[n++] = "-append";
	argv[n++] = append;
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
	for (i = 0; i < o->nqemu_args; i++)
		argv[n++] = o->qemu_args[i];
	argv[n] = NULL;
	fprintf(stderr, "previrt-run: backend baremetal, accel tcg, monitor "
		"%s, image %s (guest RAM 32 MiB)\n", argv[6], o->image);
	return bm_status(pr_spawn_wait((char *const *)argv, o->timeout, -1));
}
