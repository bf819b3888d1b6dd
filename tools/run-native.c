/*
 * run-native.c - the "native" backend of previrt-run: the guest image
 * boots directly on qemu-system-i386 through its PVH note, with --module
 * files as PVH modules (-initrd); QEMU's command line and exit mapping
 * are qemu.c's.  Runs: host tool.
 * Usage: previrt-run --backend=native IMAGE [--append ARGS] [--module F]
 *        [--mem SIZE] [--stats] [--timeout SEC] [--qemu-log FILE]
 */
#include <stdio.h>

#include "previrt-run.h"

int pr_run_native(const struct pr_opts *o)
{
	char initrd[4096];
	struct pr_qemu q = {
		.backend = "native", .kernel = o->image, .mem = o->mem,
		.append = o->append, .wall_stats = 1,
		.initrd = pr_qemu_initrd(NULL, o, ",", initrd, sizeof(initrd)),
	};

	if (o->nmodules && !q.initrd) {
		fprintf(stderr, "previrt-run: module paths must not contain ','"
			" and must fit in %zu bytes\n", sizeof(initrd));
		return PR_EXIT_USAGE;
	}
	return pr_qemu_run(o, &q);
}
