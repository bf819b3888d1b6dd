/*
 * init.c - /init of the Linux initramfs: runs each program named in
 * /bench/LIST, in order (the static benchmark binaries from bench/progs,
 * which print BENCH lines; their helpers sit beside them in /bench),
 * then, in an initramfs with Debian's busybox (tools/previrt-linux), each
 * workload of /workloads/LIST ("NAME SCRIPT" lines) as
 * "/bench/bench-run NAME /bin/busybox sh /workloads/SCRIPT" on a tmpfs
 * /tmp; reports each exit status, then restarts the machine
 * (qemu -no-reboot turns that into exit).  Runs: Linux ring 3, PID 1;
 * static i386 glibc.  Built and packed by common.sh (linux_initramfs).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int run(char *const argv[])
{
	static char *const envp[] = { "PATH=/bin:/sbin", NULL };
	pid_t pid = fork();
	if (pid == 0) {
		execve(argv[0], argv, envp);
		_exit(127);
	}
	int st = -1;
	if (pid < 0 || waitpid(pid, &st, 0) != pid) return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int run_one(const char *name)
{
	char path[300];
	snprintf(path, sizeof path, "/bench/%s", name);
	char *argv[] = { path, NULL };
	return run(argv);
}

/* Busybox's applets as /bin links, /proc and a tmpfs /tmp: 0 or -1. */
static int userland_setup(void)
{
	char *inst[] = { "/bin/busybox", "--install", "-s", "/bin", NULL };
	mkdir("/proc", 0555);
	mkdir("/tmp", 01777);
	if (run(inst) != 0) {
		printf("previrt-linux-init: busybox --install failed\n");
		return -1;
	}
	if (mount("proc", "/proc", "proc", 0, NULL) < 0 ||
	    mount("tmpfs", "/tmp", "tmpfs", 0, "size=64m") < 0) {
		printf("previrt-linux-init: cannot mount /proc or a tmpfs /tmp"
		       " (the kernel needs PROC_FS and TMPFS)\n");
		return -1;
	}
	return 0;
}

/* One "NAME SCRIPT" line of /workloads/LIST through bench-run. */
static int run_workload(char *line)
{
	char script[300], *sp = strchr(line, ' ');
	if (!sp) return -1;
	*sp = 0;
	snprintf(script, sizeof script, "/workloads/%s", sp + 1);
	char *argv[] = { "/bench/bench-run", line, "/bin/busybox", "sh",
			 script, NULL };
	return run(argv);
}

static int run_workloads(int *n)
{
	char line[256];
	int bad = 0;
	FILE *list = fopen("/workloads/LIST", "r");
	if (!list) return 0;
	if (userland_setup() < 0) return 1;
	while (fgets(line, sizeof line, list)) {
		line[strcspn(line, "\n")] = 0;
		if (!line[0]) continue;
		char name[256];
		snprintf(name, sizeof name, "%s", line);
		name[strcspn(name, " ")] = 0;
		int r = run_workload(line);
		printf("previrt-linux-init: workload %s exit %d\n", name, r);
		bad |= r != 0;
		(*n)++;
	}
	fclose(list);
	return bad;
}

int main(void)
{
	char name[256];
	int n = 0, bad = 0;
	FILE *list = fopen("/bench/LIST", "r");
	setvbuf(stdout, NULL, _IONBF, 0);
	if (!list) {
		printf("previrt-linux-init: no /bench/LIST\n");
		bad = 1;
	}
	while (list && fgets(name, sizeof name, list)) {
		name[strcspn(name, "\n")] = 0;
		if (!name[0]) continue;
		int r = run_one(name);
		printf("previrt-linux-init: %s exit %d\n", name, r);
		bad |= r != 0;
		n++;
	}
	bad |= run_workloads(&n);
	printf("previrt-linux-init: done, %d programs, %s\n", n,
	       bad || !n ? "FAILED" : "all ok");
	sync();
	reboot(RB_AUTOBOOT);
	return 0;
}
