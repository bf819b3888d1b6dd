/*
 * evil-selector.S - loads a GDT whose entry 3 is a call gate (which the
 * monitor's mirror refuses), then that selector into %ds, then one beyond
 * the GDT limit into %es.  On hardware both loads raise #GP with the
 * selector as error code; the monitor must deliver exactly that to the
 * guest's #GP handler (not stop the guest: Linux's segment-load fixups
 * rely on the #GP).  Exits 0 after both #GPs with the right error codes,
 * 1 if a load "succeeded", 3 on a wrong error code.  Runs: guest kernel
 * (ring 1 under the monitor).
 */
#include "common.h"
	pvh_note

	.text
	.globl start
start:
	movl $PHYS(stack_top), %esp
	say PHYS(m_try)
	lgdt PHYS(gdtr)
	movl $PHYS(on_gp), %eax          /* IDT 13: interrupt gate, DPL 0 */
	movw %ax, PHYS(idt) + 13 * 8
	shrl $16, %eax
	movw %ax, PHYS(idt) + 13 * 8 + 6
	movw $0x0008, PHYS(idt) + 13 * 8 + 2
	movw $0x8e00, PHYS(idt) + 13 * 8 + 4
	lidt PHYS(idtr)
	movl $0x18, PHYS(want)
	movw $0x18, %ax
	movw %ax, %ds
	say PHYS(m_done)
	exit_with 1
gp_next:
	movl $0x78, PHYS(want)
	movw $0x78, %ax
	movw %ax, %es
	say PHYS(m_done)
	exit_with 1
gp_done:
	say PHYS(m_ok)
	exit_with 0

/* #GP: the error code must be the selector just loaded; the first one
 * continues with the second load, the second ends the test. */
on_gp:
	popl %eax
	cmpl PHYS(want), %eax
	jne 1f
	addl $12, %esp                   /* drop eip, cs, eflags */
	cmpl $0x78, %eax
	je gp_done
	jmp gp_next
1:	say PHYS(m_bad)
	exit_with 3

	puts_fn

	.section .rodata
	.balign 8
gdt:	.quad 0
	.quad 0x00cf9a000000ffff        /* 0x08 flat code */
	.quad 0x00cf92000000ffff        /* 0x10 flat data */
	.quad 0x0000ec0000081000        /* 0x18 call gate, DPL 3 */
gdt_end:
gdtr:	.word gdt_end - gdt - 1
	.long PHYS(gdt)
idtr:	.word 256 * 8 - 1
	.long PHYS(idt)
m_try:  .asciz "evil: loading a call-gate selector\n"
m_done: .asciz "evil: a forbidden selector loaded\n"
m_ok:   .asciz "evil: #GP(0x18) and #GP(0x78) delivered\n"
m_bad:  .asciz "evil: #GP with a wrong error code\n"

	.bss
	.balign 8
want:	.long 0
idt:	.space 256 * 8
	.balign 16
	.space 4096
stack_top:
