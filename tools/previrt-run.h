/*
 * previrt-run.h - the backend table of previrt-run and the options every
 * backend receives.  Runs: host tool.
 * Usage: previrt-run --backend=NAME IMAGE [--append ARGS] [--module FILE]
 *        [--mem SIZE] [--timeout SEC] [--qemu-log FILE] [--stats]
 *        [--qemu-arg ARG]...
 * Exit status: 0 when the guest reported success (debug-exit 0), the
 * guest's debug-exit status when non-zero, 2 when the guest stopped
 * without a status, 3 when the VM died, QEMU reported an error or the
 * backend stopped the guest for an error, 124 on timeout, 64 on bad
 * usage (including an IMAGE without a PVH note).
 */
#ifndef PREVIRT_RUN_H
#define PREVIRT_RUN_H

#include <stddef.h>
#include <stdint.h>
#include "previrt/sites.h"

#define PR_MAX_MODULES 8
#define PR_MAX_QEMU_ARGS 8

#define PR_EXIT_OK       0
#define PR_EXIT_NOSTATUS 2
#define PR_EXIT_CRASH    3
#define PR_EXIT_TIMEOUT  124
#define PR_EXIT_USAGE    64

struct pr_opts {
	const char *image;                   /* guest ELF (PVH entry) */
	const char *append;                  /* kernel command line or NULL */
	const char *modules[PR_MAX_MODULES]; /* PVH modules, in order */
	int nmodules;
	const char *mem;                     /* e.g. "128M" */
	int timeout;                         /* seconds, > 0 */
	const char *qemu_log;                /* QEMU -D file or NULL */
	int stats;                           /* --stats: backend prints its
						counters to stderr at the end */
	const char *qemu_args[PR_MAX_QEMU_ARGS]; /* --qemu-arg: appended to
						QEMU's command line by the
						QEMU-based backends */
	int nqemu_args;
	char image_args[PV_NOTE_ARGS_MAX];   /* the image's boot arguments for
						every boot (its .note.previrt
						ALWAYS fragment, "" if none):
						the native backend puts them
						before append; the previrt
						backends' loader does that
						itself */
};

/* A backend runs the guest with its serial console on stdout and returns
 * one of the exit statuses above (or the guest's non-zero status). */
struct pr_backend {
	const char *name;
	const char *what;                    /* one line for --help */
	int (*run)(const struct pr_opts *o);
};

/* What a QEMU-based backend puts on qemu-system-i386's command line. */
struct pr_qemu {
	const char *backend;                 /* name, for messages */
	const char *kernel;                  /* -kernel FILE */
	const char *mem;                     /* -m SIZE */
	const char *append;                  /* -append ARGS or NULL */
	const char *initrd;                  /* -initrd LIST or NULL */
	const char *what;                    /* extra words for the start
						line ("monitor M, ") or NULL */
	int wall_stats;                      /* --stats prints the wall time
						(no counters of its own) */
	/* NULL, or 1 when a debug-exit status means the backend itself (not
	 * the guest) stopped the run: previrt-run then exits PR_EXIT_CRASH */
	int (*stopped)(int status);
};

/* qemu.c: run QEMU for o as q says; its stderr is copied to ours after
 * the run.  Returns previrt-run's exit status (see the top of this
 * file): a "qemu-system-i386: ..." error line, a signal or an exit
 * without a debug-exit write mean the VM died. */
int pr_qemu_run(const struct pr_opts *o, const struct pr_qemu *q);

/* qemu.c: first (if not NULL) and o's modules joined with ',' into buf
 * for -initrd; NULL when there is nothing to join, or when a path holds
 * a character of reject or does not fit in n bytes. */
const char *pr_qemu_initrd(const char *first, const struct pr_opts *o,
			   const char *reject, char *buf, size_t n);

/* run-native.c */
int pr_run_native(const struct pr_opts *o);

/* run-hosted.c */
int pr_run_hosted(const struct pr_opts *o);

/* run-baremetal.c */
int pr_run_baremetal(const struct pr_opts *o);

/* previrt-run.c: start argv as a child (its stderr on errfd unless
 * errfd < 0) and wait for it at most timeout seconds; returns the child's
 * raw wait status, or -1 on timeout (the child is killed) or on failure
 * to start (message printed). */
int pr_spawn_wait(char *const argv[], int timeout, int errfd);

/* previrt-run.c: "<dir of previrt-run>/rel" in buf when that file
 * passes access(mode) (a build tree: previrt-run is in build/tools/),
 * else fallback. */
const char *pr_sibling(const char *rel, int mode, const char *fallback,
		       char *buf, size_t n);

/* image.c: 0 if path is an ELF32 i386 executable with a Xen PVH entry
 * note (XEN_ELFNOTE_PHYS32_ENTRY) and, if it has boot-argument notes,
 * well-formed ones (the ALWAYS fragment into args, which holds
 * PV_NOTE_ARGS_MAX bytes); else a message and -1. */
int pr_read_image(const char *path, char *args);
/* image.c: the same checks on the image's bytes d[0..n), without a
 * message: 0, or why not. */
enum { PR_IMAGE_NOT_PVH = 1, PR_IMAGE_BAD_NOTE = 2 };
int pr_check_image(const uint8_t *d, size_t n, char *args);

#endif
