/*
 * run-native.c - the "native" backend of previrt-run: the guest image
 * boots directly on qemu-system-i386 through its PVH note, with --module
 * files as PVH modules (-initrd) and the image's boot arguments (its
 * .note.previrt, e.g. Linux's memmap= for the trampoline segment) before
 * --append's; QEMU's command line and exit mapping are qemu.c's.  Runs: host tool.
 * Usage: previrt-run --backend=native IMAGE [--append ARGS] [--module F]
 *        [--mem SIZE] [--stats] [--timeout SEC] [--qemu-log FILE]
 */
#include <stdio.h>

#include "previrt-run.h"

/* The image's own boot arguments, then the user's, in buf; 0 or -1 when
 * they do not fit. */
static int native_append(const struct pr_opts *o, char *buf, size_t n)
{
	int len = snprintf(buf, n, "%s%s%s", o->image_args,
			   o->image_args[0] && o->append ? " " : "",
			   o->append ? o->append : "");
	return len >= 0 && (size_t)len < n ? 0 : -1;
}

int pr_run_native(const struct pr_opts *o)
{
	char initrd[4096], append[4096 + PV_NOTE_ARGS_MAX];
	struct pr_qemu q = {
		.backend = "native", .kernel = o->image, .mem = o->mem,
		.append = append,
		.wall_stats = 1,
		.initrd = pr_qemu_initrd(NULL, o, ",", initrd, sizeof(initrd)),
	};

	if (native_append(o, append, sizeof(append)) < 0) {
		fprintf(stderr, "previrt-run: --append longer than %zu bytes\n",
			sizeof(append) - PV_NOTE_ARGS_MAX - 1);
		return PR_EXIT_USAGE;
	}
	if (!append[0])
		q.append = NULL;
	if (o->nmodules > 1) {
		fprintf(stderr, "previrt-run: the native backend takes one "
			"--module (QEMU's PVH loader has one initrd), not %d\n",
			o->nmodules);
		return PR_EXIT_USAGE;
	}
	if (o->nmodules && !q.initrd) {
		fprintf(stderr, "previrt-run: module paths must not contain ','"
			" and must fit in %zu bytes\n", sizeof(initrd));
		return PR_EXIT_USAGE;
	}
	return pr_qemu_run(o, &q);
}
