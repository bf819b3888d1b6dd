/*
 * linuxhead.S - a guest that starts the way Linux 6.1's PVH head code
 * does, for the three things the monitor had to learn for Linux:
 *  1. a second lgdt whose table has no entry for the CS in use (Linux's
 *     boot GDT after the PVH one), CS reloaded only later: exits in
 *     between must keep the old (flat) CS, as the CPU's descriptor cache;
 *  2. paging on while still running identity-mapped at the physical
 *     address: a patched site there calls the stub alias, which the
 *     guest's tables do not map;
 *  3. stmxcsr/ldmxcsr (SSE state) run natively after the guest sets
 *     CR4.OSFXSR, as Linux's FPU init does.
 * Exits 0 when all pass.  Runs: guest kernel (ring 1 under the monitor;
 * ring 0 natively).
 */
#include "common.h"
	pvh_note

/* One site as the compiler pass records it (sites.h): the instruction,
 * NOPs up to pad, an entry at its link address. */
	.text
	.globl start
start:
	movl $PHYS(stack_top), %esp
	say PHYS(m_start)
	lgdt PHYS(gdtr_a)               /* the PVH GDT: CS 0x08 */
	ljmp $0x08, $PHYS(1f)
1:	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	lgdt PHYS(gdtr_b)               /* the boot GDT: entry 1 empty */
	movw $0x18, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	say PHYS(m_cache)              /* exits (port I/O) with CS 0x08 */
	/* one page table: 0-4 MiB at 0 and at 0xC0000000 */
	movl $PHYS(pt), %edi
	movl $3, %eax
	movl $1024, %ecx
2:	movl %eax, (%edi)
	addl $4, %edi
	addl $0x1000, %eax
	loop 2b
	movl $PHYS(pt) + 3, PHYS(pd)
	movl $PHYS(pt) + 3, PHYS(pd) + 768 * 4
	movl $PHYS(pd), %eax
	movl %eax, %cr3
	movl %cr0, %eax
	orl $0x80000000, %eax
	movl %eax, %cr0
	movb $'p', %al                  /* paging on, still physical: */
	movw $0x3f8, %dx
	PV PV_CLASS_IO, 5, 1, outb %al, %dx  /* a site calling the stub alias */
	ljmp $0x10, $3f                 /* to the link address */
3:	movl %cr4, %eax
	orl $0x600, %eax                /* OSFXSR | OSXMMEXCPT */
	movl %eax, %cr4
	stmxcsr mxcsr
	orl $0x8000, mxcsr              /* flush-to-zero */
	ldmxcsr mxcsr
	movl $0, mxcsr
	stmxcsr mxcsr
	cmpl $0x9f80, mxcsr
	jne fail
	say m_ok
	exit_with 0
fail:	say m_fail
	exit_with 1

	puts_fn

	.data
	.balign 8
gdt_a:	.quad 0
	.quad 0x00cf9b000000ffff        /* 0x08 flat code */
	.quad 0x00cf93000000ffff        /* 0x10 flat data */
gdt_a_end:
gdtr_a:	.word gdt_a_end - gdt_a - 1
	.long PHYS(gdt_a)
gdt_b:	.quad 0, 0                      /* 0x08: nothing */
	.quad 0x00cf9b000000ffff        /* 0x10 flat code */
	.quad 0x00cf93000000ffff        /* 0x18 flat data */
gdt_b_end:
gdtr_b:	.word gdt_b_end - gdt_b - 1
	.long PHYS(gdt_b)
mxcsr:	.long 0

	.section .rodata
m_start: .asciz "linuxhead: start\n"
m_cache: .asciz "linuxhead: old CS kept across lgdt\n"
m_ok:	.asciz "\nlinuxhead: physical site with paging on, mxcsr ok\n"
m_fail:	.asciz "\nlinuxhead: FAILED\n"

	.bss
	.balign 4096
pd:	.space 4096
pt:	.space 4096
	.space 4096
stack_top:
