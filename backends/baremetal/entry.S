/*
 * entry.S - multiboot (v1) header and entry of the monitor.  Runs: monitor
 * ring 0, entered by the boot loader (QEMU -kernel, GRUB multiboot) in
 * 32-bit protected mode, paging off, at bm_entry (linked at its physical
 * address, monitor.ld .boot).
 * Zeroes .bss, maps 0..4 MiB 1:1 (for this code only) and host-physical
 * 0..48 MiB at BM_DIRECT with 4 MiB pages, turns on paging (PSE, WP) and
 * calls bm_main(magic, info_pa) on the boot stack at its linked address.
 */
#include "bm-offsets.h"

#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003            /* page-aligned modules, mem info */

	.section .multiboot, "a"
	.balign 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

	.section .text.entry, "ax"
	.code32
	.globl bm_entry
bm_entry:
	cli
	cld
	movl %eax, %esi                 /* multiboot magic */
	movl %ebx, %ebp                 /* multiboot info, physical */
	movl $(__bss_start - BM_DIRECT_VA), %edi
	movl $(__bss_end - BM_DIRECT_VA), %ecx
	subl %edi, %ecx
	shrl $2, %ecx
	xorl %eax, %eax
	rep stosl
	movl $(bm_boot_pgdir - BM_DIRECT_VA), %edx
	movl $0x83, (%edx)              /* 0..4 MiB 1:1, P|W|PS */
	movl $(BM_DIRECT_PDE_FIRST * 4), %ecx
	movl $0x83, %eax
1:	movl %eax, (%edx, %ecx)
	addl $0x400000, %eax
	addl $4, %ecx
	cmpl $4096, %ecx
	jb 1b
	movl %cr4, %eax
	orl $0x10, %eax                 /* CR4.PSE */
	movl %eax, %cr4
	movl %edx, %cr3
	movl %cr0, %eax
	orl $0x80010000, %eax           /* PG | WP */
	movl %eax, %cr0
	movl $bm_entry_high, %eax
	jmp *%eax                       /* continue at the linked address */

	.text
bm_entry_high:
	movl $bm_boot_stack_top, %esp
	pushl %ebp
	pushl %esi
	call bm_main
3:	hlt
	jmp 3b

	.section .bss
	.balign 4096
	.globl bm_boot_pgdir
bm_boot_pgdir:
	.space 4096
	.balign 16
bm_boot_stack:
	.space 16384
	.globl bm_boot_stack_top
bm_boot_stack_top:
