/*
 * isolation.c - a hostile guest user program: from ring 3 it tries to
 * reach its own kernel and whatever hosts it, each attempt in a child
 * that must die of the signal native hardware gives (SIGSEGV), while the
 * kernel keeps running.  Attempts: loading the selectors a host or
 * backend could leave reachable (0x7b 0x2b 0x23 0x17 0x0f) and reading
 * the kernel half through them; reading and writing the kernel half and
 * the 0xFC000000 wedge; far jumps to 0x23 and 0x33 (the 64-bit code
 * selector of an x86-64 host), and after the latter a 64-bit system
 * call, a read, a write and a call above 4 GiB.  Prints "isolation: NAME:
 * SIGSEGV" or "... FAILED" per attempt, then a total; the exit status is
 * the number of failures.
 * Runs: ring 3 under the sample kernel (exec'd by usertests) and under
 * Linux (the slow tier's initramfs), natively and on every backend.
 */
#include "../../bench/progs/lib/ulib.h"

#define KERNEL_VA 0xC1000000u
#define WEDGE_VA  0xFC000000u

/* Load sel into %ds, then read the kernel half through it. */
#define SEL_READ(name, sel) \
static void name(void) \
{ \
	u32 v; \
	__asm__ volatile("movw %w1, %%ds\n\tmovl (%2), %0" \
			 : "=r"(v) : "r"(sel), "r"(KERNEL_VA) : "memory"); \
	exit((int)(v | 1)); \
}
SEL_READ(sel_7b, 0x7b)
SEL_READ(sel_2b, 0x2b)
SEL_READ(sel_23, 0x23)
SEL_READ(sel_17, 0x17)
SEL_READ(sel_0f, 0x0f)

/* The same through %fs, which a TLS base would widen. */
static void fs_17(void)
{
	u32 v;
	__asm__ volatile("movw %w1, %%fs\n\tmovl %%fs:(%2), %0"
			 : "=r"(v) : "r"(0x17), "r"(KERNEL_VA) : "memory");
	exit((int)(v | 1));
}

static void read_kernel(void) { exit(*(volatile int *)KERNEL_VA | 1); }
static void write_kernel(void) { *(volatile int *)KERNEL_VA = 1; exit(0); }
static void read_wedge(void) { exit(*(volatile int *)WEDGE_VA | 1); }
static void write_wedge(void) { *(volatile int *)WEDGE_VA = 1; exit(0); }
static void read_stubs(void) { exit(*(volatile int *)(WEDGE_VA + 0x1000) | 1); }

/* A far jump to the host's 32-bit code selector; then carry on. */
static void far_23(void)
{
	__asm__ volatile("ljmp $0x23, $1f\n1:" ::: "memory");
	exit(0);
}

/* Into 64-bit mode; then fn's 64-bit code; back to 32-bit by lret. */
#define FAR_33(name, body) \
static void name(void) \
{ \
	__asm__ volatile("ljmp $0x33, $1f\n" \
			 ".code64\n1:\n" body \
			 "\n\tpushq $0x23\n\tleaq 2f(%%rip), %%rax\n\t" \
			 "pushq %%rax\n\tlretq\n.code32\n2:" \
			 ::: "eax", "ebx", "ecx", "edx", "esi", "edi", "memory"); \
	exit(0); \
}
FAR_33(far_33, "")
FAR_33(far_33_syscall, "movl $39, %%eax\n\tsyscall")        /* getpid */
FAR_33(far_33_read_high, "movabsq $0x100000000000, %%rbx\n\tmovl (%%rbx), %%eax")
FAR_33(far_33_write_high, "movabsq $0x7f0000000000, %%rbx\n\tmovl $1, (%%rbx)")
/* Into whatever code sits at 16 TiB (the hosted backend's user stub keeps
 * its code page there): its first instructions, with our registers. */
FAR_33(far_33_call_high, "movabsq $0x100000000000, %%rbx\n\tcall *%%rbx")

struct attempt { const char *name; void (*fn)(void); };

static const struct attempt attempts[] = {
	{ "ds-0x7b-read-kernel", sel_7b }, { "ds-0x2b-read-kernel", sel_2b },
	{ "ds-0x23-read-kernel", sel_23 }, { "ds-0x17-read-kernel", sel_17 },
	{ "ds-0x0f-read-kernel", sel_0f }, { "fs-0x17-read-kernel", fs_17 },
	{ "read-kernel", read_kernel },    { "write-kernel", write_kernel },
	{ "read-wedge", read_wedge },      { "write-wedge", write_wedge },
	{ "read-wedge-stubs", read_stubs },
	{ "ljmp-0x23", far_23 },           { "ljmp-0x33", far_33 },
	{ "ljmp-0x33-syscall", far_33_syscall },
	{ "ljmp-0x33-read-above-4g", far_33_read_high },
	{ "ljmp-0x33-write-above-4g", far_33_write_high },
	{ "ljmp-0x33-call-above-4g", far_33_call_high },
};

int main(int argc, char **argv)
{
	unsigned i;
	int failures = 0, st, pid;

	(void)argc;
	(void)argv;
	for (i = 0; i < sizeof(attempts) / sizeof(attempts[0]); i++) {
		if ((pid = fork()) == 0) {
			attempts[i].fn();
			exit(0);
		}
		st = -1;
		if (pid < 0 || waitpid(pid, &st, 0) != pid ||
		    !WIFSIGNALED(st) || WTERMSIG(st) != SIGSEGV) {
			printf("isolation: %s FAILED (status %x, want signal "
			       "%d)\n", attempts[i].name, st, SIGSEGV);
			failures++;
		} else {
			printf("isolation: %s: SIGSEGV\n", attempts[i].name);
		}
	}
	if (getpid() <= 0)
		failures++;               /* the kernel still answers */
	printf("isolation: %u attempts, %s\n", i,
	       failures ? "FAILED" : "every one refused");
	return failures;
}
