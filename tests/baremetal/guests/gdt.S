/*
 * gdt.S - a guest that loads its own GDT, reloads CS (far jump, native
 * in ring 1) and the data segments, then rewrites a GDT entry in memory
 * WITHOUT lgdt (as Linux rewrites TLS entries) and checks that the new
 * base is used after its next segment-state change (the SS load traps and
 * is emulated; the monitor re-reads the GDT).  Exits 0 when all checks
 * pass.  Runs: guest kernel (ring 1 under the monitor; ring 0 natively).
 */
#include "common.h"
	pvh_note

	.text
	.globl start
start:
	movl $PHYS(stack_top), %esp
	say PHYS(m_start)
	movl $0x0bad0bad, 0x0           /* what base 0 shows at offset 0 */
	movl $0x600dbeef, 0x80000       /* what base 0x80000 shows */
	lgdt PHYS(gdtr)
	ljmp $0x08, $PHYS(1f)
1:	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw $0x18, %ax
	movw %ax, %fs
	cmpl $0x0bad0bad, %fs:0
	jne fail
	say PHYS(m_loaded)
	/* entry 3: base 0 -> 0x80000, by a plain store */
	movl $0x00cf9308, PHYS(gdt) + 3 * 8 + 4
	movw $0x10, %ax
	movw %ax, %ss                   /* segment-state change: re-sync */
	movw $0x18, %ax
	movw %ax, %fs
	cmpl $0x600dbeef, %fs:0
	jne fail
	say PHYS(m_ok)
	exit_with 0
fail:	say PHYS(m_fail)
	exit_with 1

	puts_fn

	.data
	.balign 8
gdt:	.quad 0
	.quad 0x00cf9b000000ffff        /* 0x08 flat code */
	.quad 0x00cf93000000ffff        /* 0x10 flat data */
	.quad 0x00cf93000000ffff        /* 0x18 data, base rewritten later */
gdt_end:
gdtr:	.word gdt_end - gdt - 1
	.long PHYS(gdt)

	.section .rodata
m_start:  .asciz "gdt: loading a GDT\n"
m_loaded: .asciz "gdt: own GDT in use\n"
m_ok:     .asciz "gdt: rewritten descriptor honoured\n"
m_fail:   .asciz "gdt: FAILED\n"

	.bss
	.balign 16
	.space 4096
stack_top:
