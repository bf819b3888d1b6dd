/*
 * run.c - the hosted backend's run loop, made of signal handlers: the
 * guest runs as 32-bit compatibility-mode code; every exit from it is a
 * host signal whose ucontext holds the guest registers.  Each handler
 * turns the ucontext into struct ab_regs, lets the afterburner act
 * (patched-site call, emulation, fault reflection, system call, timer),
 * and writes the result back.  Only the guest kernel runs in this process
 * (flat 32-bit segments); when the vCPU enters CPL 3 the handler runs the
 * user stub (user.c) until the vCPU is back at CPL 0, then returns into
 * the guest kernel.  Runs: hosted process (64-bit, on an alternate signal
 * stack).
 */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <sys/auxv.h>
#include <linux/audit.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>
#include "ho.h"
#include "ho_cpu.h"

#ifndef UC_STRICT_RESTORE_SS
#define UC_STRICT_RESTORE_SS 0x4
#endif
#define FL_TF  0x100u
#define FL_IF  0x200u
#define FL_NT  0x4000u
#define FL_AC  0x40000u
#define IOPL   0x3000u

static uint8_t ho_altstack[1 << 17] __attribute__((aligned(64)));
static volatile int ho_entering;
uint64_t ho_host_fs;
static int ho_have_fsgsbase;
struct ho_frame ho_frame;

/* First thing in every handler: AC off and the host's TLS base back in
 * FS (sigreturn restores the interrupted flags).  Returns
 * the base the interrupted code had: a handler that returns to host code
 * puts it back (host_fs_restore), since the interrupted code may be the
 * return path to the guest with the guest's base already loaded (a timer
 * signal between load_data_segs and iretq in fast.S). */
static uint64_t fix_fs(void)
{
	ho_clear_ac();
	uint64_t was = ho_rdfsbase();
	if (was != ho_host_fs)
		ho_wrfsbase(ho_host_fs);
	return was;
}

static void host_fs_restore(uint64_t was)
{
	if (was != ho_host_fs)
		ho_wrfsbase(was);
}

/* Interrupted guest code: low 4 GiB, and not the 64-bit jump of the
 * stub page (or a guest that escaped to 64-bit mode). */
static int from_guest(const ucontext_t *uc)
{
	return (uint64_t)uc->uc_mcontext.gregs[REG_RIP] < HO_LOW_END &&
	       (uc->uc_mcontext.gregs[REG_CSGSFS] & 0xffff) != HO_SEL_CS64;
}

static int escaped(const ucontext_t *uc)
{
	return (uint64_t)uc->uc_mcontext.gregs[REG_RIP] < HO_LOW_END &&
	       (uint64_t)uc->uc_mcontext.gregs[REG_RIP] !=
		       AB_WEDGE_STUBS + HO_STUB_JMP64 &&
	       (uc->uc_mcontext.gregs[REG_CSGSFS] & 0xffff) == HO_SEL_CS64;
}

static void regs_in(struct ab_vm *vm, const ucontext_t *uc)
{
	const greg_t *g = uc->uc_mcontext.gregs;
	struct ab_regs *r = &vm->r;
	r->eax = (uint32_t)g[REG_RAX]; r->ebx = (uint32_t)g[REG_RBX];
	r->ecx = (uint32_t)g[REG_RCX]; r->edx = (uint32_t)g[REG_RDX];
	r->esi = (uint32_t)g[REG_RSI]; r->edi = (uint32_t)g[REG_RDI];
	r->ebp = (uint32_t)g[REG_RBP]; r->esp = (uint32_t)g[REG_RSP];
	r->eip = (uint32_t)g[REG_RIP];
	r->eflags = ((uint32_t)g[REG_EFL] & ~FL_IF) | 2;
}

/* The guest kernel's real data selectors: flat, FS/GS with the bases of
 * the guest's descriptors. */
static void load_data_segs(struct ab_vm *vm)
{
	ho_load_data_segs(HO_SEL_DS, HO_SEL_DS, HO_SEL_DS, vm->fs_base,
			  vm->gs_base);
}

/* Every guest entry: the virtual selectors and GDTR on the shared page
 * for the segment fast stubs (ab_patch_seg_stubs).  A GDT that would
 * reach the wedge, or lies in page 0 (never mapped), gets limit 0: every
 * non-null load goes to the runtime. */
static void segs_out(struct ab_vm *vm)
{
	struct ab_shared *sh = vm->vcpu.sh;
	const struct ab_regs *r = &vm->r;
	uint32_t base = vm->vcpu.gdtr.base, lim = vm->vcpu.gdtr.limit;
	sh->sel[0] = r->es; sh->sel[1] = r->cs; sh->sel[2] = r->ss;
	sh->sel[3] = r->ds; sh->sel[4] = r->fs; sh->sel[5] = r->gs;
	sh->gdt_base = base;
	sh->gdt_limit = base >= 0x1000 && !(base & 7) &&
			(uint64_t)base + lim < AB_WEDGE_BASE ? lim : 0;
	for (unsigned j = 0; j < 2; j++) {
		uint32_t b = j ? vm->gs_base : vm->fs_base;
		sh->seg_base[j] = b;
		sh->seg_exp[j][0] = b << 16;
		sh->seg_exp[j][1] = (b & 0xff000000u) | (b >> 16 & 0xff) |
				    0x9100;          /* P|S|A, data */
	}
}

/* Every exit from guest kernel mode: DS/ES/FS/GS as the fast stubs left
 * them (the only virtual selectors they change; the FS/GS bases stay:
 * the stubs load only selectors whose base is the current one). */
static void kernel_segs_in(struct ab_vm *vm)
{
	const struct ab_shared *sh = vm->vcpu.sh;
	vm->r.es = (uint16_t)sh->sel[AB_SEG_ES];
	vm->r.ds = (uint16_t)sh->sel[AB_SEG_DS];
	vm->r.fs = (uint16_t)sh->sel[4];
	vm->r.gs = (uint16_t)sh->sel[5];
}

/* The signal frame's FPU state, where the kernel restores it from: the
 * fxsave image, marked present in the XSAVE header if there is one (else
 * the kernel would restore x87/SSE from their initial state). */
static void *frame_fpu(ucontext_t *uc)
{
	uint8_t *fx = (uint8_t *)uc->uc_mcontext.fpregs;
	uint32_t magic;
	memcpy(&magic, fx + 464, 4);
	if (magic == 0x46505853u) {             /* FP_XSTATE_MAGIC1 */
		uint64_t bv;
		memcpy(&bv, fx + 512, 8);
		bv |= 3;                          /* x87, SSE */
		memcpy(fx + 512, &bv, 8);
	}
	return fx;
}

/* Back into the guest kernel: if the vCPU went to CPL 3, guest user code
 * runs in the user stub first, until an event brings it back. */
static void regs_out(struct ab_vm *vm, ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;
	const struct ab_regs *r = &vm->r;
	uint64_t cs = HO_SEL_CS32, ss = HO_SEL_DS;
	if (vm->cpl == 3)
		ho_user_run(vm, frame_fpu(uc));
	g[REG_RAX] = r->eax; g[REG_RBX] = r->ebx; g[REG_RCX] = r->ecx;
	g[REG_RDX] = r->edx; g[REG_RSI] = r->esi; g[REG_RDI] = r->edi;
	g[REG_RBP] = r->ebp; g[REG_RSP] = r->esp; g[REG_RIP] = r->eip;
	g[REG_EFL] = (r->eflags & ~(FL_TF | FL_NT | FL_AC | IOPL)) | FL_IF | 2;
	g[REG_CSGSFS] = (greg_t)(cs | ((uint64_t)g[REG_CSGSFS] & 0xffffffff0000ull)
				 | ss << 48);
	uc->uc_flags |= UC_STRICT_RESTORE_SS;
	load_data_segs(vm);
	segs_out(vm);
}

/* The backend itself faulted: not the guest's doing. */
static void host_crash(int sig, const ucontext_t *uc)
{
	char msg[160];
	int n = snprintf(msg, sizeof msg, escaped(uc)
			 ? "previrt-hosted: guest left 32-bit mode and faulted "
			   "(signal %d) at 0x%llx: stopped\n"
			 : "previrt-hosted: internal error: "
			 "signal %d at host rip 0x%llx\n", sig,
			 (unsigned long long)uc->uc_mcontext.gregs[REG_RIP]);
	write(2, msg, (size_t)n);
	_exit(3);
}

/* Inside the stub page (or its physical alias), but not at its entry:
 * only the entry's far jump is meant to run (the rest is hlt). */
static int in_stub_page(struct ab_vm *vm, uint32_t eip)
{
	return eip - AB_WEDGE_STUBS < AB_WEDGE_STUBS_SIZE ||
	       (vm->alias_mapped && eip - vm->stub_alias < AB_WEDGE_STUBS_SIZE);
}

/* A patched site called the stub: pop the return address, emulate. */
static void site_call(struct ab_vm *vm)
{
	struct ab_regs *r = &vm->r;
	uint32_t ret, e, va;
	if (vm->cpl != 0)
		ab_vcpu_kill(&vm->vcpu, r, "guest user code reached the "
			     "runtime stub");
	if (ab_vcpu_read(&vm->vcpu, r->esp, &ret, 4, 0, &e, &va) < 0)
		ab_vcpu_kill(&vm->vcpu, r, "stub called with an unreadable "
			     "stack (esp 0x%08x)", r->esp);
	r->esp += 4;
	r->eip = ret;
	ab_site_call(&vm->vcpu, r);
}

/* A site running at its physical address with guest paging on (early
 * boot code between enabling paging and jumping to its link address, as
 * Linux's head code does) calls the physical stub alias, which the guest's
 * tables do not map: that fetch fault at the alias entry is the call. */
static int phys_site_call(struct ab_vm *vm, uint64_t addr)
{
	return vm->paging && vm->cpl == 0 && vm->stub_alias &&
	       (addr == vm->stub_alias ||
		addr - vm->stub_alias - HO_STUB_SEG < AB_SEGSTUB_SIZE) &&
	       addr == vm->r.eip;
}

/* The segment fast stub's descriptor read faulted for good (the guest
 * tables do not map its GDT): undo the stub's frame and let the runtime
 * emulate the site, which raises what it always did. */
static int seg_stub_fault(struct ab_vm *vm)
{
	uint32_t off = vm->r.eip - (AB_WEDGE_STUBS + HO_STUB_SEG);
	if (off >= AB_SEGSTUB_SIZE && vm->alias_mapped)
		off = vm->r.eip - vm->stub_alias - HO_STUB_SEG;
	if (vm->cpl != 0 || off >= AB_SEGSTUB_SIZE ||
	    !ab_patch_seg_fault_point(off))
		return 0;
	if (ab_patch_seg_unwind(&vm->vcpu, &vm->r) < 0)
		ab_vcpu_kill(&vm->vcpu, &vm->r, "segment stub with an "
			     "unreadable stack (esp 0x%08x)", vm->r.esp);
	site_call(vm);
	return 1;
}

static void page_fault(struct ab_vm *vm, uint64_t addr, uint32_t err)
{
	struct ab_regs *r = &vm->r;
	uint32_t pf_err;
	if (addr >= AB_WEDGE_GUEST_END || (addr >= AB_WEDGE_BASE && (err & 2)))
		ab_vcpu_kill(&vm->vcpu, r, addr == r->eip
			     ? "jump into the runtime's private area (0x%llx)"
			     : "access to the runtime's private area (0x%llx)",
			     (unsigned long long)addr);
	int got = ho_tlb_fill(vm, (uint32_t)addr, (err & 2) != 0, &pf_err);
	if (got <= 0 && seg_stub_fault(vm))
		return;
	if (got == 0 && phys_site_call(vm, addr)) {
		site_call(vm);
		return;
	}
	if (got == 0)
		ab_guest_fault(&vm->vcpu, r, 14, pf_err, (uint32_t)addr);
	else if (got < 0)
		ab_vcpu_kill(&vm->vcpu, r, "access to 0x%08x: guest-physical "
			     "address outside RAM (or page 0 with paging off)",
			     (uint32_t)addr);
}

/* #GP: int n from user mode, or a trapping instruction. */
static void general_protection(struct ab_vm *vm, uint32_t err)
{
	struct ab_regs *r = &vm->r;
	uint8_t insn[2] = { 0, 0 };
	uint32_t e, va;
	if (in_stub_page(vm, r->eip))
		ab_vcpu_kill(&vm->vcpu, r, "jump into the runtime's stub page "
			     "(not at its entry)");
	if ((err & 3) == 2 && ab_vcpu_read(&vm->vcpu, r->eip, insn, 2,
					   vm->cpl, &e, &va) == 0 &&
	    insn[0] == 0xcd && insn[1] == err >> 3) {
		r->eip += 2;                      /* int n: a trap, eip after */
		ab_guest_int(&vm->vcpu, r, insn[1]);
		return;
	}
	ab_guest_fault(&vm->vcpu, r, 13, err, 0);
}

static void on_fault(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	struct ab_vm *vm = &ho_vm;
	const greg_t *g = uc->uc_mcontext.gregs;
	(void)si;
	fix_fs();
	if (!from_guest(uc)) {
		if (sig == SIGILL && ho_entering) {
			ho_entering = 0;
			regs_out(vm, uc);
			return;
		}
		host_crash(sig, uc);
	}
	vm->signals++;
	regs_in(vm, uc);
	kernel_segs_in(vm);
	unsigned trap = (unsigned)g[REG_TRAPNO];
	uint32_t err = (uint32_t)g[REG_ERR];
	if (sig == SIGBUS && trap == 17 && vm->cpl == 0)
		vm->r.eflags &= ~FL_AC;   /* #AC: only the real CPL 3 checks
					     alignment; the guest kernel's own
					     popf set AC: drop it, retry */
	else if (sig == SIGSEGV && trap == 14)
		page_fault(vm, (uint64_t)g[REG_CR2], err);
	else if (sig == SIGSEGV && trap == 13)
		general_protection(vm, err);
	else if (sig == SIGTRAP && trap == 3)
		ab_guest_int(&vm->vcpu, &vm->r, 3);
	else
		ab_guest_fault(&vm->vcpu, &vm->r, trap, err, 0);
	regs_out(vm, uc);
}

/* Guest kernel int $0x80 (a real 32-bit syscall, trapped by seccomp), or
 * a forbidden host syscall (the sandbox). */
static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	struct ab_vm *vm = &ho_vm;
	char msg[200];
	(void)sig;
	fix_fs();
	if (si->si_arch == AUDIT_ARCH_I386 && from_guest(uc)) {
		vm->signals++;
		regs_in(vm, uc);
		kernel_segs_in(vm);
		vm->r.eax = (uint32_t)si->si_syscall;
		ab_guest_int(&vm->vcpu, &vm->r, 0x80);
		regs_out(vm, uc);
		return;
	}
	snprintf(msg, sizeof msg, escaped(uc) || from_guest(uc)
		 ? "guest code at 0x%llx left 32-bit mode and made host "
		   "system call %d: stopped by the sandbox"
		 : "backend at 0x%llx made system call %d outside its "
		   "sandbox", (unsigned long long)uc->uc_mcontext.gregs[REG_RIP],
		 si->si_syscall);
	ho_stop(vm, -1, msg);
}

static void on_alarm(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	struct ab_vm *vm = &ho_vm;
	(void)sig; (void)si;
	uint64_t fs_was = fix_fs();
	if (vm->user.in_user) {         /* the user loop has the deadline */
		host_fs_restore(fs_was);
		return;
	}
	if (!from_guest(uc)) {          /* in the runtime: try again soon */
		struct itimerspec its = { .it_value = { 0, 20000 } };
		timer_settime(vm->timer, 0, &its, NULL);
		host_fs_restore(fs_was);
		return;
	}
	vm->signals++;
	regs_in(vm, uc);
	kernel_segs_in(vm);
	ho_console_poll(vm, 0);
	ab_timer_expired(&vm->vcpu, &vm->r);
	regs_out(vm, uc);
}

/* Called by fast.S on the host stack: a patched site called the stub. */
void ho_fast_site(void)
{
	struct ab_vm *vm = &ho_vm;
	struct ab_regs *r = &vm->r;
	struct ho_frame *f = &ho_frame;
	r->eax = (uint32_t)f->rax; r->ebx = (uint32_t)f->rbx;
	r->ecx = (uint32_t)f->rcx; r->edx = (uint32_t)f->rdx;
	r->esi = (uint32_t)f->rsi; r->edi = (uint32_t)f->rdi;
	r->ebp = (uint32_t)f->rbp; r->esp = (uint32_t)f->rsp;
	r->eflags = ((uint32_t)f->rfl & ~FL_IF) | 2;
	vm->fast_calls++;
	kernel_segs_in(vm);
	site_call(vm);
	if (vm->cpl == 3)
		ho_user_run(vm, ho_fxarea);
	f->rax = r->eax; f->rbx = r->ebx; f->rcx = r->ecx; f->rdx = r->edx;
	f->rsi = r->esi; f->rdi = r->edi; f->rbp = r->ebp; f->rsp = r->esp;
	f->rip = r->eip;
	f->rfl = (r->eflags & ~(FL_TF | FL_NT | FL_AC | IOPL)) | FL_IF | 2;
	f->cs = HO_SEL_CS32;
	f->ss = HO_SEL_DS;
	load_data_segs(vm);
	segs_out(vm);
}

static int handle(int sig, void (*fn)(int, siginfo_t *, void *))
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigfillset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL);
}

int ho_run_init(struct ab_vm *vm)
{
	stack_t ss = { .ss_sp = ho_altstack, .ss_size = sizeof ho_altstack };
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL,
				.sigev_signo = SIGALRM };
	ho_have_fsgsbase = (getauxval(AT_HWCAP2) & 2) != 0;   /* HWCAP2_FSGSBASE */
	if (!ho_have_fsgsbase) {
		fprintf(stderr, "previrt-hosted: needs the FSGSBASE "
			"instructions enabled for user space (Linux >= 5.9)\n");
		return -1;
	}
	if (syscall(SYS_arch_prctl, ARCH_GET_FS, &ho_host_fs) < 0) {
		perror("previrt-hosted: arch_prctl");
		return -1;
	}
	if (sigaltstack(&ss, NULL) < 0 || handle(SIGSEGV, on_fault) < 0 ||
	    handle(SIGBUS, on_fault) < 0 || handle(SIGILL, on_fault) < 0 ||
	    handle(SIGFPE, on_fault) < 0 || handle(SIGTRAP, on_fault) < 0 ||
	    handle(SIGSYS, on_sigsys) < 0 || handle(SIGALRM, on_alarm) < 0) {
		perror("previrt-hosted: signals");
		return -1;
	}
	if (timer_create(CLOCK_MONOTONIC, &sev, &vm->timer) < 0) {
		perror("previrt-hosted: timer_create");
		return -1;
	}
	return 0;
}

void ho_enter(struct ab_vm *vm)
{
	(void)vm;
	ho_entering = 1;
	ho_trap_into_guest();
	write(2, "previrt-hosted: could not enter the guest\n", 42);
	_exit(3);
}
