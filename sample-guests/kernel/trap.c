/*
 * trap.c - the C side of every interrupt, exception and system call:
 * timer ticks and preemption, page faults (demand paging, COW), user
 * faults turned into fatal signals, kernel faults into a panic.  A tick
 * preempts the current process when the trap returns to ring 3.  Runs:
 * guest kernel, called from alltraps (trapasm.S) with the trap frame.
 */
#include "kernel.h"
#include "x86.h"

#define SIGILL  4
#define SIGFPE  8
#define SIGSEGV 11

volatile u32 test_int_count;
volatile u32 test_int_flags;     /* EFLAGS inside the last T_TEST handler */
static volatile int need_resched;     /* set by the tick, acted on in ring 3 */

static int from_user(const struct trapframe *tf)
{
	return (tf->cs & 3) == 3;
}

/* The signal Linux would deliver for a user exception. */
static int trap_signal(u32 trapno)
{
	switch (trapno) {
	case 0:  return SIGFPE;
	case 6:  return SIGILL;
	default: return SIGSEGV;
	}
}

/* A kernel fault provoked on purpose (conform.c): recorded, and the
 * kernel resumes at kcatch.resume instead of panicking. */
struct kcatch kcatch;

static void trap_kernel_fault(struct trapframe *tf)
{
	if (kcatch.armed) {
		kcatch.armed = 0;
		kcatch.trapno = tf->trapno;
		kcatch.err = tf->err;
		kcatch.cr2 = tf->trapno == T_PGFLT ? read_cr2() : 0;
		tf->eip = kcatch.resume;
		return;
	}
	panic("trap %u err %x at eip %x cr2 %x (kernel mode)", tf->trapno,
	      tf->err, tf->eip, read_cr2());
}

static void trap_page_fault(struct trapframe *tf)
{
	u32 va = read_cr2();

	if (!from_user(tf)) {
		trap_kernel_fault(tf);
		return;
	}
	if (vm_fault(curproc, va, tf->err & 2) == 0)
		return;
	kprintf("[pid %d %s: segfault at %x eip %x]\n", curproc->pid,
		curproc->name, va, tf->eip);
	curproc->killed = SIGSEGV;
}

static void trap_irq(struct trapframe *tf)
{
	int irq = (int)tf->trapno - T_IRQ0;

	if (irq == 0) {
		time_tick();
		proc_timer_tick();
		need_resched = 1;
	}
	pic_eoi(irq);
}

void trap(struct trapframe *tf)
{
	if (tf->trapno == T_SYSCALL) {
		curproc->tf = tf;
		syscall(tf);
	} else if (tf->trapno == T_PGFLT) {
		trap_page_fault(tf);
	} else if (tf->trapno >= T_IRQ0 && tf->trapno < T_IRQ0 + 16) {
		trap_irq(tf);
	} else if (tf->trapno == T_TEST) {
		test_int_flags = read_eflags();
		test_int_count++;
	} else if (from_user(tf)) {
		kprintf("[pid %d %s: trap %u at eip %x]\n", curproc->pid,
			curproc->name, tf->trapno, tf->eip);
		curproc->killed = trap_signal(tf->trapno);
	} else {
		trap_kernel_fault(tf);
	}
	if (!from_user(tf))
		return;
	proc_check_killed();
	if (need_resched) {          /* preempt on the way back to ring 3 */
		need_resched = 0;
		yield();
		proc_check_killed();
	}
}
