/*
 * syscall.c - int $0x80 system calls with Linux i386 numbers and
 * conventions (eax = number, ebx ecx edx esi edi ebp = arguments, eax =
 * result or -errno), plus one private call (PV_SYS_REPORT) through which
 * user self-tests report a result.  Runs: guest kernel, with interrupts
 * enabled (int $0x80 is a trap gate).
 */
#include "kernel.h"
#include "x86.h"

#define ENOENT 2
#define EBADF  9
#define ENOMEM 12
#define EFAULT 14
#define EINVAL 22
#define EMFILE 24
#define ENOSYS 38
#define E2BIG  7

#define MAP_FIXED     0x10
#define MAP_ANONYMOUS 0x20
#define PV_SYS_REPORT 999
#define NSYSCALL      266

int tests_passed, tests_failed;

void report_test(int ok)
{
	if (ok)
		tests_passed++;
	else
		tests_failed++;
}

static struct file *fd_file(int fd)
{
	if (fd < 0 || fd >= NOFILE)
		return NULL;
	return curproc->ofile[fd];
}

static int fd_alloc(struct file *f)
{
	int fd;

	for (fd = 0; fd < NOFILE; fd++)
		if (!curproc->ofile[fd]) {
			curproc->ofile[fd] = f;
			return fd;
		}
	return -EMFILE;
}

static int sys_exit(struct trapframe *tf)
{
	proc_exit((tf->ebx & 0xff) << 8);
}

static int sys_fork(struct trapframe *tf)
{
	(void)tf;
	return proc_fork();
}

static int sys_read(struct trapframe *tf)
{
	struct file *f = fd_file((int)tf->ebx);

	return f ? file_read(curproc, f, tf->ecx, tf->edx) : -EBADF;
}

static int sys_write(struct trapframe *tf)
{
	struct file *f = fd_file((int)tf->ebx);

	return f ? file_write(curproc, f, tf->ecx, tf->edx) : -EBADF;
}

static int sys_close(struct trapframe *tf)
{
	struct file *f = fd_file((int)tf->ebx);

	if (!f)
		return -EBADF;
	curproc->ofile[tf->ebx] = NULL;
	file_close(f);
	return 0;
}

static int sys_dup(struct trapframe *tf)
{
	struct file *f = fd_file((int)tf->ebx);
	int fd;

	if (!f)
		return -EBADF;
	if ((fd = fd_alloc(f)) >= 0)
		file_dup(f);
	return fd;
}

/* dup2(old, new): new refers to old's file, closing what new held. */
static int sys_dup2(struct trapframe *tf)
{
	struct file *f = fd_file((int)tf->ebx), *old;
	u32 nfd = tf->ecx;

	if (!f || nfd >= NOFILE)
		return -EBADF;
	if (nfd == tf->ebx)
		return (int)nfd;
	old = curproc->ofile[nfd];
	curproc->ofile[nfd] = file_dup(f);
	if (old)
		file_close(old);
	return (int)nfd;
}

static int sys_waitpid(struct trapframe *tf)
{
	return proc_wait((int)tf->ebx, tf->ecx, (int)tf->edx);
}

/* Copy path and argv into one kernel page, then exec. */
static int sys_execve(struct trapframe *tf)
{
	char *buf = kalloc(), *argv[16], *at;
	u32 uptr;
	int argc = 0, n, r = -EFAULT;

	if (!buf)
		return -ENOMEM;
	if ((n = copyinstr(curproc, buf, tf->ebx, 256)) < 0)
		goto out;
	at = buf + n + 1;
	for (; tf->ecx; argc++) {
		if (argc == 16) {
			r = -E2BIG;
			goto out;
		}
		if (copyin(curproc, &uptr, tf->ecx + 4 * argc, 4) < 0)
			goto out;
		if (!uptr)
			break;
		n = copyinstr(curproc, at, uptr, buf + PGSIZE - at);
		if (n < 0)
			goto out;
		argv[argc] = at;
		at += n + 1;
	}
	r = exec(curproc, buf, argv, argc);
out:
	kfree(buf);
	return r;
}

static int sys_getpid(struct trapframe *tf)
{
	(void)tf;
	return curproc->pid;
}

static int sys_getppid(struct trapframe *tf)
{
	(void)tf;
	return curproc->parent ? curproc->parent->pid : 0;
}

static int sys_kill(struct trapframe *tf)
{
	return proc_kill((int)tf->ebx, (int)tf->ecx);
}

static int sys_pipe(struct trapframe *tf)
{
	struct file *rf, *wf;
	int fds[2];

	if (pipe_alloc(&rf, &wf) < 0)
		return -EMFILE;
	fds[0] = fd_alloc(rf);
	fds[1] = fds[0] < 0 ? -1 : fd_alloc(wf);
	if (fds[1] < 0 || copyout(curproc, tf->ebx, fds, 8) < 0) {
		if (fds[0] >= 0)
			curproc->ofile[fds[0]] = NULL;
		if (fds[1] >= 0)
			curproc->ofile[fds[1]] = NULL;
		file_close(rf);
		file_close(wf);
		return fds[1] < 0 ? -EMFILE : -EFAULT;
	}
	return 0;
}

/* brk: grow lazily (pages are demand-zero), shrink by unmapping. */
static int sys_brk(struct trapframe *tf)
{
	struct proc *p = curproc;
	u32 want = tf->ebx;

	if (want < p->brk_base || want > MMAPBASE)
		return (int)p->brk;
	if (PGROUNDUP(want) < PGROUNDUP(p->brk))
		vm_unmap_range(p->pgdir, PGROUNDUP(want), PGROUNDUP(p->brk));
	p->brk = want;
	return (int)want;
}

static int sys_time(struct trapframe *tf, int clock)
{
	u64 ns = now_ns();
	u32 tv[2];

	tv[0] = (u32)(ns / 1000000000u);
	tv[1] = (u32)(ns % 1000000000u);
	if (!clock)
		tv[1] /= 1000;
	if (copyout(curproc, clock ? tf->ecx : tf->ebx, tv, 8) < 0)
		return -EFAULT;
	return 0;
}

static int sys_gettimeofday(struct trapframe *tf)
{
	return tf->ebx ? sys_time(tf, 0) : 0;
}

static int sys_clock_gettime(struct trapframe *tf)
{
	return tf->ebx <= 7 ? sys_time(tf, 1) : -EINVAL;
}

static int sys_sched_yield(struct trapframe *tf)
{
	(void)tf;
	yield();
	return 0;
}

/* Sleep until now_ns() reaches the deadline, waking at every tick. */
static int sys_nanosleep(struct trapframe *tf)
{
	u32 ts[2], zero[2] = { 0, 0 }, f;
	u64 until;

	if (copyin(curproc, ts, tf->ebx, 8) < 0)
		return -EFAULT;
	if (ts[1] >= 1000000000u)
		return -EINVAL;
	until = now_ns() + (u64)ts[0] * 1000000000u + ts[1];
	f = irq_save();
	while (now_ns() < until && !curproc->killed)
		sleep_on((const void *)&ticks);
	irq_restore(f);
	if (tf->ecx)
		copyout(curproc, tf->ecx, zero, 8);
	return 0;
}

/* Find room for len bytes of mappings at or above MMAPBASE. */
static u32 mmap_place(struct proc *p, u32 len)
{
	u32 at = MMAPBASE;
	int i, moved = 1;

	while (moved) {
		moved = 0;
		for (i = 0; i < NMMAP; i++)
			if (p->mmaps[i].end && at < p->mmaps[i].end &&
			    at + len > p->mmaps[i].start) {
				at = p->mmaps[i].end;
				moved = 1;
			}
	}
	return at + len <= USERTOP - STACKSIZE ? at : 0;
}

/* Remove [a, b) from the region list, splitting a region if needed. */
static int mmap_remove(struct proc *p, u32 a, u32 b)
{
	struct region *r;
	int i, j;

	for (i = 0; i < NMMAP; i++) {
		r = &p->mmaps[i];
		if (!r->end || b <= r->start || a >= r->end)
			continue;
		if (a > r->start && b < r->end) {
			for (j = 0; j < NMMAP && p->mmaps[j].end; j++)
				;
			if (j == NMMAP)
				return -ENOMEM;
			p->mmaps[j].start = b;
			p->mmaps[j].end = r->end;
			r->end = a;
		} else if (a > r->start) {
			r->end = a;
		} else if (b < r->end) {
			r->start = b;
		} else {
			r->start = r->end = 0;
		}
	}
	vm_unmap_range(p->pgdir, a, b);
	return 0;
}

/* mmap2: anonymous private memory only, demand-zero, read/write. */
static int sys_mmap2(struct trapframe *tf)
{
	struct proc *p = curproc;
	u32 addr = tf->ebx, len = PGROUNDUP(tf->ecx), flags = tf->esi;
	int i;

	if (!(flags & MAP_ANONYMOUS) || len == 0 || len > USERTOP)
		return -EINVAL;
	if (flags & MAP_FIXED) {
		if ((addr & (PGSIZE - 1)) || addr < PGROUNDUP(p->brk) ||
		    addr + len > USERTOP - STACKSIZE || addr + len < addr)
			return -EINVAL;
		if (mmap_remove(p, addr, addr + len) < 0)
			return -ENOMEM;
	} else if (!(addr = mmap_place(p, len))) {
		return -ENOMEM;
	}
	for (i = 0; i < NMMAP; i++)
		if (!p->mmaps[i].end) {
			p->mmaps[i].start = addr;
			p->mmaps[i].end = addr + len;
			return (int)addr;
		}
	return -ENOMEM;
}

static int sys_munmap(struct trapframe *tf)
{
	u32 a = tf->ebx, len = PGROUNDUP(tf->ecx);

	if ((a & (PGSIZE - 1)) || a + len > USERTOP || a + len < a)
		return -EINVAL;
	return mmap_remove(curproc, a, a + len);
}

static int sys_pv_report(struct trapframe *tf)
{
	report_test(tf->ebx != 0);
	return 0;
}

typedef int (*sysfn)(struct trapframe *);

static const sysfn systab[NSYSCALL] = {
	[1] = sys_exit,          [2] = sys_fork,
	[3] = sys_read,          [4] = sys_write,
	[6] = sys_close,         [7] = sys_waitpid,
	[11] = sys_execve,       [20] = sys_getpid,
	[37] = sys_kill,         [41] = sys_dup,
	[42] = sys_pipe,         [63] = sys_dup2,
	[45] = sys_brk,          [64] = sys_getppid,
	[78] = sys_gettimeofday, [91] = sys_munmap,
	[158] = sys_sched_yield, [162] = sys_nanosleep,
	[192] = sys_mmap2,       [252] = sys_exit,
	[265] = sys_clock_gettime, [114] = sys_waitpid,
};

void syscall(struct trapframe *tf)
{
	u32 nr = tf->eax;
	int r;

	if (nr == PV_SYS_REPORT)
		r = sys_pv_report(tf);
	else if (nr < NSYSCALL && systab[nr])
		r = systab[nr](tf);
	else
		r = -ENOSYS;
	tf->eax = (u32)r;
}
