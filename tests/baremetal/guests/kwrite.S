/*
 * kwrite.S - a tiny guest that checks two things about its kernel-mode
 * writes which the monitor gets from real CR0.WP being set while the
 * guest runs: a write to a page first only read (the shadow maps a clean
 * page read-only) sets the dirty bit in the guest's own PTE, and with
 * the guest's CR0.WP set a write to a read-only page takes a page fault
 * (the guest's #PF handler reports and exits).  Exits 0 if both hold.
 * Runs: guest kernel (natively ring 0; under the monitor ring 1).
 */
#include "common.h"
	pvh_note

	.text
	.globl start
start:
	movl $PHYS(stack_top), %esp
	/* 0..4 MiB at 0 and at KERNBASE (W|P, no A/D set), CR0.WP on */
	paging_on 0x003
high:
	movl $stack_top, %esp
	lgdt gdtr
	/* #PF: interrupt gate, DPL 0, to pf */
	idt_gate 14, pf, 0x8e00
	lidt idtr
	/* read first, then write: D must appear in var's PTE */
	movl var, %eax
	movl $0x1234, var
	movl $var, %ebx
	shrl $12, %ebx
	andl $1023, %ebx
	testl $0x40, pt(, %ebx, 4)
	jnz 1f
	incl fails
	say m_nodirty
	jmp 2f
1:	say m_dirty
	/* ro's PTE read-only, read (mapped), then written: must fault */
2:	movl $ro, %ebx
	shrl $12, %ebx
	andl $1023, %ebx
	andl $~2, pt(, %ebx, 4)
	invlpg ro
	movl ro, %eax
	movl $0x5678, ro
	say m_through
	exit_with 1

/* The page fault of the write to ro: report, exit 0 unless a check
 * failed before. */
pf:	say m_fault
	cmpl $0, fails
	jne 1f
	say m_ok
	exit_with 0
1:	exit_with 1

	puts_fn

	.section .rodata
m_dirty:   .asciz "kwrite: dirty bit after read then write ok\n"
m_nodirty: .asciz "kwrite: FAILED: no dirty bit after read then write\n"
m_fault:   .asciz "kwrite: write to a read-only page faulted\n"
m_through: .asciz "kwrite: FAILED: write to a read-only page went through\n"
m_ok:      .asciz "kwrite: all ok\n"

	.data
	.balign 8
gdt:	.quad 0
	.quad 0x00cf9a000000ffff        /* 0x08 kernel code */
	.quad 0x00cf92000000ffff        /* 0x10 kernel data */
gdt_end:
gdtr:	.word gdt_end - gdt - 1
	.long gdt
	.balign 4
idtr:	.word 256 * 8 - 1
	.long idt
fails:	.long 0

	.bss
	.balign 4096
pd:	.space 4096
pt:	.space 4096
idt:	.space 256 * 8
	.balign 4096
var:	.space 4096
ro:	.space 4096
	.space 4096
stack_top:
