/*
 * seg.h - the guest's segments on the real CPU: the demoted mirror of the
 * guest GDT in the real GDT, selector translation of trap frames (guest
 * view <-> real), the ring-1 stack of the real TSS, the direct int $0x80
 * gate, and "forbidden selector" containment.  Runs: monitor ring 0.
 */
#ifndef BM_SEG_H
#define BM_SEG_H

#include "vm.h"

/* Remember the first frame's selectors (shown for the boot segments). */
void bm_seg_init(struct ab_vm *vm, const struct ab_regs *r);
/* Re-read the guest GDT at guest-virtual base (limit as in GDTR) and
 * demote every changed entry into the real GDT, then guard its frames so
 * that the guest's next write to them is seen; nothing to do while they
 * are guarded, unwritten and the GDTR is the same. */
void bm_seg_sync(struct ab_vm *vm, uint32_t base, uint16_t limit,
		 const struct ab_regs *r);
/* The guest's TR (for the ring-1 stack) and IDT (for the fast int $0x80
 * gate) changed or may have: refresh on the next entry. */
void bm_seg_set_tr(struct ab_vm *vm, uint16_t tr);
/* The guest's LDTR (0 = none): mirror its LDT into the real one. */
void bm_seg_set_ldt(struct ab_vm *vm, uint16_t ldtr, const struct ab_regs *r);
int  bm_seg_has_ldt(void);
void bm_seg_set_idt(struct ab_vm *vm, uint32_t base, uint16_t limit);
void bm_seg_invalidate(struct ab_vm *vm);
/* A guest CR3 load: check the GDT's pages still map the guarded frames. */
void bm_seg_cr3_loaded(struct ab_vm *vm);
/* A #GP/#TS/#NP/#SS with a selector error code: kill the guest if the
 * selector is one the monitor refuses; return otherwise. */
void bm_seg_check_fault(struct ab_vm *vm, const struct ab_regs *r,
			unsigned vec);
/* Deliver a user-mode #PF (guest error code gerr, address cr2) through
 * the guest's IDT without writing monitor memory: fills the REAL frame
 * r, 0; or -1 (the normal path delivers it). */
int bm_seg_fast_user_fault(struct ab_vm *vm, struct ab_regs *r,
			   uint32_t gerr, uint32_t cr2);
/* Return to user mode from the iret frame f (eip, cs, eflags, esp, ss)
 * without writing monitor memory, if the mirror, the ring-1 stack and
 * the fast gate are all current: fills the REAL frame r, 0; else -1. */
int bm_seg_fast_user_return(struct ab_vm *vm, struct ab_regs *r,
			    const uint32_t f[5], uint32_t gdt_base,
			    uint16_t gdt_limit);
int bm_seg_fast_kernel_return(struct ab_vm *vm, struct ab_regs *r,
			      const uint32_t f[3], uint32_t gdt_base,
			      uint16_t gdt_limit);
/* Counters. */
extern uint32_t bm_seg_syncs, bm_seg_fast_gate;

#endif
