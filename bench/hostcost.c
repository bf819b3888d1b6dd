/*
 * hostcost.c - previrt-hostcost: what the host charges for the hand-overs
 * the hosted backend's user stub is built from (docs/hosted.md, "Why this
 * design"): a 64-bit null system call, each ptrace request the kernel
 * side makes per stop, one ptrace stop round trip (seccomp TRACE stop,
 * GETREGS, SETREGS, CONT) with both processes on one core and unpinned,
 * and a futex ping-pong between two processes sharing a page, for
 * comparison.  rdtsc cycles, median of 7 rounds of 2000.
 * Runs: host.  Usage: build/bench/previrt-hostcost
 */
#define _GNU_SOURCE
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>
#include <x86intrin.h>

#define ROUNDS 7
#define N 2000

static uint64_t median(uint64_t *v)
{
	for (int i = 0; i < ROUNDS; i++)
		for (int j = i + 1; j < ROUNDS; j++)
			if (v[j] < v[i]) {
				uint64_t t = v[i]; v[i] = v[j]; v[j] = t;
			}
	return v[ROUNDS / 2];
}

static void pin(int on)
{
	cpu_set_t s;
	CPU_ZERO(&s);
	if (on)
		CPU_SET(sched_getcpu(), &s);
	else
		for (int c = 0; c < CPU_SETSIZE && c < 64; c++)
			CPU_SET(c, &s);
	sched_setaffinity(0, sizeof s, &s);
}

/* A child that calls getppid forever; each call stops for the tracer. */
static pid_t traced_child(void)
{
	pid_t p = fork();
	if (p == 0) {
		struct sock_filter f[] = {
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
				 offsetof(struct seccomp_data, nr)),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		};
		struct sock_fprog prog = { 4, f };
		raise(SIGSTOP);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
			_exit(1);
		for (;;)
			syscall(SYS_getppid);
	}
	int st;
	waitpid(p, &st, WUNTRACED);
	ptrace(PTRACE_SEIZE, p, 0, (void *)(long)(PTRACE_O_EXITKILL |
						  PTRACE_O_TRACESECCOMP));
	kill(p, SIGCONT);
	return p;
}

static uint64_t ptrace_round_trip(void)
{
	uint64_t v[ROUNDS];
	pid_t p = traced_child();
	struct user_regs_struct r;
	int st;
	for (int k = 0; k < ROUNDS; k++) {
		uint64_t t = 0;
		for (int i = 0; i < N + 10; i++) {
			if (i == 10)
				t = __rdtsc();
			waitpid(p, &st, __WALL);
			if ((st >> 16) != PTRACE_EVENT_SECCOMP) {
				ptrace(PTRACE_CONT, p, 0, 0);
				i--;
				continue;
			}
			ptrace(PTRACE_GETREGS, p, 0, &r);
			r.orig_rax = (unsigned long long)-1;
			ptrace(PTRACE_SETREGS, p, 0, &r);
			ptrace(PTRACE_CONT, p, 0, 0);
		}
		v[k] = (__rdtsc() - t) / N;
	}
	kill(p, SIGKILL);
	waitpid(p, &st, __WALL);
	return median(v);
}

/* Cost of one ptrace request on a stopped tracee. */
static uint64_t ptrace_request(int req)
{
	uint64_t v[ROUNDS];
	static struct user_fpregs_struct fp;
	struct user_regs_struct r;
	siginfo_t si;
	pid_t p = fork();
	int st;
	if (p == 0)
		for (;;)
			pause();
	ptrace(PTRACE_SEIZE, p, 0, 0);
	ptrace(PTRACE_INTERRUPT, p, 0, 0);
	waitpid(p, &st, __WALL);
	ptrace(PTRACE_GETREGS, p, 0, &r);
	ptrace(PTRACE_GETFPREGS, p, 0, &fp);
	void *data = req == PTRACE_GETSIGINFO ? (void *)&si :
		     req == PTRACE_GETFPREGS || req == PTRACE_SETFPREGS ?
		     (void *)&fp : (void *)&r;
	for (int k = 0; k < ROUNDS; k++) {
		uint64_t t = __rdtsc();
		for (int i = 0; i < N; i++)
			ptrace(req, p, 0, data);
		v[k] = (__rdtsc() - t) / N;
	}
	kill(p, SIGKILL);
	waitpid(p, &st, __WALL);
	return median(v);
}

static long futex(uint32_t *w, int op, uint32_t val)
{
	return syscall(SYS_futex, w, op, val, NULL, NULL, 0);
}

/* Two processes hand a word back and forth: one round trip each. */
static uint64_t futex_ping_pong(void)
{
	uint64_t v[ROUNDS];
	uint32_t *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int st;
	pid_t p = fork();
	if (p == 0)
		for (;;) {
			while (__atomic_load_n(w, __ATOMIC_ACQUIRE) != 1)
				futex(w, FUTEX_WAIT, 0);
			__atomic_store_n(w, 0, __ATOMIC_RELEASE);
			futex(w, FUTEX_WAKE, 1);
		}
	for (int k = 0; k < ROUNDS; k++) {
		uint64_t t = __rdtsc();
		for (int i = 0; i < N; i++) {
			__atomic_store_n(w, 1, __ATOMIC_RELEASE);
			futex(w, FUTEX_WAKE, 1);
			while (__atomic_load_n(w, __ATOMIC_ACQUIRE) != 0)
				futex(w, FUTEX_WAIT, 1);
		}
		v[k] = (__rdtsc() - t) / N;
	}
	kill(p, SIGKILL);
	waitpid(p, &st, 0);
	return median(v);
}

static uint64_t null_syscall(void)
{
	uint64_t v[ROUNDS];
	for (int k = 0; k < ROUNDS; k++) {
		uint64_t t = __rdtsc();
		for (int i = 0; i < N; i++)
			syscall(SYS_getppid);
		v[k] = (__rdtsc() - t) / N;
	}
	return median(v);
}

int main(void)
{
	static const struct { const char *name; int req; } reqs[] = {
		{ "GETREGS", PTRACE_GETREGS }, { "SETREGS", PTRACE_SETREGS },
		{ "GETFPREGS", PTRACE_GETFPREGS },
		{ "SETFPREGS", PTRACE_SETFPREGS },
		{ "GETSIGINFO", PTRACE_GETSIGINFO },
	};
	printf("HOSTCOST syscall-64 %llu cycles\n",
	       (unsigned long long)null_syscall());
	for (unsigned i = 0; i < sizeof reqs / sizeof reqs[0]; i++)
		printf("HOSTCOST ptrace-%s %llu cycles\n", reqs[i].name,
		       (unsigned long long)ptrace_request(reqs[i].req));
	for (int on = 1; on >= 0; on--) {
		pin(on);
		printf("HOSTCOST ptrace-stop-round-trip-%s %llu cycles\n",
		       on ? "one-core" : "any-core",
		       (unsigned long long)ptrace_round_trip());
		printf("HOSTCOST futex-round-trip-%s %llu cycles\n",
		       on ? "one-core" : "any-core",
		       (unsigned long long)futex_ping_pong());
	}
	return 0;
}
