/*
 * pipe.c - open files: the console (write goes to the UART, read gives
 * end-of-file) and pipes (a one-page ring buffer each, blocking reads and
 * writes).  Runs: guest kernel; state guarded by disabling interrupts.
 */
#include "kernel.h"
#include "x86.h"

#define EPIPE 32
#define EINTR 4
#define EFAULT 14
#define EBADF 9

struct pipe {
	u32 nread, nwrite;           /* free-running byte counters */
	int readopen, writeopen;
	u8 buf[PGSIZE - 16];
};
#define PIPEBUF (PGSIZE - 16)

static struct file files[NFILE];

static struct file *file_alloc(enum ftype type)
{
	u32 f = irq_save();
	struct file *fp;

	for (fp = files; fp < &files[NFILE]; fp++)
		if (fp->ref == 0) {
			fp->ref = 1;
			fp->type = type;
			fp->pipe = NULL;
			irq_restore(f);
			return fp;
		}
	irq_restore(f);
	return NULL;
}

struct file *file_console(void)
{
	return file_alloc(F_CONSOLE);
}

struct file *file_dup(struct file *fp)
{
	u32 f = irq_save();
	fp->ref++;
	irq_restore(f);
	return fp;
}

void file_close(struct file *fp)
{
	u32 f = irq_save();
	struct pipe *pp = fp->pipe;

	if (--fp->ref > 0) {
		irq_restore(f);
		return;
	}
	if (fp->type == F_PIPE_R)
		pp->readopen = 0;
	if (fp->type == F_PIPE_W)
		pp->writeopen = 0;
	fp->type = F_NONE;
	if (pp) {
		wakeup(&pp->nread);
		wakeup(&pp->nwrite);
		if (!pp->readopen && !pp->writeopen)
			kfree(pp);
	}
	irq_restore(f);
}

int pipe_alloc(struct file **rf, struct file **wf)
{
	struct pipe *pp = kalloc();

	*rf = file_alloc(F_PIPE_R);
	*wf = file_alloc(F_PIPE_W);
	if (!pp || !*rf || !*wf) {
		if (pp)
			kfree(pp);
		if (*rf)
			(*rf)->ref = 0;
		if (*wf)
			(*wf)->ref = 0;
		return -1;
	}
	pp->readopen = pp->writeopen = 1;
	(*rf)->pipe = (*wf)->pipe = pp;
	return 0;
}

/* Copy up to n bytes from user uva into the ring; bytes moved or -errno. */
static int pipe_write(struct proc *p, struct pipe *pp, u32 uva, u32 n)
{
	u32 f = irq_save(), done = 0;

	while (done < n) {
		u32 space = PIPEBUF - (pp->nwrite - pp->nread);
		u32 at = pp->nwrite % PIPEBUF, chunk = n - done;
		if (!pp->readopen || p->killed) {
			irq_restore(f);
			return done ? (int)done : p->killed ? -EINTR : -EPIPE;
		}
		if (space == 0) {
			wakeup(&pp->nread);
			sleep_on(&pp->nwrite);
			continue;
		}
		if (chunk > space)
			chunk = space;
		if (chunk > PIPEBUF - at)
			chunk = PIPEBUF - at;
		if (copyin(p, pp->buf + at, uva + done, chunk) < 0) {
			irq_restore(f);
			return done ? (int)done : -EFAULT;
		}
		pp->nwrite += chunk;
		done += chunk;
	}
	wakeup(&pp->nread);
	irq_restore(f);
	return (int)done;
}

static int pipe_read(struct proc *p, struct pipe *pp, u32 uva, u32 n)
{
	u32 f = irq_save(), done = 0;

	while (pp->nread == pp->nwrite && pp->writeopen) {
		if (p->killed) {
			irq_restore(f);
			return -EINTR;
		}
		sleep_on(&pp->nread);
	}
	while (done < n && pp->nread != pp->nwrite) {
		u32 at = pp->nread % PIPEBUF, chunk = pp->nwrite - pp->nread;
		if (chunk > n - done)
			chunk = n - done;
		if (chunk > PIPEBUF - at)
			chunk = PIPEBUF - at;
		if (copyout(p, uva + done, pp->buf + at, chunk) < 0) {
			irq_restore(f);
			return done ? (int)done : -EFAULT;
		}
		pp->nread += chunk;
		done += chunk;
	}
	wakeup(&pp->nwrite);
	irq_restore(f);
	return (int)done;
}

static int cons_write_user(struct proc *p, u32 uva, u32 n)
{
	char buf[128];
	u32 done = 0;

	while (done < n) {
		u32 chunk = n - done > sizeof(buf) ? sizeof(buf) : n - done;
		if (copyin(p, buf, uva + done, chunk) < 0)
			return done ? (int)done : -EFAULT;
		cons_write(buf, chunk);
		done += chunk;
	}
	return (int)done;
}

int file_read(struct proc *p, struct file *f, u32 uva, u32 n)
{
	if (f->type == F_PIPE_R)
		return pipe_read(p, f->pipe, uva, n);
	if (f->type == F_CONSOLE)
		return 0;
	return -EBADF;
}

int file_write(struct proc *p, struct file *f, u32 uva, u32 n)
{
	if (f->type == F_PIPE_W)
		return pipe_write(p, f->pipe, uva, n);
	if (f->type == F_CONSOLE)
		return cons_write_user(p, uva, n);
	return -EBADF;
}
