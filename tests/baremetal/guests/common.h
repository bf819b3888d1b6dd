/*
 * common.h - shared pieces of the tiny test guests (assembler macros):
 * the PVH note and serial output.  Runs: guest kernel (ring 0 natively,
 * ring 1 under the monitor, where each port access traps and is
 * emulated).
 */
#include "previrt/sites-asm.h"            /* PV, PV_CLASS_* */

#define KERNBASE 0xC0000000
#define PHYS(x) ((x) - KERNBASE)

	.macro pvh_note
	.section .note.Xen, "a", @note
	.balign 4
	.long 4, 4, 18
	.asciz "Xen"
	.long start - KERNBASE
	.text
	.endm

/* puts: %esi = string address (as executing), clobbers %eax %edx %esi */
	.macro puts_fn
puts:	movw $0x3f8, %dx
1:	lodsb
	testb %al, %al
	jz 2f
	outb %al, %dx
	jmp 1b
2:	ret
	.endm

/* Leave with status \st through isa-debug-exit. */
/* Print the NUL-terminated string at \msg (puts_fn).  Clobbers %esi. */
	.macro say msg
	movl $\msg, %esi
	call puts
	.endm

	.macro exit_with st
	movb $\st, %al
	outb %al, $0xf4
	.endm


/* IDT entry \vec (the guest's own idt) -> \handler in code selector
 * 0x08; \flags is the gate's type word: 0x8e00 interrupt gate DPL 0,
 * 0xee00 interrupt gate DPL 3, 0x8f00 trap gate DPL 0.  Clobbers %eax. */
	.macro idt_gate vec, handler, flags
	movl $\handler, %eax
	movw %ax, idt + \vec * 8
	shrl $16, %eax
	movw %ax, idt + \vec * 8 + 6
	movw $0x0008, idt + \vec * 8 + 2
	movw $\flags, idt + \vec * 8 + 4
	.endm

/* The base of the descriptor at address \desc := \value (the three base
 * fields of a segment or system descriptor).  Clobbers %eax. */
	.macro desc_base desc, value
	movl $\value, %eax
	movw %ax, \desc + 2
	shrl $16, %eax
	movb %al, \desc + 4
	movb %ah, \desc + 7
	.endm

/* Paging on from the physical entry: one page table mapping 0..4 MiB at
 * 0 and at KERNBASE with PTE flags \flags (pt, pd: the guest's own
 * page-aligned tables), CR3, CR0.PG|WP, then continue at label high. */
	.macro paging_on flags
	movl $PHYS(pt), %edi
	movl $\flags, %eax
	movl $1024, %ecx
1:	movl %eax, (%edi)
	addl $4, %edi
	addl $0x1000, %eax
	loop 1b
	movl $PHYS(pt) + \flags, %eax
	movl %eax, PHYS(pd)
	movl %eax, PHYS(pd) + 768 * 4
	movl $PHYS(pd), %eax
	movl %eax, %cr3
	movl %cr0, %eax
	orl $0x80010000, %eax
	movl %eax, %cr0
	movl $high, %eax
	jmp *%eax
	.endm
