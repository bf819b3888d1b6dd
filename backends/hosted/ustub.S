/*
 * ustub.S - the code page of a user stub process (see ho_ustub.h and
 * user.c): copied to HO_US_BASE in each stub, position-independent.
 * Runs: user stub process, 64-bit, entered only where the kernel side
 * sets rip through ptrace, with the stub's secret cookie in %r15.
 *
 * The stub's seccomp filter allows exactly two calls, both only from this
 * page and only with the cookie in an argument the kernel ignores:
 * munmap (cookie in the unused third argument) and mmap of guest RAM
 * (cookie in the upper halves of flags and fd, which mmap truncates).
 * The cookie lives only in registers the kernel side set while the stub
 * was stopped; every path clears them before guest code runs, so guest
 * code (which can reach this page after a far jump to 64-bit mode) never
 * sees it and every system call it makes is refused to the kernel side.
 */
#include "ho_ustub.h"

#define SYS_MMAP   9
#define SYS_MUNMAP 11
#define MAP_SHARED_FIXED 0x11

	.text
	.code64
	.balign 4096
	.globl ho_ustub_start, ho_ustub_end
ho_ustub_start:
/* HO_US_RESUME: prove the cookie, run ops[0..nops) of the op page, wipe
 * them, then iret to the guest frame of the op page.  A failing call
 * stops at int3. */
	cld
	xorl %edi, %edi                 /* munmap(0, 0, cookie): refused, so */
	xorl %esi, %esi                 /* a stop, unless the kernel side set */
	movq %r15, %rdx                 /* the cookie: guest code jumping here */
	movl $SYS_MUNMAP, %eax          /* gets no further (EINVAL otherwise) */
	syscall
	leaq ho_ustub_start+0x1000(%rip), %rbx
	xorl %r12d, %r12d
1:	cmpl US_NOPS(%rbx), %r12d
	jae 4f
	movl %r12d, %r13d
	shll $5, %r13d
	leaq US_OPS(%rbx,%r13), %r13
	movq OP_VA(%r13), %rdi
	movq OP_LEN(%r13), %rsi
	cmpl $HO_UOP_MAP, OP_KIND(%r13)
	je 2f
	movq %r15, %rdx                 /* munmap(va, len, cookie) */
	movl $SYS_MUNMAP, %eax
	jmp 3f
2:	movl OP_PROT(%r13), %edx        /* mmap(va, len, prot, flags, fd, off) */
	movq %r15, %r10
	shrq $32, %r10
	shlq $32, %r10
	orq $MAP_SHARED_FIXED, %r10
	movq %r15, %r8
	shlq $32, %r8
	movl US_MEMFD(%rbx), %eax
	orq %rax, %r8
	movq OP_OFF(%r13), %r9
	movl $SYS_MMAP, %eax
3:	syscall
	cmpq $-4095, %rax
	jae 5f
	incl %r12d
	jmp 1b
5:	call wipe_cookie                /* a call failed: stop (the kernel */
	int3                            /* side gives the guest #GP) */
	hlt
4:	movl $0, US_NOPS(%rbx)
	leaq US_OPS(%rbx), %rdi         /* the list held guest frame numbers */
	movl $(HO_US_MAXOPS * OP_SIZE / 8), %ecx
	xorl %eax, %eax
	rep stosq
	call wipe_cookie
	pushq US_SS(%rbx)
	pushq US_RSP(%rbx)
	pushq US_RFL(%rbx)
	pushq US_CS(%rbx)
	pushq US_RIP(%rbx)
	movq US_RAX(%rbx), %rax
	movq US_RCX(%rbx), %rcx
	movq US_RDX(%rbx), %rdx
	movq US_RSI(%rbx), %rsi
	movq US_RDI(%rbx), %rdi
	movq US_RBP(%rbx), %rbp
	movq US_RBX(%rbx), %rbx
	iretq

/* Every register that held the cookie or a value derived from it. */
wipe_cookie:
	xorl %r8d, %r8d
	xorl %r9d, %r9d
	xorl %r10d, %r10d
	xorl %r11d, %r11d
	xorl %r12d, %r12d
	xorl %r13d, %r13d
	xorl %r14d, %r14d
	xorl %r15d, %r15d
	xorl %edx, %edx
	ret

	.org ho_ustub_start + HO_US_INIT, 0xf4
/* HO_US_INIT: the forked child arrives here (stack at HO_US_STACK_TOP,
 * cookie in %r15) with the kernel side's whole address space still
 * mapped: unmap all of it but the stub's three pages, then trap to say
 * the stub is ready. */
	xorl %edi, %edi
	movabsq $HO_US_BASE, %rsi
	movq %r15, %rdx
	movl $SYS_MUNMAP, %eax
	syscall
	testq %rax, %rax
	jnz 6f
	movabsq $(HO_US_BASE + HO_US_SIZE), %rdi
	movabsq $HO_US_TASK_END, %rsi
	subq %rdi, %rsi
	movq %r15, %rdx
	movl $SYS_MUNMAP, %eax
	syscall
	testq %rax, %rax
	jnz 6f
	call wipe_cookie
	int3
	hlt
6:	call wipe_cookie
	ud2
ho_ustub_end:

	.section .note.GNU-stack, "", @progbits
