/*
 * afterburner.h - the afterburner runtime's own API for backends and
 * tests: the virtual CPU, the loaded image, the loader, the patcher, the
 * device models, the counters and the freestanding helpers.  Runs: hosted
 * process (64-bit) and monitor ring 0 (32-bit freestanding); no libc.
 * The hooks a backend implements are in backend.h.
 */
#ifndef PREVIRT_AFTERBURNER_H
#define PREVIRT_AFTERBURNER_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include "previrt/backend.h"
#include "previrt/sites.h"
#include "previrt/insn.h"

#define AB_ERR_LEN 200

/* ---- freestanding helpers (util.c) --------------------------------- */
void *ab_memcpy(void *d, const void *s, size_t n);
void *ab_memset(void *d, int c, size_t n);
int ab_memcmp(const void *a, const void *b, size_t n);
size_t ab_strlen(const char *s);
/* printf subset: %s %c %d %u %x %X %p %%, flags 0 and -, width, l/ll. */
int ab_vfmt(char *buf, size_t n, const char *fmt, va_list ap);
int ab_fmt(char *buf, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* 64-by-32 division without libgcc (32-bit freestanding builds). */
uint64_t ab_udiv64(uint64_t n, uint32_t d, uint32_t *rem);

/* ---- the loaded image (load.c) ------------------------------------- */
/* One site as the runtime keeps it: the ABI entry, the original bytes
 * (for the emulator) and its execution count. */
struct ab_site {
	uint32_t addr;            /* link-time virtual address */
	uint8_t len, insn_len, cls, origin;
	uint8_t inline_fast;      /* 1: replaced inline (fast class) */
	uint8_t policy;           /* enum ab_site_policy as patched */
	uint8_t orig[PV_INSN_MAX_LEN];
	uint32_t count;
};

struct ab_module { const void *data; uint32_t size; const char *cmdline; };

struct ab_image {
	uint32_t entry;           /* PVH physical entry */
	uint32_t phys_offset;     /* p_vaddr - p_paddr of the PT_LOAD segments */
	uint32_t end_paddr;       /* first byte above the loaded segments */
	uint32_t nsites;
	struct ab_site *sites;    /* sorted by addr, from ab_backend_alloc */
	uint32_t tramp_paddr, tramp_size; /* .previrt.text's pages, or 0 */
	char boot_args[3 * PV_NOTE_ARGS_MAX]; /* the image's PV_NOTE_ARGS_*
				     fragments, put before the user's */
};

/* ---- the virtual CPU (vcpu.c) --------------------------------------- */
struct ab_dtr { uint32_t base; uint16_t limit; };

enum ab_stat {                 /* counters besides the per-class ones */
	AB_ST_SITE_CALLS, AB_ST_TRAP_EMUL, AB_ST_IRQS, AB_ST_EXCEPTIONS,
	AB_ST_SYSCALLS, AB_ST_SOFTINTS, AB_ST_IRET_USER, AB_ST_IO_UNKNOWN,
	AB_ST_PF_REFLECTED, AB_ST_TIMER_TICKS, AB_ST_IDLE, AB_ST_COUNT
};

struct ab_pic {                /* one 8259A */
	uint8_t irr, isr, imr, base, icw_step, icw4_needed, auto_eoi;
	uint8_t read_isr, elcr;
};
struct ab_pit_chan {
	uint16_t reload, latch;
	uint8_t mode, access, rw_hi, latched, latch_hi, gate;
	uint64_t start_ns;         /* when the count was (re)loaded */
};
struct ab_uart {
	uint8_t ier, lcr, mcr, scr, dll, dlm, thre_pending;
	int rx;                    /* buffered input byte or -1 */
	char out[128]; uint32_t nout;
};

/* The runtime's own TLB for its guest-virtual accesses (frames, IDT,
 * TSS, descriptors): what a CPU may cache, flushed where a CPU's would be
 * (CR0/CR3/CR4 writes, invlpg).  tag: page | 1; gen: valid while it
 * equals the vCPU's tlb_gen (a flush bumps it); fl: the combined P/W/U
 * of the walk and the PTE's D. */
#define AB_TLB_SIZE 16
#define AB_SITE_CACHE 64
struct ab_tlb_entry { uint32_t tag, gen, pa, fl; };

struct ab_vcpu {
	struct ab_vm *vm;
	struct ab_shared *sh;      /* at AB_WEDGE_SHARED in the guest */
	struct ab_image img;
	int cpl;                   /* virtual CPL: 0 or 3 */
	struct ab_dtr gdtr, idtr;
	uint16_t ldtr, tr;
	uint32_t dr[8];
	uint64_t msr_sysenter_cs, msr_sysenter_esp, msr_sysenter_eip;
	uint64_t tsc_offset;       /* wrmsr TSC: applies to rdmsr, not rdtsc */
	int in_delivery;           /* nesting depth: #DF / triple fault */
	struct ab_tlb_entry tlb[AB_TLB_SIZE];
	uint32_t tlb_gen;
	/* ab_site_find's cache: return address -> site (ret 0 = empty). */
	struct { uint32_t ret; struct ab_site *site; } site_cache[AB_SITE_CACHE];
	/* devices */
	struct ab_pic pic[2];
	struct ab_pit_chan pit[3];
	uint64_t pit_next_ns;      /* next channel-0 IRQ, 0 = none */
	uint64_t pit_k;            /* index of the next channel-0 IRQ, 0 = off */
	uint8_t port61;
	struct ab_uart uart;
	uint8_t cmos_index;
	/* counters */
	uint64_t cls_count[PV_CLASS_COUNT];
	uint64_t stat[AB_ST_COUNT];
	char err[AB_ERR_LEN];      /* first error, for the backend's message */
};

/* Zero the vCPU, point it at the shared page (already mapped by the
 * backend at AB_WEDGE_SHARED) and put the devices in power-on state. */
void ab_vcpu_init(struct ab_vcpu *v, struct ab_vm *vm, struct ab_shared *sh);

/* Guest virtual memory through the guest's page tables (or identity when
 * paging is off), as the CPU at privilege cpl would access it; sets
 * accessed/dirty bits.  0, or -1 with a #PF error code in *pf_err. */
#define AB_ACC_WRITE 2u
#define AB_ACC_USER  4u
#define AB_ACC_FETCH 16u
int ab_vcpu_translate(struct ab_vcpu *v, uint32_t va, unsigned acc,
		      uint32_t *gpa, uint32_t *pf_err);
/* Forget the runtime's cached translations (ab_vcpu_translate): a CR0,
 * CR3 or CR4 write or an invlpg by the guest. */
void ab_vcpu_tlb_flush(struct ab_vcpu *v);
/* Look at va's translation without setting anything: 0 with the
 * guest-physical address and the effective flags (P W U of pde & pte, A D
 * of the pte; all set when paging is off), or -1 if not present. */
int ab_vcpu_peek(struct ab_vcpu *v, uint32_t va, uint32_t *gpa,
		 uint32_t *flags);
/* Copy to/from guest virtual memory at the current CPL; on a page fault
 * the fault is recorded in *pf_err / *pf_va and -1 returned. */
int ab_vcpu_read(struct ab_vcpu *v, uint32_t va, void *buf, uint32_t n,
		 int cpl, uint32_t *pf_err, uint32_t *pf_va);
int ab_vcpu_write(struct ab_vcpu *v, uint32_t va, const void *buf,
		  uint32_t n, int cpl, uint32_t *pf_err, uint32_t *pf_va);

/* The 8-byte descriptor of sel from the guest GDT/LDT (0 or -1), and the
 * base address it describes. */
int ab_vcpu_desc(struct ab_vcpu *v, uint16_t sel, uint32_t d[2]);
uint32_t ab_desc_base(const uint32_t d[2]);

/* Deliver vector through the guest IDT.  soft: int n (DPL check, eip
 * already past the instruction); has_err: push error.  0 or -1 (guest
 * stopped). */
int ab_vcpu_deliver(struct ab_vcpu *v, struct ab_regs *r, unsigned vector,
		    int soft, int has_err, uint32_t error);
/* Raise a fault (#GP, #PF, ...) at the current instruction. */
int ab_vcpu_fault(struct ab_vcpu *v, struct ab_regs *r, unsigned vector,
		  uint32_t error);
/* Emulate iret at virtual CPL 0 (frame on the guest stack). */
int ab_vcpu_iret(struct ab_vcpu *v, struct ab_regs *r);
/* Virtual IF as the guest sees it (1 = enabled). */
static inline int ab_vcpu_if(const struct ab_vcpu *v)
{
	return !v->sh->upcall_mask;
}
/* Set the virtual IF, keeping upcall_pending right. */
void ab_vcpu_set_if(struct ab_vcpu *v, int on);
/* Recompute upcall_pending from the PIC. */
void ab_vcpu_update_pending(struct ab_vcpu *v);
/* Stop the guest: message naming the guest address and the cause. */
void ab_vcpu_kill(struct ab_vcpu *v, const struct ab_regs *r,
		  const char *fmt, ...) __attribute__((noreturn,
						       format(printf, 3, 4)));

/* ---- the emulator (emu.c): one instruction at r->eip ------------------ */
/* Emulate the sensitive instruction in bytes[0..len) as if it ran at
 * r->eip: on success r->eip = next (the caller's idea of the end); if the
 * instruction faults, the exception is delivered to the guest instead.
 * Returns 0 (guest errors stop the guest through ab_backend_shutdown). */
int ab_emu_insn(struct ab_vcpu *v, struct ab_regs *r, const uint8_t *bytes,
		unsigned avail, uint32_t next);
/* cpuid leaf/subleaf as the guest sees it. */
void ab_emu_cpuid(struct ab_vcpu *v, uint32_t leaf, uint32_t sub,
		  uint32_t out[4]);

/* ---- loader (load.c) ------------------------------------------------ */
/* Load the ELF (PT_LOAD to p_paddr), find the PVH entry and read the site
 * table into v->img.  0, or -1 with v->err set. */
int ab_load_elf(struct ab_vcpu *v, const void *elf, size_t size);
/* Build hvm_start_info (memmap, cmdline, modules) in low guest memory and
 * the initial register state.  The memory map reserves the trampoline
 * segment; the command line is the image's boot arguments (its
 * .note.previrt), then cmdline.  0 or -1 with v->err. */
#define AB_START_INFO_PA 0x6000u   /* scratch stack: the page below */
int ab_load_start(struct ab_vcpu *v, uint32_t mem_size, const char *cmdline,
		  const struct ab_module *mods, unsigned nmods,
		  struct ab_regs *r);

/* ---- patcher (patch.c) ---------------------------------------------- */
/* Verify and patch every site of v->img in guest memory.  0 or -1. */
int ab_patch_all(struct ab_vcpu *v);
/* Build the replacement of one site into out[0..s->len) as it will run
 * at link address s->addr.  0, or -1 with v->err (site refused). */
int ab_patch_site(struct ab_vcpu *v, struct ab_site *s, const uint8_t *cur,
		  uint8_t *out);
/* 1 if the afterburner has an inline replacement for in (no prefixes;
 * cli, sti, pushf, popf, mov from cr0/2/3/4): what AB_SITE_INLINE gives
 * when the site is long enough. */
int ab_patch_can_inline(const struct pv_insn *in);
/* Segment fast stubs: 32-bit guest-kernel code a backend may copy into its
 * stub pages (AB_SEGSTUB_SIZE bytes, running at guest address link) and
 * point segment sites at with AB_SITE_CALL.  Reads (push sreg, mov sreg
 * to a 32-bit register) take the virtual selector from sh->sel; loads of
 * DS/ES/FS/GS (pop, mov from a 32-bit register) accept a null selector or
 * a GDT selector within sh->gdt_limit whose descriptor (read at
 * sh->gdt_base) is a present data segment already marked accessed, with
 * RPL <= DPL - a subset of what the emulator accepts, with nothing to
 * write - and, for FS/GS, whose base is sh->seg_base[] (null:
 * that base is 0), and store it in sh->sel; anything else jumps to
 * AB_WEDGE_STUBS, where the runtime emulates the site as before.  Valid
 * only where the real DS and ES need not change with the virtual ones
 * and FS/GS only with their bases (hosted). */
#define AB_SEGSTUB_SIZE 0xb40u
#define AB_SEG_ES 0
#define AB_SEG_DS 3
void ab_patch_seg_stubs(uint8_t *buf, uint32_t link);
/* Offset in that block of the stub for in, or -1 (no fast form). */
int ab_patch_seg_stub(const struct pv_insn *in);
/* 1 if block offset off is one of the stubs' descriptor reads (which may
 * fault: the guest GDT is not mapped). */
int ab_patch_seg_fault_point(uint32_t off);
/* A fault at a descriptor read: undo the stub's frame so that r is as
 * at the stub's entry ([esp] = the site's return address).  0 or -1. */
int ab_patch_seg_unwind(struct ab_vcpu *v, struct ab_regs *r);
/* Find the site a return address ret (as executed: virtual or physical)
 * belongs to: s->addr < ret <= s->addr + s->len.  NULL if none.  Keeps
 * what it finds in a small cache; ab_site_peek only reads it (for a
 * backend path that may not write its memory). */
struct ab_site *ab_site_find(struct ab_vcpu *v, uint32_t ret);
struct ab_site *ab_site_peek(struct ab_vcpu *v, uint32_t ret);

/* ---- devices (dev.c) ------------------------------------------------ */
void ab_dev_init(struct ab_vcpu *v);
uint32_t ab_dev_in(struct ab_vcpu *v, uint16_t port, unsigned size);
void ab_dev_out(struct ab_vcpu *v, uint16_t port, unsigned size, uint32_t val);
/* Advance time-driven devices (PIT, UART input) to now; raise IRQs. */
void ab_dev_poll(struct ab_vcpu *v);
/* Raise / lower an ISA IRQ line (edge: raise sets IRR). */
void ab_dev_irq(struct ab_vcpu *v, unsigned irq);
/* Highest-priority deliverable vector, or -1 (does not acknowledge). */
int ab_pic_pending(struct ab_vcpu *v);
/* Acknowledge: IRR -> ISR, return the vector (spurious: base+7). */
int ab_pic_ack(struct ab_vcpu *v);
/* Flush buffered console output. */
void ab_dev_flush(struct ab_vcpu *v);

/* ---- counters (stats.c) --------------------------------------------- */
/* Format the --stats report line by line through ab_backend_console_write
 * style callback. */
void ab_stats_print(struct ab_vcpu *v,
		    void (*out)(void *ctx, const char *line), void *ctx);

#endif
