/*
 * init.c - /init of the Linux initramfs: runs every program in /bench in
 * name order (the static benchmark binaries from bench/progs, which print
 * BENCH lines), reports each exit status, then restarts the machine
 * (qemu -no-reboot turns that into exit).  Runs: Linux ring 3, PID 1;
 * static i386 glibc.  Built and packed by run-linux.sh.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

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
	struct dirent **ents;
	int n = scandir("/bench", &ents, NULL, by_name), bad = 0;
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("previrt-linux-init: %d programs\n", n);
	for (int i = 0; i < n; i++) {
		if (ents[i]->d_name[0] == '.') continue;
		int r = run_one(ents[i]->d_name);
		printf("previrt-linux-init: %s exit %d\n", ents[i]->d_name, r);
		bad |= r != 0;
	}
	printf("previrt-linux-init: done, %s\n", bad ? "FAILED" : "all ok");
	sync();
	reboot(RB_AUTOBOOT);
	return 0;
}
