/*
 * ulib.c - start-up code, system-call stubs, formatting and helpers for
 * previrt's user programs (see ulib.h).  Runs: ring 3, static i386 ELF
 * (or static x86_64 ELF for the benchmark suite's user-mode-Linux peer).
 * Build: clang-16 --target=i386-pc-linux-gnu -march=i686 -mno-sse
 * -ffreestanding -nostdlib -static, linked with ld.lld-16 at 0x08048000
 * (x86_64: --target=x86_64-pc-linux-gnu, default image base).
 */
#include <stdarg.h>
#include "ulib.h"

#if defined(__x86_64__)
/* _start: Linux x86_64 initial stack is argc, argv[], NULL, envp[] ... */
__asm__(".text\n"
	".globl _start\n"
	"_start:\n"
	"	xorl %ebp, %ebp\n"
	"	movq %rsp, %rdi\n"
	"	andq $-16, %rsp\n"
	"	call ulib_start\n"
	"	hlt\n"
	/* long syscall6(nr, a, b, c, d, e, f): SysV to the syscall insn */
	".globl syscall6\n"
	"syscall6:\n"
	"	movq %rdi, %rax\n"
	"	movq %rsi, %rdi\n"
	"	movq %rdx, %rsi\n"
	"	movq %rcx, %rdx\n"
	"	movq %r8, %r10\n"
	"	movq %r9, %r8\n"
	"	movq 8(%rsp), %r9\n"
	"	syscall\n"
	"	ret\n");
#else
/* _start: Linux i386 initial stack is argc, argv[], NULL, envp[] ... */
__asm__(".text\n"
	".globl _start\n"
	"_start:\n"
	"	xorl %ebp, %ebp\n"
	"	movl %esp, %eax\n"
	"	andl $-16, %esp\n"
	"	subl $12, %esp\n"
	"	pushl %eax\n"
	"	call ulib_start\n"
	"	hlt\n"
	/* long syscall6(nr, a, b, c, d, e, f): cdecl to int $0x80 */
	".globl syscall6\n"
	"syscall6:\n"
	"	pushl %ebp\n"
	"	pushl %edi\n"
	"	pushl %esi\n"
	"	pushl %ebx\n"
	"	movl 20(%esp), %eax\n"
	"	movl 24(%esp), %ebx\n"
	"	movl 28(%esp), %ecx\n"
	"	movl 32(%esp), %edx\n"
	"	movl 36(%esp), %esi\n"
	"	movl 40(%esp), %edi\n"
	"	movl 44(%esp), %ebp\n"
	"	int $0x80\n"
	"	popl %ebx\n"
	"	popl %esi\n"
	"	popl %edi\n"
	"	popl %ebp\n"
	"	ret\n");
#endif

void ulib_start(unsigned long *sp);

void ulib_start(unsigned long *sp)
{
	exit(main((int)sp[0], (char **)(sp + 1)));
}

#define SC0(n)          syscall6(n, 0, 0, 0, 0, 0, 0)
#define SC1(n, a)       syscall6(n, (long)(a), 0, 0, 0, 0, 0)
#define SC2(n, a, b)    syscall6(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define SC3(n, a, b, c) syscall6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)

void exit(int code)
{
	for (;;)
		SC1(SYS_exit_group, code);
}

int fork(void) { return (int)SC0(SYS_fork); }
int read(int fd, void *b, size_t n) { return (int)SC3(SYS_read, fd, b, n); }
int write(int fd, const void *b, size_t n)
{
	return (int)SC3(SYS_write, fd, b, n);
}
int close(int fd) { return (int)SC1(SYS_close, fd); }
int getpid(void) { return (int)SC0(SYS_getpid); }
int getppid(void) { return (int)SC0(SYS_getppid); }
int pipe(int fds[2]) { return (int)SC1(SYS_pipe, fds); }
int dup(int fd) { return (int)SC1(SYS_dup, fd); }
int dup2(int o, int n) { return (int)SC2(SYS_dup2, o, n); }
long brk(void *addr) { return SC1(SYS_brk, addr); }
int waitpid(int pid, int *st, int opt)
{
#ifdef SYS_waitpid
	return (int)SC3(SYS_waitpid, pid, st, opt);
#else
	return wait4(pid, st, opt, NULL);
#endif
}
int wait4(int pid, int *st, int opt, void *ru)
{
	return (int)syscall6(SYS_wait4, pid, (long)st, opt, (long)ru, 0, 0);
}
int execve(const char *path, char *const argv[], char *const envp[])
{
	return (int)SC3(SYS_execve, path, argv, envp);
}
int kill(int pid, int sig) { return (int)SC2(SYS_kill, pid, sig); }
int sched_yield(void) { return (int)SC0(SYS_sched_yield); }
int nanosleep(const struct timespec *req, struct timespec *rem)
{
	return (int)SC2(SYS_nanosleep, req, rem);
}
int clock_gettime(int clk, struct timespec *ts)
{
	return (int)SC2(SYS_clock_gettime, clk, ts);
}
int gettimeofday(struct timeval *tv, void *tz)
{
	return (int)SC2(SYS_gettimeofday, tv, tz);
}

void *mmap_anon(size_t len)
{
	/* PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, fd -1 */
#ifdef SYS_mmap2
	long r = syscall6(SYS_mmap2, 0, (long)len, 3, 0x22, -1, 0);
#else
	long r = syscall6(SYS_mmap, 0, (long)len, 3, 0x22, -1, 0);
#endif
	return (r < 0 && r > -4096) ? NULL : (void *)r;
}

int munmap(void *addr, size_t len)
{
	return (int)SC2(SYS_munmap, addr, len);
}

int open(const char *path, int flags, int mode)
{
	return (int)SC3(SYS_open, path, flags, mode);
}

int mount(const char *src, const char *dir, const char *type, u32 flags,
	  const void *data)
{
	return (int)syscall6(SYS_mount, (long)src, (long)dir, (long)type,
			     (long)flags, (long)data, 0);
}

void sync(void) { SC0(SYS_sync); }

/* reboot(LINUX_REBOOT_MAGIC1, MAGIC2, LINUX_REBOOT_CMD_POWER_OFF) */
int reboot_poweroff(void)
{
	return (int)SC3(SYS_reboot, 0xfee1dead, 672274793, 0x4321fedc);
}

u64 rdtsc(void)
{
	u32 lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

u64 now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(1, &ts) < 0)
		return 0;
	return (u64)ts.tv_sec * 1000000000u + (u32)ts.tv_nsec;
}

void sleep_ms(u32 ms)
{
	struct timespec ts = { (long)(ms / 1000), (long)(ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n && *a && *a == *b; n--)
		a++, b++;
	return n ? (unsigned char)*a - (unsigned char)*b : 0;
}

void *memset(void *d, int c, size_t n)
{
	unsigned char *p = d;
	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *dp = d;
	const unsigned char *sp = s;
	while (n--)
		*dp++ = *sp++;
	return d;
}

int atoi(const char *s)
{
	int v = 0, neg = *s == '-';

	for (s += neg; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (*s - '0');
	return neg ? -v : v;
}

/* 64-bit division helpers the compiler calls (shift and subtract). */
static u64 udivmod64(u64 n, u64 d, u64 *rem)
{
	u64 q = 0, r = 0;
	int i;

	if (d == 0) {
		*rem = 0;
		return 0;
	}
	if ((n >> 32) == 0 && (d >> 32) == 0) {
		*rem = (u32)n % (u32)d;
		return (u32)n / (u32)d;
	}
	for (i = 63; i >= 0; i--) {
		r = (r << 1) | ((n >> i) & 1);
		if (r >= d) {
			r -= d;
			q |= 1ull << i;
		}
	}
	*rem = r;
	return q;
}

u64 __udivdi3(u64 n, u64 d);
u64 __umoddi3(u64 n, u64 d);
u64 __udivdi3(u64 n, u64 d) { u64 r; return udivmod64(n, d, &r); }
u64 __umoddi3(u64 n, u64 d) { u64 r; udivmod64(n, d, &r); return r; }

struct obuf { char *b; size_t n, cap; };

static void ob_put(struct obuf *o, char c)
{
	if (o->n + 1 < o->cap)
		o->b[o->n++] = c;
}

static void ob_num(struct obuf *o, u64 v, unsigned base, int neg)
{
	char tmp[24];
	int i = 0;

	do {
		tmp[i++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		ob_put(o, '-');
	while (i)
		ob_put(o, tmp[--i]);
}

static void ob_vformat(struct obuf *o, const char *f, va_list ap)
{
	for (; *f; f++) {
		int ll = 0;
		long long sv;
		const char *s;
		if (*f != '%') {
			ob_put(o, *f);
			continue;
		}
		while (*++f == 'l')
			ll++;
		switch (*f) {
		case 'd':
			sv = ll >= 2 ? va_arg(ap, long long) :
			     ll ? va_arg(ap, long) : va_arg(ap, int);
			ob_num(o, sv < 0 ? (u64)-sv : (u64)sv, 10, sv < 0);
			break;
		case 'u': case 'x':
			ob_num(o, ll >= 2 ? va_arg(ap, u64) :
				  ll ? va_arg(ap, unsigned long) : va_arg(ap, u32),
			       *f == 'u' ? 10 : 16, 0);
			break;
		case 's':
			for (s = va_arg(ap, const char *); s && *s; s++)
				ob_put(o, *s);
			break;
		case 'c':
			ob_put(o, (char)va_arg(ap, int));
			break;
		case 0:
			return;
		default:
			ob_put(o, *f);
		}
	}
}

int snprintf(char *buf, size_t n, const char *fmt, ...)
{
	struct obuf o = { buf, 0, n };
	va_list ap;

	va_start(ap, fmt);
	ob_vformat(&o, fmt, ap);
	va_end(ap);
	if (n)
		buf[o.n] = 0;
	return (int)o.n;
}

/* One write per call, so lines of concurrent processes do not mix. */
int printf(const char *fmt, ...)
{
	char buf[256];
	struct obuf o = { buf, 0, sizeof(buf) };
	va_list ap;

	va_start(ap, fmt);
	ob_vformat(&o, fmt, ap);
	va_end(ap);
	return write(1, buf, o.n);
}

int t_report(const char *name, const char *failure)
{
	if (failure)
		printf("%s FAILED: %s\n", name, failure);
	else
		printf("%s ok\n", name);
	syscall6(SYS_pv_report, failure == NULL, 0, 0, 0, 0, 0);
	return failure == NULL;
}
