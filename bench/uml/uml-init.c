/*
 * uml-init.c - /init of the benchmark suite's user-mode-Linux peer: runs
 * each program named in /bench-list (one a line, relative to /, with its
 * arguments after it separated by spaces: the Linux guest's workloads
 * through bench-run) as a child with fork + execve + wait, reports each
 * exit status, then powers the UML machine off.  A /tmp directory gets a
 * tmpfs mounted on it first.  Runs: ring 3, static x86_64 ELF as PID 1
 * in `linux.uml ... rootfstype=hostfs rootflags=DIR init=/init`, started
 * by bench/previrt-bench (configuration `uml`).
 * Prints: the programs' BENCH lines, "uml-init: NAME exit N" for each,
 * "uml-init: done, F failed".
 */
#include "../progs/lib/ulib.h"

#define LIST_MAX 4096
#define NAME_MAX 120

static char list[LIST_MAX];

/* Read /bench-list into list[], NUL-terminated; bytes read or -1. */
static int ui_read_list(void)
{
	int fd = open("/bench-list", 0, 0), n, total = 0;

	if (fd < 0)
		return -1;
	while (total < LIST_MAX - 1 &&
	       (n = read(fd, list + total, LIST_MAX - 1 - total)) > 0)
		total += n;
	close(fd);
	list[total] = 0;
	return total;
}

#define ARGS_MAX 8

/* Run the line "NAME ARGS..." (split in place at spaces) as /NAME with
 * argv[0] = "/NAME"; its exit status, or -1. */
static int ui_run(char *line)
{
	char path[NAME_MAX + 2];
	char *argv[ARGS_MAX + 1] = { path };
	char *envp[1] = { NULL };
	int pid, st, n = 1;
	char *p = line;

	while (*p && *p != ' ')
		p++;
	while (*p == ' ')
		*p++ = 0;
	while (*p && n < ARGS_MAX) {
		argv[n++] = p;
		while (*p && *p != ' ')
			p++;
		while (*p == ' ')
			*p++ = 0;
	}
	argv[n] = NULL;
	snprintf(path, sizeof(path), "/%s", line);
	if ((pid = fork()) == 0) {
		execve(path, argv, envp);
		printf("uml-init: cannot execute %s\n", path);
		exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Run every name in list[]; returns how many failed. */
static int ui_run_all(void)
{
	char *p = list, *eol;
	int failed = 0, st;

	for (; *p; p = eol) {
		for (eol = p; *eol && *eol != '\n'; eol++)
			;
		if (*eol)
			*eol++ = 0;
		if (!*p || strlen(p) > NAME_MAX)
			continue;
		st = ui_run(p);           /* leaves the name alone in p */
		printf("uml-init: %s exit %d\n", p, st);
		failed += st != 0;
	}
	return failed;
}

int main(int argc, char **argv)
{
	int failed;

	(void)argc;
	(void)argv;
	/* The Linux guest's workloads expect a tmpfs /tmp, as there
	 * (previrt-bench makes the directory when it adds them). */
	if (open("/tmp", 0, 0) >= 0 &&
	    mount("tmpfs", "/tmp", "tmpfs", 0, "size=64m") < 0)
		printf("uml-init: cannot mount a tmpfs on /tmp\n");
	if (ui_read_list() < 0) {
		printf("uml-init: cannot read /bench-list\n");
		failed = -1;
	} else {
		failed = ui_run_all();
	}
	printf("uml-init: done, %d failed\n", failed);
	sync();
	reboot_poweroff();
	printf("uml-init: power-off failed\n");
	for (;;)
		sleep_ms(1000);
}
