/*
 * evil.S - an adversarial guest: from ring 1 it writes into the
 * monitor's region (the direct map at 0xFD100000, where the monitor's
 * code lives).  The segment limit stops the write; the monitor must kill
 * the guest naming the address.  Exits 0 only if the write "succeeded".
 * Runs: guest kernel (ring 1 under the monitor).
 */
#include "common.h"
	pvh_note

	.text
	.globl start
start:
	movl $PHYS(stack_top), %esp
	say PHYS(m_try)
	movl $0xdeadbeef, 0xFD100000
	say PHYS(m_done)
	exit_with 0

	puts_fn

	.section .rodata
m_try:  .asciz "evil: writing the monitor at 0xfd100000\n"
m_done: .asciz "evil: write went through\n"

	.bss
	.balign 16
	.space 4096
stack_top:
