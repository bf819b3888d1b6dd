/*
 * e2e.S - a small freestanding i386 image for the rewriter's end-to-end
 * test: hand-written and .byte-encoded sensitive instructions, one site
 * already padded (as the pass would), a branch into the middle of a
 * would-be window, PC-relative call/jmp/jcc inside windows, an
 * instruction that can only be a trap site, and an executable section
 * named like Linux's .altinstr_replacement, and segment pops named by a
 * Linux-style __ex_table (insn == fixup, as entry_32.S's RESTORE_REGS
 * does) that must follow them into the trampoline, a function too
 * short for any window but one through an island (dead_fn; short_fn
 * through a donor window's island), and one
 * whose window ends in alignment padding (pad_fn).  Never run; only
 * rewritten and disassembled.  Runs: host build (tests/rewriter, check-e2e.py).
 */
	.text
	.globl _start
_start:
	cli				/* forward window: cli + movl */
	movl	$1, %eax
	popf				/* window holds a PC-relative call */
	call	helper
	movl	$0x12345, %ecx		/* back window: movl + pushf */
	pushf
	.globl	mid_target
mid_target:				/* jumped to: may not move */
	popl	%eax
	testl	%eax, %eax
	jne	mid_target
	.byte	0x0f, 0xa2		/* cpuid, .byte-encoded */
	.byte	0xfa			/* cli, .byte-encoded */
	jz	_start			/* jcc rel8 re-encoded as rel32 */
	inb	$0x60, %al
	outb	%al, $0x80
	movl	%cr0, %eax
	lgdt	gdt_desc
	push	%cs
	movl	%ds, %edx
	movw	%dx, %es
	jmp	padded
	.globl	helper
helper:
	ret
	/* A site padded by the pass: cli + 7 NOPs, recorded below. */
	.globl	padded
padded:
1:	cli
	.fill	7, 1, 0x90
	jmp	trap_a
	.globl	trap_a
trap_a:					/* hlt between two targets: trap site */
	hlt
	.globl	trap_b
trap_b:
	jmp	trap_b
	.globl	entry_exit
entry_exit:
	popal
	addl	$8, %esp
	iret
	.globl	restore_segs
restore_segs:
.Lex_ds:	popl	%ds
.Lex_es:	popl	%es
	movl	%eax, %ebx
	ret

	/* Like Linux's entry_SYSENTER_32: a pushf whose only room is an
	 * alternative's original jmp, which must move whole with its
	 * .altinstructions entry. */
	.globl	sysenter_like
sysenter_like:
	pushf
	push	%eax
.Lalt_orig:
	jmp	.Lalt_end
.Lalt_orig_end:
	movl	%ebx, %eax
.Lalt_end:
	ret

	/* Like Linux's native_save_fl: a function too short for jmp rel32
	 * between two symbols.  Its window (popf; ret) holds a jmp rel8 to
	 * an island: 5 bytes of another window's int3 fill. */
	.globl	dead_fn
	.type	dead_fn, @function
dead_fn:
	popf
	ret
	.size	dead_fn, . - dead_fn
	.globl	after_dead
	.type	after_dead, @function
after_dead:
	ret
	.size	after_dead, . - after_dead

	/* A tiny function ending in ret, then alignment padding nothing
	 * names (int3, a 4-byte NOP, 0x90s): its window takes the padding
	 * it needs (8 bytes: 3 copied, 5 not) and leaves the rest. */
	.p2align 4, 0xcc
	.globl	pad_fn
	.type	pad_fn, @function
pad_fn:
	pushf
	popl	%eax
	ret
	.size	pad_fn, . - pad_fn
	int3
	.byte	0x8d, 0x74, 0x26, 0x00	/* lea 0(%esi,%eiz), %esi */
	.p2align 4, 0x90
	.globl	after_pad
	.type	after_pad, @function
after_pad:
	ret
	.size	after_pad, . - after_pad

	/* Out of reach (jmp rel8) of every other window's fill: short_fn's
	 * island comes from a donor window made of donor_fn's plain code. */
	.p2align 8, 0xcc
	.globl	donor_fn
donor_fn:
	movl	$1, %eax
	movl	$2, %ecx
	addl	%ecx, %eax
	ret
	.globl	short_fn
short_fn:
	pushf
	popl	%eax
	ret
	.globl	after_short
after_short:
	ret

	.section .altinstructions, "a"
	.long	.Lalt_orig - .		/* instr_offset */
	.long	.Lalt_repl - .		/* repl_offset */
	.word	0			/* cpuid */
	.byte	.Lalt_orig_end - .Lalt_orig, .Lalt_repl_end - .Lalt_repl

	.section .altinstr_replacement, "ax"
.Lalt_repl:
	nop
.Lalt_repl_end:

	.section __ex_table, "a"
	.p2align 2
	.long	.Lex_es - ., .Lex_es - ., 0		/* insn, fixup, data */
	.long	.Lex_ds - ., .Lex_ds - ., 0

	.section .altinstr_replacement, "ax"
	.globl	alt_code
alt_code:
	wbinvd
	movl	$2, %eax
	ret

	.section .rodata
gdt_desc:
	.word	0
	.long	0
	.long	trap_a, trap_b, alt_code

	.section .previrt.sites, "", @progbits
	.p2align 2
	.long	1b
	.byte	8, 1, 0, 1		/* len 8, insn_len 1, cli, pass */
	.long	0			/* a tombstone */
	.byte	5, 1, 0, 1

#ifdef LINUX_NOTE
	/* As Linux's vmlinux carries (ELFNOTE "Linux"): the rewriter then
	 * records the boot arguments a Linux image needs (.note.previrt). */
	.section .note.Linux, "", @note
	.p2align 2
	.long	6, 4, 0x100
	.asciz	"Linux"
	.p2align 2
	.long	0
#endif
