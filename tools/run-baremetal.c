/*
 * run-baremetal.c - the "baremetal" backend of previrt-run: boots the
 * bare-metal monitor (backends/baremetal/monitor.elf) on qemu-system-i386
 * as a multiboot kernel, with the guest image as the first multiboot
 * module and --module files after it; the monitor runs the guest
 * deprivileged (kernel ring 1, user ring 3).  QEMU's command line and
 * exit mapping are qemu.c's; this file adds the monitor's path, its
 * command line and the statuses with which the monitor itself stops.
 * Runs: host tool.
 * Usage: previrt-run --backend=baremetal IMAGE [--append ARGS]
 *        [--module FILE]... [--stats] [--timeout SEC] [--qemu-log FILE]
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "previrt-run.h"

#define BM_PANIC     0x70      /* a monitor fault or containment stop */
#define BM_STOPPED   0x71      /* stopped with a reason and status 0
				  (ab_backend_shutdown in vm.c) */
#define BM_KILLED    0x72      /* the monitor killed the guest */

/* $PREVIRT_MONITOR, the build tree's monitor.elf next to tools/, or
 * monitor.elf in the current directory. */
static const char *bm_monitor(char *buf, size_t n)
{
	const char *env = getenv("PREVIRT_MONITOR");

	if (env && *env)
		return env;
	return pr_sibling("../backends/baremetal/monitor.elf", R_OK,
			  "monitor.elf", buf, n);
}

static int bm_stopped(int status)
{
	return status == BM_PANIC || status == BM_STOPPED ||
	       status == BM_KILLED;
}

int pr_run_baremetal(const struct pr_opts *o)
{
	char mon[PATH_MAX + 64], initrd[8192], append[4096], what[PATH_MAX + 96];
	struct pr_qemu q = {
		.backend = "baremetal", .mem = "128", /* the monitor's map
							 needs 48 MiB */
		.kernel = bm_monitor(mon, sizeof(mon)), .append = append,
		.initrd = pr_qemu_initrd(o->image, o, ", ", initrd,
					 sizeof(initrd)),
		.what = what, .stopped = bm_stopped,
	};

	if (!q.initrd) {
		fprintf(stderr, "previrt-run: image and module paths must not "
			"contain ',' or ' '\n");
		return PR_EXIT_USAGE;
	}
	snprintf(append, sizeof(append), "%s%s", o->append ? o->append : "",
		 o->stats ? (o->append ? " bm.stats" : "bm.stats") : "");
	snprintf(what, sizeof(what), "monitor %s, guest RAM 32 MiB, ",
		 q.kernel);
	return pr_qemu_run(o, &q);
}
