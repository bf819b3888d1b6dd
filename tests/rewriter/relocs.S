/*
 * relocs.S - a test image linked with --emit-relocs, as Linux links a
 * RELOCATABLE kernel: sensitive instructions next to instructions whose
 * fields carry absolute relocations (a far jump, an immediate address),
 * and data words that equal code addresses without a relocation (plain
 * numbers).  The rewriter must cover every sensitive instruction and
 * move the relocations with the fields.  Also a padded site in .rodata,
 * like Linux's kprobe template (code kept as data, copied at run time):
 * a dormant site, left unpatched.  Used by: check-e2e.py.
 */
	.text
	.globl _start
_start:
	movl	$0x18, %eax
	movl	%eax, %ds		/* a row of 2-byte segment loads */
	movl	%eax, %es
	movl	%eax, %fs
	movl	%eax, %gs
	movl	%eax, %ss
	movl	%cr0, %eax
	orl	$1, %eax
	movl	%eax, %cr0		/* then a far jump (absolute reloc) */
	ljmp	$0x10, $1f
1:	pushf
	movl	$table, %ebx		/* immediate with a relocation */
	popf
	cli
	ret

	.section .rodata
	.p2align 2
table:
	.long	1b			/* a real code pointer (relocated) */
	/* plain numbers that happen to equal code addresses */
	.long	0xC0100005, 0xC0100007, 0xC0100009, 0x00100005, 0x00100009
template:				/* code kept as data */
	cli
	.fill	7, 1, 0x90

	.section .previrt.sites, "", @progbits
	.p2align 2
	.long	template
	.byte	8, 1, 0, 1		/* len 8, insn_len 1, cli, pass */
