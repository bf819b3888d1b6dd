/*
 * ulib.h - the tiny user library of previrt's test and benchmark
 * programs: Linux system calls (i386: int $0x80; x86_64: syscall, for
 * the benchmark suite's user-mode-Linux peer), formatted output, timing
 * and the self-test report helper.  Runs: ring 3, in static i386 ELF
 * programs under the sample kernel or unmodified on Linux, or static
 * x86_64 programs under user-mode Linux.  The API is the same on both.
 */
#ifndef ULIB_H
#define ULIB_H

typedef unsigned int u32;
typedef unsigned long long u64;
typedef __SIZE_TYPE__ size_t;

#define NULL ((void *)0)

#if defined(__x86_64__)
/* Linux x86_64 syscall numbers used here (no waitpid: wait4 instead). */
#define SYS_read 0
#define SYS_write 1
#define SYS_open 2
#define SYS_close 3
#define SYS_mmap 9
#define SYS_munmap 11
#define SYS_brk 12
#define SYS_sched_yield 24
#define SYS_dup 32
#define SYS_dup2 33
#define SYS_nanosleep 35
#define SYS_getpid 39
#define SYS_fork 57
#define SYS_execve 59
#define SYS_exit 60
#define SYS_wait4 61
#define SYS_kill 62
#define SYS_gettimeofday 96
#define SYS_getppid 110
#define SYS_sync 162
#define SYS_mount 165
#define SYS_reboot 169
#define SYS_pipe 22
#define SYS_exit_group 231
#define SYS_clock_gettime 228
#elif defined(__i386__)
/* Linux i386 syscall numbers used here. */
#define SYS_exit 1
#define SYS_fork 2
#define SYS_read 3
#define SYS_write 4
#define SYS_open 5
#define SYS_close 6
#define SYS_waitpid 7
#define SYS_execve 11
#define SYS_getpid 20
#define SYS_kill 37
#define SYS_dup 41
#define SYS_pipe 42
#define SYS_sync 36
#define SYS_brk 45
#define SYS_mount 21
#define SYS_reboot 88
#define SYS_dup2 63
#define SYS_getppid 64
#define SYS_gettimeofday 78
#define SYS_munmap 91
#define SYS_wait4 114
#define SYS_sched_yield 158
#define SYS_nanosleep 162
#define SYS_mmap2 192
#define SYS_exit_group 252
#define SYS_clock_gettime 265
#else
#error "ulib: i386 or x86_64 only"
#endif
#define SYS_pv_report 999     /* previrt sample kernel only; ENOSYS on Linux */

#define WNOHANG 1
#define WIFEXITED(s)   (((s) & 0x7f) == 0)
#define WEXITSTATUS(s) (((s) >> 8) & 0xff)
#define WIFSIGNALED(s) (((s) & 0x7f) != 0 && ((s) & 0x7f) != 0x7f)
#define WTERMSIG(s)    ((s) & 0x7f)
#define SIGILL 4
#define SIGKILL 9
#define SIGSEGV 11

struct timespec { long tv_sec; long tv_nsec; };
struct timeval { long tv_sec; long tv_usec; };

long syscall6(long nr, long a, long b, long c, long d, long e, long f);

void exit(int code) __attribute__((noreturn));
int fork(void);
int read(int fd, void *buf, size_t n);
int write(int fd, const void *buf, size_t n);
int close(int fd);
int getpid(void);
int getppid(void);
int pipe(int fds[2]);
int dup(int fd);
int dup2(int oldfd, int newfd);
long brk(void *addr);
int waitpid(int pid, int *status, int options);
int wait4(int pid, int *status, int options, void *rusage);
int execve(const char *path, char *const argv[], char *const envp[]);
int kill(int pid, int sig);
int sched_yield(void);
int nanosleep(const struct timespec *req, struct timespec *rem);
int clock_gettime(int clk, struct timespec *ts);
int gettimeofday(struct timeval *tv, void *tz);
void *mmap_anon(size_t len);      /* mmap2 anonymous private rw, or NULL */
int munmap(void *addr, size_t len);
int open(const char *path, int flags, int mode);
int mount(const char *src, const char *dir, const char *type, u32 flags,
	  const void *data);
void sync(void);
int reboot_poweroff(void);        /* reboot(RB_POWER_OFF); needs root */

u64 rdtsc(void);
u64 now_ns(void);                 /* CLOCK_MONOTONIC */
void sleep_ms(u32 ms);

size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int atoi(const char *s);

int printf(const char *fmt, ...);   /* %d %u %x %s %c %llu %lld */
int snprintf(char *buf, size_t n, const char *fmt, ...);

/* Self tests: print "<name> ok" or "<name> FAILED: <why>" and report it
 * to the sample kernel; returns 1 if ok. */
int t_report(const char *name, const char *failure);

int main(int argc, char **argv);

#endif
