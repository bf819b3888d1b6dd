/*
 * stubs.S - the iret stub and the segment-read stubs: code copied to
 * BM_IRET_STUB and BM_SEGREAD_STUB in the wedge's stub
 * pages (it runs there, in the GUEST KERNEL's ring 1; only absolute wedge
 * addresses and relative jumps).  Patched iret sites call it instead of
 * the generic stub.  A return to user mode with IF set, nothing pending,
 * the monitor not asking to see it (BM_SH_SLOW: set while the guest's GDT
 * may differ from the real one, shadow.c guarding the GDT's frames so
 * that any write to them is seen) and the ring-1 stack the monitor last
 * installed still the guest TSS's is done here with a native iret,
 * ring 1 -> ring 3, without entering ring 0; anything else traps to the
 * monitor (int $0x82) with the call's return address on top of the
 * stack.  Register flags are dead at an iret (it reloads EFLAGS); the
 * scratch registers are preserved.  Every memory access goes through SS:
 * DS/ES may already hold the user's selectors.
 */
#include "bm-offsets.h"

#define SHW(i) (SH_VA + SH_STUB + 4 * (i))

	.text
	.code32
	.globl bm_iret_stub, bm_iret_crit, bm_iret_insn, bm_iret_slow
	.globl bm_iret_slow4, bm_iret_stub_end, bm_sys_entry, bm_sys_jmp
bm_iret_stub:                           /* 0: ret, 4: eip, 8: cs, 12: eflags */
	testb $3, 8(%esp)
	jz bm_iret_slow                 /* to the kernel: the monitor */
	testl $0x200, 12(%esp)
	jz bm_iret_slow
	cmpl $0, %ss:SHW(5)
	jne bm_iret_slow
	pushl %eax
	movl %ss:SHW(0), %eax           /* guest TSS */
	testl %eax, %eax
	jz 9f
	pushl %ecx
	movl %ss:4(%eax), %ecx          /* its esp0 == the real esp1? */
	cmpl %ss:SHW(1), %ecx
	jne 8f
	movzwl %ss:8(%eax), %ecx        /* its ss0 == the one behind ss1? */
	cmpl %ss:SHW(2), %ecx
	jne 8f
	popl %ecx
	popl %eax
	incl %ss:SHW(6)
	movb $0, %ss:SH_VA + SH_MASK    /* user mode: virtual IF set */
bm_iret_crit:                           /* the monitor's fixup region */
	cmpb $0, %ss:SH_VA + SH_PENDING
	jne bm_iret_slow
	addl $4, %esp
bm_iret_insn:
	iret
8:	popl %ecx
9:	popl %eax
bm_iret_slow:
	int $RUNTIME_VEC
bm_iret_slow4:                          /* fixup entry at bm_iret_insn */
	subl $4, %esp
	int $RUNTIME_VEC

/* The system-call entry for a guest whose int $0x80 gate is an INTERRUPT
 * gate: the real gate is a DPL-3 trap gate to here (ring 1, the guest's
 * code segment, real IF stays set so the monitor's timer still runs);
 * mask the virtual IF as the guest's gate would have, then go to the
 * guest's handler (its address published in the shared page).  A real
 * interrupt before the mask is set is fixed up by the monitor (vm.c). */
bm_sys_entry:
	movb $1, %ss:SH_VA + SH_MASK
bm_sys_jmp:
	jmp *%ss:SHW(7)
bm_iret_stub_end:

/* The segment-read stubs, copied to BM_SEGREAD_STUB: `mov %cs, %reg` and
 * `mov %ss, %reg` of the guest kernel (ring 1), as ring 0 reads them: the
 * real selector is the guest's own index with RPL 1 (its mirror, seg.c),
 * so RPL 0 is one less; flags kept (popfl in ring 1 leaves IF alone).  A
 * monitor boot selector (before the guest's first GDT load) goes to the
 * monitor, which emulates the site.  Linux reads %ss in every exception
 * entry. */
	.macro segread seg, reg
	.balign 32
	pushfl
	movl %\seg, %\reg
	cmpl $BM_BOOT_SEL_MIN, %\reg
	jae 1f
	decl %\reg
	popfl
	ret
1:	popfl
	int $RUNTIME_VEC
	.endm

	.globl bm_segread_stubs, bm_segread_stubs_end
	.balign 32
bm_segread_stubs:
	.irp seg, cs, ss
	.irp reg, eax, ecx, edx, ebx, esp, ebp, esi, edi
	.ifc \reg, esp
	.balign 32
	int $RUNTIME_VEC                /* never a site's target */
	.else
	segread \seg, \reg
	.endif
	.endr
	.endr
	.balign 32
bm_segread_stubs_end:
