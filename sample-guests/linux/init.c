/*
 * init.c - /init of the Linux initramfs: runs each program named in
 * /bench/LIST, in order (the static benchmark binaries from bench/progs,
 * which print BENCH lines; their helpers sit beside them in /bench),
 * reports each exit status, then restarts the machine
 * (qemu -no-reboot turns that into exit).  Runs: Linux ring 3, PID 1;
 * static i386 glibc.  Built and packed by run-linux.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

static int run_one(const char *name)
{
	char path[300];
	snprintf(path, sizeof path, "/bench/%s", name);
	pid_t pid = fork();
	if (pid == 0) {
		char *argv[] = { path, NULL }, *envp[] = { NULL };
		execve(path, argv, envp);
		_exit(127);
	}
	int st = -1;
	if (pid < 0 || waitpid(pid, &st, 0) != pid) return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
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
	printf("previrt-linux-init: done, %d programs, %s\n", n,
	       bad || !n ? "FAILED" : "all ok");
	sync();
	reboot(RB_AUTOBOOT);
	return 0;
}
