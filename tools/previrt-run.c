/*
 * previrt-run.c - runs a previrt guest image on one of the backends and
 * exits with the guest's status.  Runs: host tool.
 * Usage: previrt-run --backend=native build/sample-guests/sample.elf
 *        [--append ARGS] [--module FILE]... [--mem SIZE] [--timeout SEC]
 *        [--qemu-log FILE] [--stats] [--qemu-arg ARG]...
 * Backends register one row each in pr_backends[] below; each lives in
 * its own file (run-native.c: QEMU TCG without a monitor; run-hosted.c:
 * previrt-hosted; run-baremetal.c: the monitor on QEMU), the QEMU-based
 * ones sharing qemu.c.
 */
#include <errno.h>
#include <stdint.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "previrt-run.h"

static const struct pr_backend pr_backends[] = {
	{ "native", "qemu-system-i386 TCG, guest runs on the bare (emulated) "
	  "machine", pr_run_native },
	{ "hosted", "previrt-hosted: an unprivileged Linux process (guest in "
	  "32-bit compatibility mode, seccomp sandbox)", pr_run_hosted },
	{ "baremetal", "the bare-metal monitor on qemu-system-i386 TCG "
	  "(guest kernel in ring 1, user in ring 3; bm.* words of --append "
	  "are the monitor's: bm.stats, bm.mem=MiB, bm.guard=auto|wp|segments)",
	  pr_run_baremetal },
};
#define PR_NBACKENDS (sizeof(pr_backends) / sizeof(pr_backends[0]))

static void pr_usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: previrt-run --backend=NAME IMAGE [--append ARGS] "
		"[--module FILE]... [--mem SIZE] [--timeout SEC] "
		"[--qemu-log FILE] [--stats] [--qemu-arg ARG]...\n"
		"backends:\n");
	for (i = 0; i < PR_NBACKENDS; i++)
		fprintf(f, "  %-10s %s\n", pr_backends[i].name,
			pr_backends[i].what);
}

static const struct pr_backend *pr_find_backend(const char *name)
{
	size_t i;

	for (i = 0; i < PR_NBACKENDS; i++)
		if (strcmp(pr_backends[i].name, name) == 0)
			return &pr_backends[i];
	return NULL;
}

static int pr_die(const char *msg, const char *arg)
{
	fprintf(stderr, "previrt-run: %s%s%s\n", msg, arg ? ": " : "",
		arg ? arg : "");
	return PR_EXIT_USAGE;
}

/* Parse argv into o and *backend; 0 or an exit status. */
static int pr_parse(int argc, char **argv, struct pr_opts *o,
		    const char **backend)
{
	static const struct option lo[] = {
		{ "backend", required_argument, 0, 'b' },
		{ "append", required_argument, 0, 'a' },
		{ "module", required_argument, 0, 'm' },
		{ "mem", required_argument, 0, 'M' },
		{ "timeout", required_argument, 0, 't' },
		{ "qemu-log", required_argument, 0, 'l' },
		{ "stats", no_argument, 0, 's' },
		{ "qemu-arg", required_argument, 0, 'q' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	int c;
	char *end;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'b': *backend = optarg; break;
		case 'a': o->append = optarg; break;
		case 'M': o->mem = optarg; break;
		case 'l': o->qemu_log = optarg; break;
		case 's': o->stats = 1; break;
		case 'm':
			if (o->nmodules == PR_MAX_MODULES)
				return pr_die("too many --module", optarg);
			o->modules[o->nmodules++] = optarg;
			break;
		case 'q':
			if (o->nqemu_args == PR_MAX_QEMU_ARGS)
				return pr_die("too many --qemu-arg", optarg);
			o->qemu_args[o->nqemu_args++] = optarg;
			break;
		case 't':
			o->timeout = (int)strtol(optarg, &end, 10);
			if (*end || o->timeout <= 0 || o->timeout > 86400)
				return pr_die("bad --timeout", optarg);
			break;
		case 'h': pr_usage(stdout); exit(0);
		default: pr_usage(stderr); return PR_EXIT_USAGE;
		}
	}
	if (optind != argc - 1)
		return pr_die("need exactly one IMAGE", NULL);
	o->image = argv[optind];
	return 0;
}

static int pr_check_file(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "previrt-run: cannot use %s: %s\n", path,
			errno ? strerror(errno) : "not a regular file");
		return -1;
	}
	return 0;
}

const char *pr_sibling(const char *rel, int mode, const char *fallback,
		       char *buf, size_t n)
{
	char self[4096], *slash;
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (len <= 0)
		return fallback;
	self[len] = 0;
	if (!(slash = strrchr(self, '/')))
		return fallback;
	*slash = 0;
	if ((size_t)snprintf(buf, n, "%s/%s", self, rel) >= n)
		return fallback;
	return access(buf, mode) == 0 ? buf : fallback;
}

static pid_t pr_child;

static void pr_forward_signal(int sig)
{
	if (pr_child > 0)
		kill(pr_child, SIGKILL);
	signal(sig, SIG_DFL);
	raise(sig);
}

int pr_spawn_wait(char *const argv[], int timeout, int errfd)
{
	struct timespec tick = { 0, 5 * 1000 * 1000 };
	long waited_ms = 0;
	int st;
	pid_t r;

	fflush(stdout);
	if ((pr_child = fork()) < 0) {
		perror("previrt-run: fork");
		return -1;
	}
	if (pr_child == 0) {
		if (errfd >= 0)
			dup2(errfd, 2);
		execvp(argv[0], argv);
		fprintf(stderr, "previrt-run: cannot run %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	signal(SIGINT, pr_forward_signal);
	signal(SIGTERM, pr_forward_signal);
	while ((r = waitpid(pr_child, &st, WNOHANG)) == 0) {
		if (waited_ms >= timeout * 1000L) {
			kill(pr_child, SIGKILL);
			waitpid(pr_child, &st, 0);
			fprintf(stderr, "previrt-run: timeout after %d s, "
				"guest killed\n", timeout);
			return -1;
		}
		nanosleep(&tick, NULL);
		waited_ms += 5;
	}
	return r < 0 ? -1 : st;
}

int main(int argc, char **argv)
{
	struct pr_opts o = { .mem = "128M", .timeout = 60 };
	const char *bname = NULL;
	const struct pr_backend *b;
	int r, i;

	if ((r = pr_parse(argc, argv, &o, &bname)) != 0)
		return r;
	if (!bname)
		return pr_die("need --backend=NAME (see --help)", NULL);
	if (!(b = pr_find_backend(bname)))
		return pr_die("unknown backend", bname);
	if (pr_check_file(o.image) < 0 ||
	    pr_read_image(o.image, o.image_args) < 0)
		return PR_EXIT_USAGE;
	for (i = 0; i < o.nmodules; i++)
		if (pr_check_file(o.modules[i]) < 0)
			return PR_EXIT_USAGE;
	return b->run(&o);
}
