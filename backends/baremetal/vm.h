/*
 * vm.h - one guest on the bare-metal monitor: struct ab_vm (backend.h
 * leaves it to the backend), the trap dispatch entry points used by
 * trap.c, containment, and the guest-side hooks that the runtime glue
 * provides.  Runs: monitor ring 0.
 */
#ifndef BM_VM_H
#define BM_VM_H

#include "bm.h"
#include "boot.h"
#include "shadow.h"

struct ab_vm {
	struct bm_mmu mmu;
	struct ab_vcpu *vcpu;          /* the runtime's virtual CPU */
	struct ab_shared *sh;          /* the wedge's shared page */
	uint8_t *stubs;                /* the wedge's stub pages */
	uint32_t ram_size;
	int cpl;                       /* guest's virtual CPL: 0 or 3 */
	uint64_t deadline_ns;          /* ab_backend_set_timer, 0 = none */
	uint32_t alloc_next;           /* ab_backend_alloc arena (pool pages) */
	uint32_t alloc_end;
	uint32_t fast_syscall;         /* 1: IDT 0x80 goes straight to guest */
	uint64_t exits[256];           /* monitor entries per real vector */
	uint64_t cycles[256];          /* TSC cycles spent in the monitor */
	uint64_t pf_fills, pf_reflected, pf_prefills;
};

/* A user #PF reflected to the guest, so that the return to the faulting
 * instruction can shadow the new mapping at once.  In the shared page
 * through its wedge address (writable while CR0.WP is set, for
 * bm_fast_user_fault); guest-writable, so only a hint: the prefill walks
 * the guest's tables like any fill. */
struct bm_pf_retry {
	uint32_t va, err, eip, gcr3, valid;
};
#define BM_PF_RETRY ((struct bm_pf_retry *)(AB_WEDGE_SHARED + BM_SH_PF_RETRY))

extern struct ab_vm bm_vm;

/* trap.c -> vm.c */
void bm_vm_trap(struct ab_regs *r, unsigned vec);
void bm_vm_timer(struct ab_regs *r);
void bm_vm_bad_return(struct ab_regs *r) __attribute__((noreturn));
const char *bm_exc_name(unsigned vec);

/* Containment: print the cause with guest EIP and ring, exit non-zero. */
void bm_vm_kill(const struct ab_regs *r, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));

/* Guest-view <-> real frame (selectors, RPL). */
void bm_frame_to_guest(struct ab_regs *r);
void bm_frame_to_real(struct ab_vm *vm, struct ab_regs *r);

/* Read guest-virtual memory as the guest kernel would (walks the guest's
 * tables).  0 or -1. */
int bm_guest_read(struct ab_vm *vm, uint32_t va, void *buf, uint32_t n);

/* Remaps of the guest-RAM window (ab_backend_gpa), for statistics. */
extern uint32_t bm_win_remaps;

/* The runtime glue (ab-glue.c with the afterburner): load the guest and
 * fill the first frame (guest view); print statistics. */
void bm_guest_load(struct ab_vm *vm, struct bm_boot *b, struct ab_regs *r);
void bm_guest_stats(struct ab_vm *vm);
void bm_guest_sync(struct ab_vm *vm);
int bm_fast_iret(struct ab_vm *vm, struct ab_regs *r);
/* A user-mode #PF the guest must handle, delivered without writing
 * monitor memory (trap.c calls it before making the monitor writable).
 * 0 if delivered, -1: the normal path. */
int bm_fast_user_fault(struct ab_vm *vm, struct ab_regs *r);
int bm_vm_iret_stub_exit(uint32_t eip);

#endif
