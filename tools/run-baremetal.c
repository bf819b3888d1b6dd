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
 *        [--module FILE]... [--mem SIZE] [--stats] [--timeout SEC]
 *        [--qemu-log FILE]
 * Words of ARGS starting "bm." are the monitor's own options (e.g.
 * --append bm.guard=segments, see docs/baremetal.md), the rest the guest's.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "previrt-run.h"

#define BM_PANIC     0x70      /* a monitor fault or containment stop */
#define BM_STOPPED   0x71      /* stopped with a reason and status 0
				  (ab_backend_shutdown in vm.c) */
#define BM_KILLED    0x72      /* the monitor killed the guest */
#define BM_MONITOR_MIB 16      /* host RAM below the guest (bm.h BM_GUEST_PA) */
#define BM_MEM_MIN   2         /* guest RAM limits, MiB (bm.h, load.c) */
#define BM_MEM_MAX   2048

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

/* MiB the image and modules take in the machine, each page-rounded. */
static unsigned long long bm_modules_mib(const struct pr_opts *o)
{
	unsigned long long bytes = 0;
	struct stat st;

	for (int i = -1; i < o->nmodules; i++)
		if (stat(i < 0 ? o->image : o->modules[i], &st) == 0)
			bytes += ((unsigned long long)st.st_size + 4095) & ~4095ull;
	return (bytes + (1 << 20) - 1) >> 20;
}

/* Guest RAM in MiB from --mem SIZE (QEMU's syntax: N, NM, NG; NK if a
 * whole number of MiB), or 0 after an error message. */
static unsigned bm_mem_mib(const char *mem)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(mem, &end, 10);
	unsigned long long mib = 0;

	if (end != mem && !errno && n < (1ull << 40)) {
		if (!*end || !strcmp(end, "M") || !strcmp(end, "m"))
			mib = n;
		else if (!strcmp(end, "G") || !strcmp(end, "g"))
			mib = n * 1024;
		else if ((!strcmp(end, "K") || !strcmp(end, "k")) &&
			 n % 1024 == 0)
			mib = n / 1024;
	}
	if (mib < BM_MEM_MIN || mib > BM_MEM_MAX) {
		fprintf(stderr, "previrt-run: --mem %s: the bare-metal monitor "
			"takes %u..%u MiB of guest RAM, in whole MiB\n", mem,
			BM_MEM_MIN, BM_MEM_MAX);
		return 0;
	}
	return (unsigned)mib;
}

int pr_run_baremetal(const struct pr_opts *o)
{
	char mon[PATH_MAX + 64], initrd[8192], append[4096], what[PATH_MAX + 96];
	char qmem[32];
	unsigned mib = bm_mem_mib(o->mem ? o->mem : "128M");
	struct pr_qemu q = {
		.backend = "baremetal", .mem = qmem,
		.kernel = bm_monitor(mon, sizeof(mon)), .append = append,
		.initrd = pr_qemu_initrd(o->image, o, ", ", initrd,
					 sizeof(initrd)),
		.what = what, .stopped = bm_stopped,
	};

	if (!mib)
		return PR_EXIT_USAGE;
	if (!q.initrd) {
		fprintf(stderr, "previrt-run: image and module paths must not "
			"contain ',' or ' '\n");
		return PR_EXIT_USAGE;
	}
	/* The machine holds the monitor's 16 MiB (image, page pool) below
	 * the guest's RAM, and the modules: where QEMU puts them (after the
	 * monitor) when they fit below the pool, else the monitor moves them
	 * above guest RAM and above where they were (main.c). */
	unsigned long long mods = bm_modules_mib(o), low = BM_MONITOR_MIB + mib;
	snprintf(qmem, sizeof(qmem), "%llu",
		 (low > mods + 8 ? low : mods + 8) + mods + 4);
	snprintf(append, sizeof(append), "%s%sbm.mem=%u%s",
		 o->append ? o->append : "", o->append ? " " : "", mib,
		 o->stats ? " bm.stats" : "");
	snprintf(what, sizeof(what), "monitor %s, guest RAM %u MiB, ",
		 q.kernel, mib);
	return pr_qemu_run(o, &q);
}
