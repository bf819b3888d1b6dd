/*
 * boot.S - PVH entry of the sample kernel.  Runs: guest kernel, ring 0,
 * entered in 32-bit protected mode with paging off, flat segments and
 * %ebx = physical address of struct hvm_start_info (Xen PVH boot ABI, as
 * QEMU's -kernel and the previrt backends start it).  Zeroes .bss, maps
 * the first 64 MiB (BOOT_MAPPED in types.h) both at 0 and at KERNBASE
 * with 4 KiB pages, turns on paging and calls kmain(start_info_pa) on the
 * boot stack.  Until vm_init maps all RAM, kalloc hands out only frames
 * of this map (modules may sit right after the kernel).
 */
#define KERNBASE 0xC0000000
#define BOOT_PTS 16                     /* page tables: 16 x 4 MiB */
#define XEN_ELFNOTE_PHYS32_ENTRY 18

	.section .note.Xen, "a", @note
	.balign 4
	.long 4                         /* namesz: "Xen\0" */
	.long 4                         /* descsz */
	.long XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.balign 4
	.long pvh_entry - KERNBASE      /* physical entry point */

	.section .text.boot, "ax"
	.code32
	.globl pvh_entry
pvh_entry:
	cld
	movl %ebx, %esi                 /* keep start info across the setup */
	/* zero .bss (physical addresses, paging is off) */
	movl $(__bss_start - KERNBASE), %edi
	movl $(__bss_end - KERNBASE), %ecx
	subl %edi, %ecx
	shrl $2, %ecx
	xorl %eax, %eax
	rep stosl
	/* BOOT_PTS page tables: frames 0 .. 64 MiB, present + writable */
	movl $(boot_pt - KERNBASE), %edi
	movl $0x003, %eax
	movl $(BOOT_PTS * 1024), %ecx
1:	movl %eax, (%edi)
	addl $4, %edi
	addl $0x1000, %eax
	loop 1b
	/* page directory: slots 0.. (identity) and 768.. (KERNBASE) */
	movl $(boot_pgdir - KERNBASE), %edi
	movl $(boot_pt - KERNBASE + 0x003), %eax
	xorl %ecx, %ecx
1:	movl %eax, (%edi, %ecx, 4)
	movl %eax, 768*4(%edi, %ecx, 4)
	addl $0x1000, %eax
	incl %ecx
	cmpl $BOOT_PTS, %ecx
	jb 1b
	movl %edi, %cr3
	movl %cr0, %eax
	orl $0x80010001, %eax           /* PG | WP | PE */
	movl %eax, %cr0
	movl $boot_stack_top, %esp
	movl $2f, %eax
	jmp *%eax                       /* continue at the high address */
2:	xorl %ebp, %ebp
	pushl %esi
	call kmain
3:	jmp 3b

	.section .bss
	.balign 4096
	.globl boot_pgdir
boot_pgdir:
	.space 4096
boot_pt:
	.space BOOT_PTS * 4096
	.globl boot_stack
boot_stack:
	.space 16384
boot_stack_top:
