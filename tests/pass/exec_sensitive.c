/*
 * exec_sensitive.c - exec test of the compiler pass: a 32-bit Linux user
 * program that runs user-mode-safe sensitive instructions (pushf/popf,
 * cpuid, segment reads and reloads, lar/lsl/verr/verw, far call/jump/ret,
 * lds/les/lfs, int $0x80, rdtsc) and prints deterministic results.
 * Privileged ones (cli, hlt, in, rdmsr, mov %cr0; and smsw/sgdt/sidt/
 * sldt/str where UMIP forbids them) run under a fault guard and print
 * how they faulted.  Built with and without -fpass-plugin; both outputs
 * must be identical (tests/pass/exec_compare.sh).
 * Runs: host, as a 32-bit hosted process (clang-16 -m32).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct ex_farptr {
	unsigned off;
	unsigned short sel;
} __attribute__((packed));

static sigjmp_buf ex_jmp;

static void ex_fault(int sig)
{
	siglongjmp(ex_jmp, sig);
}

static void ex_guard_init(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = ex_fault;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

/* Run body; on a fault print "<name>: faulted (signal N)" instead. */
#define EX_GUARDED(name, body)						\
	do {								\
		int ex_sig = sigsetjmp(ex_jmp, 1);			\
		if (ex_sig)						\
			printf("%s: faulted (signal %d)\n", name, ex_sig); \
		else {							\
			body;						\
		}							\
	} while (0)

static inline __attribute__((always_inline)) unsigned long ex_flags(void)
{
	unsigned long f;
	asm volatile("pushf ; pop %0" : "=rm"(f) : : "memory");
	return f;
}

static inline __attribute__((always_inline)) void ex_set_flags(unsigned long f)
{
	asm volatile("push %0 ; popf" : : "g"(f) : "memory", "cc");
}

static void ex_test_flags(void)
{
	unsigned long f0 = ex_flags();
	ex_set_flags(f0 | 1);                    /* CF */
	unsigned long f1 = ex_flags();
	ex_set_flags(f0 ^ (1ul << 21));          /* ID */
	unsigned long f2 = ex_flags();
	ex_set_flags(f0);
	printf("flags: IF=%lu IOPL=%lu CF-set=%lu ID-toggles=%lu\n",
	       (f0 >> 9) & 1, (f0 >> 12) & 3, f1 & 1,
	       ((f0 ^ f2) >> 21) & 1);
}

static void ex_test_cpuid(void)
{
	unsigned a = 0, b, c = 0, d;
	char vendor[13];
	asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	memcpy(vendor, &b, 4);
	memcpy(vendor + 4, &d, 4);
	memcpy(vendor + 8, &c, 4);
	vendor[12] = 0;
	unsigned max = a;
	a = 1;
	c = 0;
	asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	printf("cpuid: vendor %s max-leaf %#x signature %#x\n", vendor, max, a);
}

static void ex_test_segments(void)
{
	unsigned cs, ds, ss, es, pushed;
	asm volatile("mov %%cs, %0" : "=r"(cs));
	asm volatile("movl %%ds, %0" : "=r"(ds));
	asm volatile("mov %%ss, %0" : "=r"(ss));
	asm volatile("movw %%es, %w0" : "=r"(es));
	asm volatile("push %%ss\n\tpop %0" : "=r"(pushed));
	printf("segments: cs=%#x ds=%#x ss=%#x es=%#x push-ss=%#x\n",
	       cs, ds, ss & 0xffff, es & 0xffff, pushed & 0xffff);
	/* reload with the same selectors */
	asm volatile("mov %0, %%ds\n\tpush %%ds\n\tpop %%es" : : "r"(ds) : "memory");
	asm volatile("movl %%ds, %0" : "=r"(ds));
	printf("segments: reloaded ds=%#x\n", ds);
}

static void ex_test_seg_query(void)
{
	unsigned cs, ar = 0, lim = 0;
	unsigned char rd, wr;
	asm volatile("mov %%cs, %0" : "=r"(cs));
	asm volatile("lar %1, %0" : "=r"(ar) : "r"(cs) : "cc");
	asm volatile("lsl %1, %0" : "=r"(lim) : "r"(cs) : "cc");
	asm volatile("verr %w1\n\tsetz %0" : "=q"(rd) : "r"(cs) : "cc");
	asm volatile("verw %w1\n\tsetz %0" : "=q"(wr) : "r"(cs) : "cc");
	printf("seg-query: cs ar=%#x limit=%#x readable=%u writable=%u\n",
	       ar & 0x00f0ff00, lim, rd, wr);
}

/* A far-callable target in module asm: returns 42 with lret. */
asm(".text\n"
    "ex_far_target:\n\t"
    "movl $42, %eax\n\t"
    "lret\n");

static void ex_test_far(void)
{
	struct ex_farptr fp;
	unsigned r = 0, cs;
	asm volatile("mov %%cs, %0" : "=r"(cs));
	fp.sel = (unsigned short)cs;
	asm volatile("movl $ex_far_target, (%1)\n\t"
		     "lcall *(%1)" : "=a"(r) : "r"(&fp) : "memory", "cc");
	printf("far: lcall/lret returned %u\n", r);
	asm volatile("movl $1f, (%0)\n\t"
		     "movw %%cs, 4(%0)\n\t"
		     "ljmp *(%0)\n\t"
		     "ud2\n"
		     "1:" : : "r"(&fp) : "memory");
	asm volatile("pushl %%cs\n\tpushl $2f\n\tlret\n\tud2\n2:" : : : "memory");
	printf("far: ljmp and push %%cs/lret landed\n");
}

static void ex_test_far_loads(void)
{
	static int x;
	struct ex_farptr fp;
	unsigned ds, fs, got1, got2, got3;
	asm volatile("movl %%ds, %0" : "=r"(ds));
	asm volatile("movl %%fs, %0" : "=r"(fs));
	fp.off = (unsigned)&x;
	fp.sel = (unsigned short)ds;
	asm volatile("lds (%1), %0" : "=r"(got1) : "r"(&fp) : "memory");
	asm volatile("les (%1), %0" : "=r"(got2) : "r"(&fp) : "memory");
	fp.sel = (unsigned short)fs;
	asm volatile("lfs (%1), %0" : "=r"(got3) : "r"(&fp) : "memory");
	printf("far-loads: lds=%d les=%d lfs=%d\n", got1 == (unsigned)&x,
	       got2 == (unsigned)&x, got3 == (unsigned)&x);
}

static void ex_test_misc(void)
{
	unsigned pid;
	unsigned lo1, hi1, lo2, hi2;
	asm volatile("int $0x80" : "=a"(pid) : "0"(20) : "memory"); /* getpid */
	printf("int80: getpid matches=%d\n", pid == (unsigned)getpid());
	asm volatile("rdtsc" : "=a"(lo1), "=d"(hi1));
	asm volatile("rdtsc" : "=a"(lo2), "=d"(hi2));
	unsigned long long t1 = ((unsigned long long)hi1 << 32) | lo1;
	unsigned long long t2 = ((unsigned long long)hi2 << 32) | lo2;
	printf("rdtsc: monotonic=%d\n", t2 >= t1);
}

/* UMIP makes these fault (or the kernel emulates them with dummies). */
static void ex_test_umip(void)
{
	struct {
		unsigned short limit;
		unsigned base;
	} __attribute__((packed)) dt;
	unsigned v = 0;
	EX_GUARDED("smsw", asm volatile("smsw %0" : "=r"(v));
		   printf("smsw: PE=%u\n", v & 1));
	EX_GUARDED("sgdt", asm volatile("sgdt %0" : "=m"(dt));
		   printf("sgdt: ran\n"));
	EX_GUARDED("sidt", asm volatile("sidt %0" : "=m"(dt));
		   printf("sidt: ran\n"));
	EX_GUARDED("sldt", asm volatile("sldt %0" : "=r"(v));
		   printf("sldt: ran\n"));
	EX_GUARDED("str", asm volatile("str %0" : "=r"(v));
		   printf("str: ran\n"));
}

static void ex_test_privileged(void)
{
	unsigned v;
	EX_GUARDED("cli", asm volatile("cli"); printf("cli: ran\n"));
	EX_GUARDED("hlt", asm volatile("hlt"); printf("hlt: ran\n"));
	EX_GUARDED("inb", asm volatile("inb $0x80, %%al" : : : "eax");
		   printf("inb: ran\n"));
	EX_GUARDED("rdmsr", asm volatile("rdmsr" : "=a"(v) : "c"(0x10) : "edx");
		   printf("rdmsr: ran\n"));
	EX_GUARDED("mov-cr0", asm volatile("mov %%cr0, %0" : "=r"(v));
		   printf("mov-cr0: ran\n"));
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	ex_guard_init();
	ex_test_flags();
	ex_test_cpuid();
	ex_test_segments();
	ex_test_seg_query();
	ex_test_far();
	ex_test_far_loads();
	ex_test_misc();
	ex_test_umip();
	ex_test_privileged();
	printf("exec_sensitive: done\n");
	return 0;
}
