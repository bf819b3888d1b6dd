/*
 * evil-triple.S - a guest that triple-faults: an empty IDT, then ud2.
 * The #UD cannot be delivered, nor the #DF: the monitor must stop the
 * guest with "triple fault".  Runs: guest kernel (ring 1 under the
 * monitor).
 */
#include "common.h"
	pvh_note

	.text
	.globl start
start:
	movl $PHYS(stack_top), %esp
	say PHYS(m_try)
	lidt PHYS(idtr)
	ud2
	say PHYS(m_done)
	exit_with 0

	puts_fn

	.section .rodata
	.balign 4
idtr:	.word 0
	.long 0
m_try:  .asciz "evil: ud2 with an empty IDT\n"
m_done: .asciz "evil: survived\n"

	.bss
	.balign 16
	.space 4096
stack_top:
