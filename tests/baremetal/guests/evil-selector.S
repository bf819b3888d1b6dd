/*
 * evil-selector.S - an adversarial guest: loads a GDT whose entry 3 is a
 * call gate (refused by the monitor's demotion), then loads that selector
 * into %ds.  The monitor must stop it naming the selector.  Exits 0 only
 * if the load "succeeded".  Runs: guest kernel (ring 1 under the monitor).
 */
#include "common.h"
	pvh_note

	.text
	.globl start
start:
	movl $PHYS(stack_top), %esp
	say PHYS(m_try)
	lgdt PHYS(gdtr)
	movw $0x18, %ax
	movw %ax, %ds
	say PHYS(m_done)
	exit_with 0

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
m_try:  .asciz "evil: loading a call-gate selector\n"
m_done: .asciz "evil: call gate loaded\n"

	.bss
	.balign 16
	.space 4096
stack_top:
