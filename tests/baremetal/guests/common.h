/*
 * common.h - shared pieces of the tiny test guests (assembler macros):
 * the PVH note and serial output.  Runs: guest kernel (ring 0 natively,
 * ring 1 under the monitor, where each port access traps and is
 * emulated).
 */
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
	.macro exit_with st
	movb $\st, %al
	outb %al, $0xf4
	.endm
