/*
 * usertests.c - user-mode self tests of the sample kernel (xv6 usertests
 * style): system calls, fork/wait, pipes, brk and mmap demand paging,
 * copy-on-write fork, timer preemption, kill, fatal user faults, a
 * hostile process's attempts on its kernel and host (isolation.c), exec,
 * time and process-table exhaustion.  Each test prints "<name> ok" or "<name> FAILED: <reason>" and
 * reports to the kernel; the exit status is the number of failures.
 * Runs: ring 3 under the sample kernel (most tests also pass on Linux).
 */
#include "../../bench/progs/lib/ulib.h"

static int failures;
static char why[96];

#define CHECK(cond, ...) do { if (!(cond)) { \
	snprintf(why, sizeof(why), __VA_ARGS__); return why; } } while (0)

/* A child can still be forked and reaped. */
static int fork_ok_after(void)
{
	int pid = fork(), st;

	if (pid == 0)
		exit(3);
	return pid > 0 && waitpid(pid, &st, 0) == pid && WEXITSTATUS(st) == 3;
}

/* Run fn in a child; return the child's wait status (or -1). */
static int in_child(void (*fn)(void))
{
	int pid = fork(), st;

	if (pid == 0) {
		fn();
		exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return st;
}

static const char *t_syscalls(void)
{
	int pid = getpid();

	CHECK(pid > 0, "getpid %d", pid);
	CHECK(getpid() == pid, "getpid not stable");
	CHECK(getppid() > 0, "getppid %d", getppid());
	CHECK(write(1, "", 0) == 0, "write of 0 bytes");
	CHECK(write(99, "x", 1) == -9, "write to bad fd: want -EBADF");
	CHECK(close(99) == -9, "close of bad fd: want -EBADF");
	CHECK(syscall6(500, 0, 0, 0, 0, 0, 0) == -38, "syscall 500: want -ENOSYS");
	CHECK(sched_yield() == 0, "sched_yield");
	return NULL;
}

static const char *t_fork_wait(void)
{
	int pid, st, i, seen = 0;

	if ((pid = fork()) == 0)
		exit(42);
	CHECK(pid > 0, "fork returned %d", pid);
	CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 42, "status %x", st);
	for (i = 0; i < 8; i++)
		if (fork() == 0)
			exit(i + 1);
	for (i = 0; i < 8; i++) {
		CHECK(wait4(-1, &st, 0, NULL) > 0, "wait4 %d", i);
		seen |= 1 << (WEXITSTATUS(st) - 1);
	}
	CHECK(seen == 0xff, "exit codes seen %x", seen);
	CHECK(waitpid(-1, &st, 0) == -10, "no children: want -ECHILD");
	return NULL;
}

static const char *t_pipe(void)
{
	int fds[2];
	char buf[8];

	CHECK(pipe(fds) == 0, "pipe");
	CHECK(write(fds[1], "hello", 5) == 5, "write");
	CHECK(read(fds[0], buf, 8) == 5 && buf[0] == 'h' && buf[4] == 'o',
	      "read back");
	close(fds[1]);
	CHECK(read(fds[0], buf, 8) == 0, "no EOF after closing writer");
	close(fds[0]);
	return NULL;
}

static const char *t_dup(void)
{
	int fds[2], d;
	char buf[4];

	CHECK(pipe(fds) == 0, "pipe");
	CHECK(dup2(fds[1], 9) == 9, "dup2 to 9");
	CHECK((d = dup(fds[1])) > 2, "dup gave %d", d);
	close(fds[1]);
	CHECK(write(9, "ab", 2) == 2 && write(d, "c", 1) == 1, "write via dups");
	close(9);
	close(d);
	CHECK(read(fds[0], buf, 4) == 3 && buf[2] == 'c', "read back");
	CHECK(read(fds[0], buf, 4) == 0, "no EOF once every dup is closed");
	CHECK(dup(77) == -9 && dup2(77, 5) == -9, "dup of a bad fd: want -EBADF");
	close(fds[0]);
	return NULL;
}

/* A child writes 20000 patterned bytes (more than a pipe holds). */
static const char *t_pipe_fork(void)
{
	static char buf[1000];
	int fds[2], pid, st, i, n, total = 0;

	CHECK(pipe(fds) == 0, "pipe");
	if ((pid = fork()) == 0) {
		close(fds[0]);
		for (i = 0; i < 20000; i += 1000) {
			for (n = 0; n < 1000; n++)
				buf[n] = (char)(i + n);
			if (write(fds[1], buf, 1000) != 1000)
				exit(1);
		}
		exit(0);
	}
	close(fds[1]);
	while ((n = read(fds[0], buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++)
			CHECK(buf[i] == (char)(total + i), "byte %d", total + i);
		total += n;
	}
	close(fds[0]);
	CHECK(total == 20000, "read %d bytes", total);
	CHECK(waitpid(pid, &st, 0) == pid && st == 0, "writer status %x", st);
	return NULL;
}

static const char *t_brk(void)
{
	long base = brk(NULL), top;
	volatile char *p = (volatile char *)base;
	int i;

	CHECK(base > 0, "brk(0) %ld", base);
	top = brk((void *)(base + (1 << 20)));
	CHECK(top == base + (1 << 20), "grow to %lx got %lx", base + (1 << 20), top);
	for (i = 0; i < (1 << 20); i += 4096) {
		CHECK(p[i] == 0, "fresh heap byte not zero");
		p[i] = (char)(i >> 12);
	}
	for (i = 0; i < (1 << 20); i += 4096)
		CHECK(p[i] == (char)(i >> 12), "heap readback");
	CHECK(brk((void *)base) == base, "shrink");
	return NULL;
}

static void touch_unmapped(void)
{
	volatile int *m = mmap_anon(8192);

	m[0] = 1;
	munmap((void *)m, 8192);
	m[0] = 2;                     /* must fault */
	exit(0);
}

static const char *t_mmap(void)
{
	volatile u32 *m = mmap_anon(64 * 4096);
	int i;

	CHECK(m != NULL, "mmap2 failed");
	for (i = 0; i < 64 * 1024; i += 1024)
		CHECK(m[i] == 0, "fresh page not zero");
	for (i = 0; i < 64 * 1024; i += 1024)
		m[i] = (u32)i;
	for (i = 0; i < 64 * 1024; i += 1024)
		CHECK(m[i] == (u32)i, "readback");
	CHECK(munmap((void *)m, 64 * 4096) == 0, "munmap");
	i = in_child(touch_unmapped);
	CHECK(WIFSIGNALED(i) && WTERMSIG(i) == SIGSEGV,
	      "touching an unmapped page: status %x", i);
	return NULL;
}

static volatile u32 cow_data[2048];

static const char *t_cow(void)
{
	int fds[2], pid, st, i;
	char ok = 0;

	for (i = 0; i < 2048; i++)
		cow_data[i] = (u32)i;
	CHECK(pipe(fds) == 0, "pipe");
	if ((pid = fork()) == 0) {
		char r = 1;
		for (i = 0; i < 2048; i++)
			if (cow_data[i] != (u32)i)
				r = 0;
		for (i = 0; i < 2048; i++)
			cow_data[i] = 7;
		write(fds[1], &r, 1);
		exit(cow_data[5] == 7 ? 0 : 1);
	}
	CHECK(read(fds[0], &ok, 1) == 1 && ok, "child saw wrong data");
	CHECK(waitpid(pid, &st, 0) == pid && st == 0, "child status %x", st);
	for (i = 0; i < 2048; i++)
		CHECK(cow_data[i] == (u32)i, "parent data changed at %d", i);
	cow_data[0] = 99;             /* parent write after the child left */
	CHECK(cow_data[0] == 99, "parent write");
	close(fds[0]);
	close(fds[1]);
	return NULL;
}

/* Spin until deadline counting loop rounds; report the count. */
static void spinner(int fd, u64 deadline)
{
	u32 n = 0;

	while (now_ns() < deadline)
		n++;
	write(fd, &n, 4);
	exit(0);
}

static const char *t_preempt(void)
{
	int fds[2], i, st;
	u32 n[2] = { 0, 0 };
	u64 deadline;

	CHECK(pipe(fds) == 0, "pipe");
	deadline = now_ns() + 200000000ull;
	for (i = 0; i < 2; i++)
		if (fork() == 0)
			spinner(fds[1], deadline);
	for (i = 0; i < 2; i++)
		CHECK(read(fds[0], &n[i], 4) == 4, "read count");
	for (i = 0; i < 2; i++)
		CHECK(wait4(-1, &st, 0, NULL) > 0 && st == 0, "spinner status");
	close(fds[0]);
	close(fds[1]);
	CHECK(n[0] > 10 && n[1] > 10, "a spinner starved: %u %u", n[0], n[1]);
	return NULL;
}

static const char *t_kill(void)
{
	int pid, st;

	if ((pid = fork()) == 0)
		for (;;)
			;
	CHECK(pid > 0, "fork");
	sleep_ms(30);
	CHECK(kill(pid, 0) == 0, "kill(pid, 0) on a live child");
	CHECK(kill(pid, SIGKILL) == 0, "kill");
	CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "status %x", st);
	CHECK(kill(pid, SIGKILL) == -3, "kill of a reaped pid: want -ESRCH");
	return NULL;
}

static void read_kernel(void) { (void)*(volatile int *)0xC0100000; }
static void write_kernel(void) { *(volatile int *)0xC0000000 = 1; }
static void write_null(void) { *(volatile int *)0 = 1; }
static void do_cli(void) { __asm__ volatile("cli"); }
static void do_hlt(void) { __asm__ volatile("hlt"); }
static void do_inb(void) { __asm__ volatile("inb $0x80, %%al" ::: "eax"); }
static void do_lcr3(void) { __asm__ volatile("movl %%eax, %%cr3" :: "a"(0)); }
static void write_text(void) { *(volatile char *)(u32)write_text = 0; }
static void do_int81(void) { __asm__ volatile("int $0x81"); }
static void do_ud2(void) { __asm__ volatile("ud2"); }

struct fault { const char *name; void (*fn)(void); int sig; };

static const char *t_faults(void)
{
	static const struct fault f[] = {
		{ "read kernel", read_kernel, SIGSEGV },
		{ "write kernel", write_kernel, SIGSEGV },
		{ "write NULL", write_null, SIGSEGV },
		{ "write text", write_text, SIGSEGV },
		{ "cli", do_cli, SIGSEGV },
		{ "hlt", do_hlt, SIGSEGV },
		{ "inb", do_inb, SIGSEGV },
		{ "mov cr3", do_lcr3, SIGSEGV },
		{ "int $0x81", do_int81, SIGSEGV },
		{ "ud2", do_ud2, SIGILL },
	};
	unsigned i;
	int st;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		st = in_child(f[i].fn);
		CHECK(WIFSIGNALED(st) && WTERMSIG(st) == f[i].sig,
		      "%s: status %x, want signal %d", f[i].name, st, f[i].sig);
	}
	return NULL;
}

static const char *t_exec(void)
{
	char *argv[3] = { "exectest", "7", NULL };
	int pid, st;

	CHECK(execve("no-such-program", argv, NULL) == -2, "want -ENOENT");
	if ((pid = fork()) == 0) {
		execve("exectest", argv, NULL);
		exit(100);
	}
	CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7, "status %x", st);
	return NULL;
}

/* isolation.c: a hostile process's every attempt to reach its kernel or
 * its host ends in SIGSEGV, and the kernel carries on. */
static const char *t_isolation(void)
{
	char *argv[2] = { "isolation", NULL };
	int pid, st;

	if ((pid = fork()) == 0) {
		execve("isolation", argv, NULL);
		exit(100);
	}
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid, "waitpid");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "isolation: status %x",
	      st);
	return NULL;
}

static const char *t_time(void)
{
	struct timeval tv;
	u64 t0 = now_ns(), t1;

	CHECK(t0 > 0, "clock_gettime");
	sleep_ms(20);
	t1 = now_ns();
	CHECK(t1 - t0 >= 20000000ull, "slept only %llu ns", t1 - t0);
	CHECK(t1 - t0 < 2000000000ull, "slept %llu ns", t1 - t0);
	CHECK(gettimeofday(&tv, NULL) == 0 && tv.tv_usec < 1000000,
	      "gettimeofday");
	return NULL;
}

static const char *t_wnohang(void)
{
	int fds[2], pid, st;
	char c;

	CHECK(pipe(fds) == 0, "pipe");
	if ((pid = fork()) == 0) {
		close(fds[1]);
		exit(read(fds[0], &c, 1) == 0 ? 0 : 1);
	}
	close(fds[0]);
	CHECK(waitpid(pid, &st, WNOHANG) == 0, "WNOHANG on a live child");
	close(fds[1]);
	CHECK(waitpid(pid, &st, 0) == pid && st == 0, "status %x", st);
	return NULL;
}

/* Fork blocked children until fork fails (process table full) or 40
 * exist; then release and reap them all. */
static const char *t_fork_exhaust(void)
{
	int fds[2], n = 0, pid, st, r = 0;
	char c;

	CHECK(pipe(fds) == 0, "pipe");
	while (n < 40) {
		if ((pid = fork()) == 0) {
			close(fds[1]);
			exit(read(fds[0], &c, 1) == 0 ? 0 : 1);
		}
		if (pid < 0) {
			r = pid;
			break;
		}
		n++;
	}
	close(fds[0]);
	close(fds[1]);
	while (n > 0 && waitpid(-1, &st, 0) > 0 && st == 0)
		n--;
	CHECK(n == 0, "%d children not reaped cleanly", n);
	CHECK(r == 0 || r == -11, "fork failed with %d, want -EAGAIN", r);
	CHECK(fork_ok_after(), "fork after exhaustion");
	return NULL;
}

struct utest { const char *name; const char *(*fn)(void); };

static const struct utest tests[] = {
	{ "syscalls", t_syscalls }, { "fork-wait", t_fork_wait },
	{ "pipe", t_pipe },         { "dup", t_dup },
	{ "pipe-fork", t_pipe_fork },
	{ "brk-demand", t_brk },    { "mmap-demand", t_mmap },
	{ "cow-fork", t_cow },      { "preempt", t_preempt },
	{ "kill", t_kill },         { "user-faults", t_faults },
	{ "user-isolation", t_isolation },
	{ "exec", t_exec },         { "time-sleep", t_time },
	{ "wait-nohang", t_wnohang }, { "fork-exhaust", t_fork_exhaust },
};

int main(int argc, char **argv)
{
	unsigned i;

	(void)argc;
	(void)argv;
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (!t_report(tests[i].name, tests[i].fn()))
			failures++;
	return failures;
}
