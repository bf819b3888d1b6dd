/*
 * fast.S - the hosted backend's fast path for patched-site calls, entered
 * without a signal: the guest's `call` lands on the stub (32-bit code at
 * AB_WEDGE_STUBS, written by tlb.c), whose far jump through selector 0x33
 * reaches a 64-bit `jmp *` in the same page, which lands here (high, in
 * the host binary).  Saves the guest registers, switches to the host
 * stack, flags, TLS base and FPU/SSE state, calls ho_fast_site() (run.c), and
 * returns to the guest kernel with iretq (32-bit compatibility-mode
 * CS/SS).  An iret to guest user mode runs the user stub from inside
 * ho_fast_site and returns here when the vCPU is back in the kernel.
 * Runs: hosted process, 64-bit.  Offsets: struct ho_frame in ho.h.
 */
#define F_RAX 0
#define F_RBX 8
#define F_RCX 16
#define F_RDX 24
#define F_RSI 32
#define F_RDI 40
#define F_RBP 48
#define F_RSP 56
#define F_RIP 64
#define F_RFL 72
#define F_CS  80
#define F_SS  88

	.text
	.code64
	.globl ho_fast_enter
ho_fast_enter:
	movq %rax, ho_frame+F_RAX(%rip)
	movq %rbx, ho_frame+F_RBX(%rip)
	movq %rcx, ho_frame+F_RCX(%rip)
	movq %rdx, ho_frame+F_RDX(%rip)
	movq %rsi, ho_frame+F_RSI(%rip)
	movq %rdi, ho_frame+F_RDI(%rip)
	movq %rbp, ho_frame+F_RBP(%rip)
	movq %rsp, ho_frame+F_RSP(%rip)
	leaq ho_fast_stack_top(%rip), %rsp
	pushfq
	popq ho_frame+F_RFL(%rip)
	pushq $2                 /* the host's flags: no AC (the guest kernel's */
	popfq                    /* popf may set it), DF, TF or NT */
	movq ho_host_fs(%rip), %rax
	wrfsbase %rax
	fxsave64 ho_fxarea(%rip)
	call ho_fast_site
	fxrstor64 ho_fxarea(%rip)
	pushq ho_frame+F_SS(%rip)
	pushq ho_frame+F_RSP(%rip)
	pushq ho_frame+F_RFL(%rip)
	pushq ho_frame+F_CS(%rip)
	pushq ho_frame+F_RIP(%rip)
	movq ho_frame+F_RAX(%rip), %rax
	movq ho_frame+F_RBX(%rip), %rbx
	movq ho_frame+F_RCX(%rip), %rcx
	movq ho_frame+F_RDX(%rip), %rdx
	movq ho_frame+F_RSI(%rip), %rsi
	movq ho_frame+F_RDI(%rip), %rdi
	movq ho_frame+F_RBP(%rip), %rbp
	iretq

	.bss
	.balign 64
	.globl ho_fxarea
ho_fxarea:
	.space 512
	.balign 16
ho_fast_stack:
	.space 65536
ho_fast_stack_top:

	.section .note.GNU-stack, "", @progbits
