/*
 * trap.S - the monitor's trap stubs and world switch.  Runs: monitor
 * ring 0.  Every vector enters bm_trap(struct ab_regs *) with the frame
 * laid out as struct ab_regs (Xen's cpu_user_regs): the TSS ring-0 stack
 * starts 16 bytes below the stack top, so the guest's es/ds/fs/gs go in
 * the slots above the hardware-pushed ss.  bm_trap_return (also used for
 * the first entry into the guest) restores such a frame and irets; traps
 * from ring 0 carry no ss/esp and their segment slots are not touched.
 */
#include "bm-offsets.h"

	.text
	.code32

/* Vectors that push an error code: 8, 10-14, 17, 21, 29, 30. */
#define HAS_ERR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || \
		    (v) == 21 || (v) == 29 || (v) == 30)

	.macro vector v
	.balign 16
	.if !HAS_ERR(\v)
	pushl $0
	.endif
	movw $\v, 2(%esp)
	jmp bm_trap_common
	.endm

	.balign 16
	.globl bm_vectors
bm_vectors:                             /* 256 stubs, 16 bytes apart */
	.irp hi, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	.irp lo, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	vector (\hi*16+\lo)
	.endr
	.endr

bm_trap_common:
	pushl %eax
	pushl %ebp
	pushl %edi
	pushl %esi
	pushl %edx
	pushl %ecx
	pushl %ebx
	testl $3, R_CS(%esp)
	jz 1f
	movw %es, R_ES(%esp)
	movw %ds, R_DS(%esp)
	movw %fs, R_FS(%esp)
	movw %gs, R_GS(%esp)
1:	movl $BM_KDATA_SEL, %eax
	movw %ax, %ds
	movw %ax, %es
	pushl %esp
	call bm_trap
	addl $4, %esp

	.globl bm_trap_return
bm_trap_return:                         /* %esp = struct ab_regs */
	testl $3, R_CS(%esp)
	jz 2f
	.globl bm_seg_restore
bm_seg_restore:                         /* faults here: bad guest selector */
	movw R_ES(%esp), %es
	movw R_DS(%esp), %ds
	movw R_FS(%esp), %fs
	movw R_GS(%esp), %gs
2:	popl %ebx
	popl %ecx
	popl %edx
	popl %esi
	popl %edi
	popl %ebp
	popl %eax
	addl $4, %esp
	.globl bm_iret
bm_iret:
	iret
	.globl bm_iret_end
bm_iret_end:

/* The double-fault task's entry (cpu.c: task gate, own stack). */
	.globl bm_df_entry
bm_df_entry:
	call bm_double_fault
1:	hlt
	jmp 1b

/* bm_enter(struct ab_regs *frame): switch to the frame (on the ring-0
 * trap stack), set CR0.WP (ring 1 honours read-only shadow entries; under
 * bm_guard_wp the direct map is read-only from here on too) and enter
 * the guest.  Does not return. */
	.globl bm_enter
bm_enter:
	movl 4(%esp), %esp
	movl %cr0, %eax
	orl $0x10000, %eax
	movl %eax, %cr0
	jmp bm_trap_return

/* int bm_limit_probe(uint16_t sel, uint32_t off): load %fs with sel and
 * read 4 bytes at %fs:off, beyond the segment's limit.  Returns 0 if the
 * read went through (this CPU does not check data-segment limits), else
 * 1 + the fault's vector: monitor_fault (trap.c) resumes a fault at
 * bm_probe_read at bm_probe_done with that in %eax.  %fs is restored
 * either way.  Boot only, interrupts off. */
	.globl bm_limit_probe
bm_limit_probe:
	movl 4(%esp), %edx
	movl 8(%esp), %ecx
	xorl %eax, %eax
	pushl %fs
	movw %dx, %fs
	.globl bm_probe_read
bm_probe_read:
	movl %fs:(%ecx), %edx
	.globl bm_probe_done
bm_probe_done:
	popl %fs
	ret
