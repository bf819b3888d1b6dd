/*
 * evil-ldt.S - an adversarial guest: its LDT holds a data segment based
 * in the monitor's region (0xFD000000), which the monitor's demotion
 * refuses; loading it into %ds must stop the guest naming the selector.
 * Exits 0 only if the load "succeeded".  Runs: guest kernel (ring 1
 * under the monitor).
 */
#include "common.h"
	pvh_note

	.text
	.globl start
start:
	movl $PHYS(stack_top), %esp
	say PHYS(m_try)
	lgdt PHYS(gdtr)
	desc_base PHYS(gdt) + 3 * 8, PHYS(ldt)  /* the LDT descriptor */
	movw $0x18, %ax
	lldt %ax
	movw $0x0c, %ax                 /* LDT entry 1 */
	movw %ax, %ds
	say PHYS(m_done)
	exit_with 0

	puts_fn

	.data
	.balign 8
gdt:	.quad 0
	.quad 0x00cf9a000000ffff        /* 0x08 flat code */
	.quad 0x00cf92000000ffff        /* 0x10 flat data */
	.quad 0x000082000000000f        /* 0x18 LDT, 2 entries (base set above) */
gdt_end:
gdtr:	.word gdt_end - gdt - 1
	.long PHYS(gdt)
	.balign 8
ldt:	.quad 0
	.quad 0xfdcf92000000ffff        /* 0x0c data based at 0xFD000000 */

	.section .rodata
m_try:  .asciz "evil-ldt: loading a data segment based in the monitor\n"
m_done: .asciz "evil-ldt: loaded it (NOT contained)\n"

	.bss
	.balign 16
	.space 4096
stack_top:
