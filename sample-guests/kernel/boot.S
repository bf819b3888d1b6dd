/*
 * boot.S - PVH entry of the sample kernel.  Runs: guest kernel, ring 0,
 * entered in 32-bit protected mode with paging off, flat segments and
 * %ebx = physical address of struct hvm_start_info (Xen PVH boot ABI, as
 * QEMU's -kernel and the previrt backends start it).  Zeroes .bss, maps
 * the first 8 MiB both at 0 and at KERNBASE with 4 KiB pages, turns on
 * paging and calls kmain(start_info_pa) on the boot stack.
 */
#define KERNBASE 0xC0000000
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
	/* two page tables: frames 0 .. 8 MiB, present + writable */
	movl $(boot_pt - KERNBASE), %edi
	movl $0x003, %eax
	movl $2048, %ecx
1:	movl %eax, (%edi)
	addl $4, %edi
	addl $0x1000, %eax
	loop 1b
	/* page directory: slots 0,1 (identity) and 768,769 (KERNBASE) */
	movl $(boot_pgdir - KERNBASE), %edi
	movl $(boot_pt - KERNBASE + 0x003), %eax
	movl %eax, 0(%edi)
	movl %eax, 768*4(%edi)
	addl $0x1000, %eax
	movl %eax, 4(%edi)
	movl %eax, 769*4(%edi)
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
	.space 2 * 4096
	.globl boot_stack
boot_stack:
	.space 16384
boot_stack_top:
