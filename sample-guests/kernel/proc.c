/*
 * proc.c - processes: the table, the round-robin scheduler (preemptive
 * through the PIT tick, see trap.c), sleep/wakeup, fork, exit, wait and
 * kill.  Runs: guest kernel, uniprocessor; the process table is guarded
 * by disabling interrupts (irq_save/irq_restore), and sched() is always
 * entered with interrupts off.
 */
#include "kernel.h"
#include "x86.h"

#define ECHILD 10
#define EINTR  4
#define ESRCH  3
#define ENOMEM 12
#define EAGAIN 11
#define WNOHANG 1

struct proc *curproc;
static struct proc ptable[NPROC];
static u8 kstacks[NPROC][KSTACK] __attribute__((aligned(16)));
static struct context *sched_ctx;
static struct proc *initproc;
static int nextpid = 1;
static int first_user_seen;

/* First code of every new process: report boot time once, then trapret. */
static void forkret(void)
{
	if (!first_user_seen) {
		u64 d = rdtsc() - boot_tsc;
		u64 ms = tsc_per_ms();
		first_user_seen = 1;
		kprintf("BOOT first-user %llu cycles (%llu us)\n", d,
			ms ? d * 1000 / ms : 0);
	}
}

/* An EMBRYO slot with a kernel stack that returns through forkret. */
struct proc *proc_alloc(void)
{
	u32 f = irq_save();
	struct proc *p;
	u8 *sp;

	for (p = ptable; p < &ptable[NPROC]; p++)
		if (p->state == P_UNUSED)
			break;
	if (p == &ptable[NPROC]) {
		irq_restore(f);
		return NULL;
	}
	memset(p, 0, sizeof(*p));
	p->state = P_EMBRYO;
	p->pid = nextpid++;
	irq_restore(f);
	p->kstack = kstacks[p - ptable];
	sp = p->kstack + KSTACK - sizeof(*p->tf);
	p->tf = (struct trapframe *)sp;
	sp -= 4;
	*(u32 *)sp = (u32)trapret;
	sp -= sizeof(*p->context);
	p->context = (struct context *)sp;
	memset(p->context, 0, sizeof(*p->context));
	p->context->eip = (u32)forkret;
	return p;
}

void proc_start_init(const char *path, char *const argv[], int argc)
{
	struct proc *p = proc_alloc();

	if (!p || exec(p, path, argv, argc) < 0)
		panic("cannot start %s", path);
	p->ofile[0] = file_console();
	p->ofile[1] = file_dup(p->ofile[0]);
	p->ofile[2] = file_dup(p->ofile[0]);
	initproc = p;
	p->state = P_RUNNABLE;
}

/* Next RUNNABLE process after the last one run, or NULL. */
static struct proc *sched_pick(void)
{
	static int last;
	int i, k;

	for (i = 1; i <= NPROC; i++) {
		k = (last + i) % NPROC;
		if (ptable[k].state == P_RUNNABLE) {
			last = k;
			return &ptable[k];
		}
	}
	return NULL;
}

void scheduler(void)
{
	struct proc *p;

	for (;;) {
		cli();
		p = sched_pick();
		if (!p) {
			sti_hlt();
			continue;
		}
		curproc = p;
		p->state = P_RUNNING;
		vm_switch(p);
		swtch(&sched_ctx, p->context);
		curproc = NULL;
	}
}

/* Give the CPU back to the scheduler; interrupts must be off. */
void sched(void)
{
	if (read_eflags() & FL_IF)
		panic("sched with interrupts on");
	swtch(&curproc->context, sched_ctx);
}

void yield(void)
{
	u32 f = irq_save();
	curproc->state = P_RUNNABLE;
	sched();
	irq_restore(f);
}

/* Sleep until wakeup(chan); the caller holds interrupts off. */
void sleep_on(const void *chan)
{
	curproc->chan = chan;
	curproc->state = P_SLEEPING;
	sched();
	curproc->chan = NULL;
}

void wakeup(const void *chan)
{
	u32 f = irq_save();
	struct proc *p;

	for (p = ptable; p < &ptable[NPROC]; p++)
		if (p->state == P_SLEEPING && p->chan == chan)
			p->state = P_RUNNABLE;
	irq_restore(f);
}

/* Called from the timer interrupt: wake nanosleep()ers. */
void proc_timer_tick(void)
{
	wakeup((const void *)&ticks);
}

static void proc_copy_state(struct proc *np, struct proc *p)
{
	int i;

	*np->tf = *p->tf;
	np->tf->eax = 0;
	np->brk_base = p->brk_base;
	np->brk = p->brk;
	memcpy(np->mmaps, p->mmaps, sizeof(np->mmaps));
	for (i = 0; i < NOFILE; i++)
		if (p->ofile[i])
			np->ofile[i] = file_dup(p->ofile[i]);
	memcpy(np->name, p->name, sizeof(np->name));
	np->parent = p;
}

int proc_fork(void)
{
	struct proc *p = curproc, *np = proc_alloc();

	if (!np)
		return -EAGAIN;
	np->pgdir = vm_new_pgdir();
	if (!np->pgdir || vm_fork(p->pgdir, np->pgdir) < 0) {
		if (np->pgdir)
			vm_free(np->pgdir);
		np->state = P_UNUSED;
		return -ENOMEM;
	}
	proc_copy_state(np, p);
	np->state = P_RUNNABLE;
	return np->pid;
}

static void proc_shutdown(int status)
{
	int ok = tests_failed == 0 && tests_passed > 0 && status == 0;

	kprintf("init exited with status %x\n", (u32)status);
	kprintf("SUMMARY: %d passed, %d failed\n", tests_passed, tests_failed);
	debug_exit(ok ? 0 : 1);
}

/* Terminate curproc with wait status `status`; never returns. */
void proc_exit(int status)
{
	struct proc *p = curproc, *q;
	int fd;

	for (fd = 0; fd < NOFILE; fd++)
		if (p->ofile[fd]) {
			file_close(p->ofile[fd]);
			p->ofile[fd] = NULL;
		}
	if (p == initproc)
		proc_shutdown(status);
	cli();
	for (q = ptable; q < &ptable[NPROC]; q++)
		if (q->parent == p) {
			q->parent = initproc;
			if (q->state == P_ZOMBIE)
				wakeup(initproc);
		}
	p->xstatus = status;
	p->state = P_ZOMBIE;
	wakeup(p->parent);
	sched();
	panic("zombie %d ran again", p->pid);
}

static int proc_reap(struct proc *q, u32 status_uva)
{
	int pid = q->pid;

	if (status_uva && copyout(curproc, status_uva, &q->xstatus, 4) < 0)
		return -14;
	vm_free(q->pgdir);
	q->pgdir = NULL;
	q->parent = NULL;
	q->state = P_UNUSED;
	return pid;
}

/* waitpid/wait4: pid -1 means any child.  WNOHANG supported. */
int proc_wait(int pid, u32 status_uva, int options)
{
	u32 f = irq_save();
	struct proc *q;
	int have, r;

	for (;;) {
		have = 0;
		for (q = ptable; q < &ptable[NPROC]; q++) {
			if (q->parent != curproc || (pid > 0 && q->pid != pid))
				continue;
			have = 1;
			if (q->state == P_ZOMBIE) {
				r = proc_reap(q, status_uva);
				irq_restore(f);
				return r;
			}
		}
		if (!have || curproc->killed || (options & WNOHANG)) {
			irq_restore(f);
			return !have ? -ECHILD : curproc->killed ? -EINTR : 0;
		}
		sleep_on(curproc);
	}
}

/* Every signal is fatal here (no handlers); signal 0 probes. */
int proc_kill(int pid, int sig)
{
	u32 f = irq_save();
	struct proc *p;

	for (p = ptable; p < &ptable[NPROC]; p++) {
		if (p->pid != pid || p->state == P_UNUSED ||
		    p->state == P_ZOMBIE)
			continue;
		if (sig > 0 && !p->killed) {
			p->killed = sig;
			if (p->state == P_SLEEPING)
				p->state = P_RUNNABLE;
		}
		irq_restore(f);
		return 0;
	}
	irq_restore(f);
	return -ESRCH;
}

/* On the way back to user mode: die of a pending fatal signal. */
void proc_check_killed(void)
{
	if (curproc && curproc->killed)
		proc_exit(curproc->killed & 0x7f);
}
