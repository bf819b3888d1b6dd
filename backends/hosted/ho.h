/*
 * ho.h - the hosted backend's private interface: struct ab_vm (one guest
 * in this 64-bit Linux process) and the functions the backend's files
 * share.  Runs: hosted process.
 *
 * Address spaces: the guest kernel owns the low 4 GiB of this process
 * (guest virtual = host virtual); the backend's code, data, heap and
 * stacks live above 4 GiB.  Guest-physical memory is a memfd, mapped once
 * high for the runtime (ram) and page by page at guest virtual addresses
 * by the software TLB (tlb.c).  Guest user code never runs here: it runs
 * in the user stub, a separate process that maps only guest user pages
 * (user.c).
 */
#ifndef HO_H
#define HO_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include "previrt/afterburner.h"
#include "ho_ustub.h"

/* Real selectors (Linux x86-64 GDT: __USER32_CS, __USER_DS; our LDT). */
#define HO_SEL_CS32   0x23
#define HO_SEL_DS     0x2b
#define HO_SEL_UCODE  0x07   /* user stub's LDT 0, RPL 3: guest user code */
#define HO_SEL_UDATA  0x0f   /* user stub's LDT 1, RPL 3: guest user data */
#define HO_USER_LIMIT 0xC0000000u  /* the guest kernel half starts here */
#define HO_LOW_END    0x100000000ull
#define HO_KPDE_FIRST (HO_USER_LIMIT >> 22)            /* 768 */
#define HO_KPDE_N     ((AB_WEDGE_BASE >> 22) - HO_KPDE_FIRST)

/* User stubs (user.c): the processes guest user code runs in, one per
 * guest address space (page directory) in a bounded pool.  map[] records
 * what a stub has mapped (an open-addressing table by page; va 0 empty,
 * 1 deleted) so that switching back to it only re-checks them. */
#define HO_STUBS      8
#define HO_MAP_SLOTS  4096
struct ho_map { uint32_t va, gpa, prot; };
struct ho_stub {
	pid_t pid;
	struct ho_uop_page *page;  /* its op page, as this side sees it */
	uint32_t cr3;              /* the page directory it serves */
	int in_use;
	uint64_t last_used;
	struct ho_uop q[HO_US_MAXOPS];  /* ops for its next resume */
	unsigned nq;
	struct ho_map map[HO_MAP_SLOTS];
	unsigned nmap, ndead;
	int untracked;             /* has mappings map[] does not list */
	uint8_t fx[512];           /* its FPU state as last read or set */
	int fx_valid;
	unsigned stale;            /* signals left pending by an interrupt */
};

struct ho_user {
	struct ho_stub stub[HO_STUBS];
	struct ho_stub *cur;       /* the current guest address space's */
	uint64_t cookie;           /* lets the stubs' own code map memory */
	uint64_t clock;
	int in_user;               /* a stub runs guest code now */
	uint64_t stops, fills, flushes, batches, escapes, seg_adopts, seg_faults,
		 fpu_sets;
	uint64_t stale_dropped, stub_code_faults, switch_hits, switch_misses, revalidated,
		 revalidate_drops;
};

struct ab_vm {
	struct ab_vcpu vcpu;
	struct ab_regs r;          /* guest registers, virtual selectors */
	int cpl;                   /* as last set by ab_backend_set_mode */
	uint32_t fs_base, gs_base; /* of the guest's %fs / %gs descriptors */
	int paging;
	int memfd;
	uint8_t *ram;              /* host view of guest-physical memory */
	uint32_t mem_size;
	uint32_t stub_alias;       /* AB_WEDGE_STUBS - phys_offset, or 0 */
	int alias_mapped;
	struct ho_user user;
	/* time and console */
	timer_t timer;
	uint64_t deadline_ns;      /* the timer's, 0 = none */
	int stdin_open;
	uint8_t inbuf[256];
	unsigned in_head, in_tail;
	uint64_t last_input_poll;
	/* the last user page fault reflected to the guest kernel: mapped
	 * right away when the kernel irets back to the faulting eip */
	int pf_pending, pf_write;
	uint32_t pf_va, pf_eip;
	/* kernel-half retention across CR3 loads (tlb.c): valid while no
	 * kernel-half page table was written since the last full flush and
	 * the new page directory's kernel-half entries equal kpde[] */
	int keep_ok;
	uint32_t kpde[HO_KPDE_N];
	uint8_t *ptpage;           /* bitmap by gpa page: kernel-half PTs */
	uint64_t partial_flushes;
	int stats;
	uint64_t tlb_fills, tlb_flushes, signals, fast_calls, prefills;
	uint64_t t_start;
};

extern struct ab_vm ho_vm;

/* Guest registers as fast.S saves and restores them (offsets in fast.S). */
struct ho_frame {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp, rip, rfl, cs, ss;
};
extern struct ho_frame ho_frame;
extern uint64_t ho_host_fs;
extern uint8_t ho_fxarea[];        /* fast.S: the guest's FPU state */
void ho_fast_enter(void);          /* fast.S */
void ho_fast_site(void);           /* run.c, called by fast.S */

/* The stub page: 32-bit stub at +0, far pointer at +0x10, 64-bit jump
 * to ho_fast_enter at +0x20. */
#define HO_STUB_FARPTR  0x10
#define HO_STUB_JMP64   0x20
#define HO_SEL_CS64     0x33
#define HO_STUB_SEG     0x100  /* segment fast stubs (ab_patch_seg_stubs) */

/* tlb.c */
int ho_tlb_init(struct ab_vm *vm, uint32_t mem_size);
/* A host page fault at guest address va (write?): map it from the guest
 * page tables.  1 mapped, 0 the guest must see a #PF (err in *pf_err),
 * -1 the address is outside guest RAM. */
int ho_tlb_fill(struct ab_vm *vm, uint32_t va, int write, uint32_t *pf_err);
void ho_tlb_flush_all(struct ab_vm *vm);
/* Map the stubs at alias too while guest paging is off. */
void ho_tlb_set_alias(struct ab_vm *vm, uint32_t alias);

/* run.c */
int ho_run_init(struct ab_vm *vm);
void ho_enter(struct ab_vm *vm) __attribute__((noreturn));
void ho_stop(struct ab_vm *vm, int status, const char *why)
	__attribute__((noreturn));

/* user.c */
int ho_user_init(struct ab_vm *vm);
/* Run guest user code until the vCPU leaves CPL 3; fx is the fxsave
 * image of this context's FPU state (the guest's). */
void ho_user_run(struct ab_vm *vm, void *fx);
/* The stubs' mappings follow the guest's TLB: the current one's all
 * dropped, one page dropped; a CR3 load (paging on) makes the stub of
 * that page directory current, its kept mappings checked against the
 * guest's tables. */
void ho_user_flush(struct ab_vm *vm);
void ho_user_invlpg(struct ab_vm *vm, uint32_t page);
void ho_user_switch(struct ab_vm *vm, uint32_t cr3);
/* Queue the mapping of user page va (1), or 0 with a #PF error code, or
 * -1 outside RAM. */
int ho_user_fill(struct ab_vm *vm, uint32_t va, int write, uint32_t *err);

/* sandbox.c */
int ho_sandbox(void);

/* console (backend.c) */
void ho_console_poll(struct ab_vm *vm, int timeout_ms);
uint64_t ho_now(void);
/* Base of the guest's descriptor for sel (0 for null or unreadable). */
uint32_t ho_seg_base(struct ab_vm *vm, uint16_t sel);

#endif
