/*
 * evil-priv.S - an adversarial guest: executes rdpmc (privileged while
 * CR4.PCE is clear, not a sensitive class, never marked) in its kernel.
 * The monitor cannot emulate it and must stop the guest.
 * Runs: guest kernel (ring 1 under the monitor).
 */
#include "common.h"
	pvh_note

	.text
	.globl start
start:
	movl $PHYS(stack_top), %esp
	say PHYS(m_try)
	xorl %ecx, %ecx
	rdpmc
	say PHYS(m_done)
	exit_with 0

	puts_fn

	.section .rodata
m_try:  .asciz "evil: rdpmc in the kernel\n"
m_done: .asciz "evil: rdpmc ran\n"

	.bss
	.balign 16
	.space 4096
stack_top:
