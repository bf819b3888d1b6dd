/*
 * ldt.S - a guest that uses a local descriptor table: its GDT holds an
 * LDT descriptor, lldt loads it (unmarked: it traps and is emulated under
 * the monitor), a data segment from the LDT with base 0x80000 is loaded
 * into %fs (natively, ring 1 under the monitor) and read through; then
 * the LDT entry's base is rewritten in memory, lldt reloads the LDT (as
 * Linux does after modify_ldt) and %fs must show the new base.  Exits 0
 * when all checks pass.  Runs: guest kernel (ring 1 under the monitor;
 * ring 0 natively).
 */
#include "common.h"
	pvh_note

#define LDT_SEL  0x18                   /* GDT entry 3: the LDT */
#define LDATA    0x14                   /* LDT entry 2, TI = 1, RPL 0 */

	.text
	.globl start
start:
	movl $PHYS(stack_top), %esp
	movl $0x0bad0bad, 0x0           /* what base 0 shows at offset 0 */
	movl $0x600dbeef, 0x80000       /* what base 0x80000 shows */
	lgdt PHYS(gdtr)
	ljmp $0x08, $PHYS(1f)
1:	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	desc_base PHYS(gdt) + 3 * 8, PHYS(ldt)  /* the LDT descriptor */
	movw $LDT_SEL, %ax
	lldt %ax
	movw $LDATA, %ax
	movw %ax, %fs
	cmpl $0x600dbeef, %fs:0
	jne fail
	say PHYS(m_based)
	/* LDT entry 2: base 0x80000 -> 0, by a plain store, then lldt */
	movl $0x00cf9300, PHYS(ldt) + 2 * 8 + 4
	movw $LDT_SEL, %ax
	lldt %ax
	movw $LDATA, %ax
	movw %ax, %fs
	cmpl $0x0bad0bad, %fs:0
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
	.quad 0x0000820000000017        /* 0x18 LDT, 3 entries (base set above) */
gdt_end:
gdtr:	.word gdt_end - gdt - 1
	.long PHYS(gdt)
	.balign 8
ldt:	.quad 0
	.quad 0x00cf93000000ffff        /* 0x0c flat data */
	.quad 0x00cf93080000ffff        /* 0x14 data, base 0x80000 */

	.section .rodata
m_based: .asciz "ldt: LDT data segment base honoured\n"
m_ok:    .asciz "ldt: rewritten LDT entry honoured after lldt\n"
m_fail:  .asciz "ldt: FAILED\n"

	.bss
	.balign 16
	.space 4096
stack_top:
