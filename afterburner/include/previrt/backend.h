/*
 * backend.h - THE backend interface: what every previrt backend implements
 * and what the afterburner runtime offers it.  Runs: hosted process
 * (64-bit, backends/hosted) and monitor ring 0 (32-bit, backends/baremetal);
 * freestanding C, no libc.
 *
 * Division of labour (docs/backend-interface.md has the full tour):
 *  - The AFTERBURNER owns guest semantics, written once: the loader (ELF,
 *    PVH start info), the patcher (site table -> replacements), the virtual
 *    CPU (virtual IF and pending interrupts, CR0/2/3/4, GDTR/IDTR/LDTR/TR,
 *    virtual CPL, exception/interrupt delivery through the guest IDT, iret,
 *    cpuid, msrs), the emulator for trapping instructions, the device
 *    models (PIC, PIT, UART, debug-exit) and the counters.
 *  - A BACKEND owns the real machine: where guest memory lives, how guest
 *    virtual addresses are mapped (software TLB / shadow page tables), how
 *    the guest is entered and how control comes back (signals / real IDT),
 *    real time, the real console, and stopping.
 * Every ab_backend_* function below must be implemented by each backend
 * (a missing one is a link error, on purpose).  The afterburner's entry
 * points (ab_*) are called by the backend's run loop.
 */
#ifndef PREVIRT_BACKEND_H
#define PREVIRT_BACKEND_H

#include <stdint.h>
#include <stddef.h>

/* ---- Fixed guest-visible layout (the "wedge" at the top 64 MiB) ------- */
#define AB_WEDGE_BASE      0xFC000000u  /* guests leave [this, 4G) unused */
#define AB_WEDGE_SHARED    AB_WEDGE_BASE            /* page: struct ab_shared,
						       guest kernel R/W */
#define AB_WEDGE_STUBS     (AB_WEDGE_BASE + 0x1000) /* pages: runtime entry
						       stubs, guest kernel X */
#define AB_WEDGE_STUBS_SIZE 0x3000u
#define AB_WEDGE_GUEST_END (AB_WEDGE_STUBS + AB_WEDGE_STUBS_SIZE)
/* [AB_WEDGE_GUEST_END, 4G): backend-private; the guest must never reach it */

/* Guest register frame: the 32-bit layout of Xen's struct cpu_user_regs
 * (xen/arch-x86/xen-x86_32.h), so a Xen backend can reuse the runtime.
 * cs/ss hold the selectors the GUEST believes in (RPL 0 for its kernel). */
struct ab_regs {
	uint32_t ebx, ecx, edx, esi, edi, ebp, eax;
	uint16_t error_code, entry_vector;
	uint32_t eip;
	uint16_t cs;
	uint8_t  saved_upcall_mask, _pad0;
	uint32_t eflags;     /* real arithmetic flags; IF is virtual */
	uint32_t esp;
	uint16_t ss, _pad1;
	uint16_t es, _pad2, ds, _pad3, fs, _pad4, gs, _pad5;
};

/* Page shared between runtime and guest-kernel-mode patched code (at
 * AB_WEDGE_SHARED).  The first two bytes follow Xen's vcpu_info:
 * the patched cli/sti/popf write upcall_mask; the runtime sets
 * upcall_pending when an interrupt is pending.  Word compare
 * (pending | mask << 8) == 0x0001 means "deliver now". */
struct ab_shared {
	uint8_t  upcall_pending;
	uint8_t  upcall_mask;     /* 1 = virtual IF clear */
	uint16_t _pad;
	uint32_t cr[5];           /* virtual CR0..CR4 (reads are inline) */
	uint32_t stub[32];        /* runtime entry points, filled by backend */
	/* Appended for the segment fast stubs (ab_patch_seg_stubs), used by
	 * the hosted backend: it writes them on every guest entry and reads
	 * sel[ES DS FS GS] back on every exit from guest kernel mode.  The
	 * bare-metal monitor keeps its own data from offset 0x400: nothing
	 * here may reach it. */
	uint32_t sel[6];          /* virtual ES CS SS DS FS GS, zero-extended */
	uint32_t gdt_base;        /* virtual GDTR for the fast load check; */
	uint32_t gdt_limit;       /* 0: no GDT selector passes it */
	uint32_t seg_base[2];     /* FS, GS bases the backend runs with, */
	uint32_t seg_exp[2][2];   /* as descriptor words & base|P|S|code|A masks */
};
_Static_assert(sizeof(struct ab_shared) <= 0x400,
	       "struct ab_shared must stay below the monitor's 0x400");

struct ab_vm;                 /* backend-defined: one guest */
struct ab_vcpu;               /* afterburner-defined virtual CPU */

/* ---- Memory: implemented by each backend --------------------------- */

/* Host pointer to guest-physical [gpa, gpa+len), or NULL if any byte is
 * outside guest RAM.  Used by the loader, page walker and devices. */
void *ab_backend_gpa(struct ab_vm *vm, uint32_t gpa, uint32_t len);

/* One-time allocation at load time (site records): zeroed memory of
 * size bytes, or NULL.  Never freed while the guest lives. */
void *ab_backend_alloc(struct ab_vm *vm, size_t size);

/* The guest switched address space: paging enabled/disabled (CR0.PG) or
 * a new page directory (CR3).  Drop every cached translation. */
void ab_backend_load_cr3(struct ab_vm *vm, uint32_t cr3, int paging);

/* The guest invalidated one page (invlpg) or everything (flush). */
void ab_backend_invlpg(struct ab_vm *vm, uint32_t va);
void ab_backend_flush(struct ab_vm *vm);

/* ---- Patching: how each marked site is rewritten ------------------- */

struct pv_insn;               /* previrt/insn.h: the decoded instruction */

/* What the patcher puts at a site (trap sites, origin 3, are never asked:
 * they keep their instruction and are emulated when they fault). */
enum ab_site_policy {
	AB_SITE_NATIVE = 0,  /* the original instruction + its NOPs: the
				instruction is exact where the guest runs */
	AB_SITE_INLINE = 1,  /* the afterburner's inline replacement on the
				shared page; where it has none (or it does not
				fit the site), a call to *target */
	AB_SITE_CALL = 2,    /* call rel32 to *target, rest NOPs */
};

/* Decide the policy for one site whose bytes decoded to in (in->cls is
 * its class).  *target arrives as AB_WEDGE_STUBS; for CALL (and the
 * INLINE fallback) the backend may set another entry inside the stub
 * pages [AB_WEDGE_STUBS, AB_WEDGE_GUEST_END) - anything else makes the
 * patcher refuse the site.  Called once per site by ab_patch_all. */
enum ab_site_policy ab_backend_site_policy(struct ab_vm *vm,
					   const struct pv_insn *in,
					   uint32_t *target);

/* ---- Execution and events ------------------------------------------ */

/* The runtime changed the guest's virtual CPL (0 kernel, 3 user) or its
 * segment state (lgdt, segment loads, iret to user): the backend makes
 * the next entry use real selectors that give the guest that view. */
void ab_backend_set_mode(struct ab_vm *vm, const struct ab_regs *r, int cpl);

/* Block until an event (timer deadline or console input) may be ready:
 * the guest executed hlt with virtual IF set. */
void ab_backend_idle(struct ab_vm *vm);

/* ---- Time ----------------------------------------------------------- */
uint64_t ab_backend_now_ns(struct ab_vm *vm);      /* monotonic */
/* The rate of the TSC the guest reads (rdtsc runs natively), in kHz, as
 * the backend measured it; 0 if unknown.  For a kernel that is told it on
 * its command line (PV_NOTE_ARGS_TSC). */
uint32_t ab_backend_tsc_khz(struct ab_vm *vm);
/* Ask for ab_timer_expired() at (or soon after) deadline; 0 = cancel. */
void ab_backend_set_timer(struct ab_vm *vm, uint64_t deadline_ns);

/* ---- Console -------------------------------------------------------- */
void ab_backend_console_write(struct ab_vm *vm, const char *s, size_t n);
int  ab_backend_console_read(struct ab_vm *vm);    /* byte, or -1 none */

/* ---- Stopping ------------------------------------------------------- */
/* Stop the guest for good: status 0 = guest reported success.  why is a
 * one-line reason (NULL for a normal power-off).  Does not return. */
void ab_backend_shutdown(struct ab_vm *vm, int status, const char *why)
	__attribute__((noreturn));

/* ---- Afterburner entry points, called by the backend's run loop ----- */

/* A patched site called the runtime: r->eip is the return address (the
 * site's end).  Emulates the site's instruction; may change r wholly
 * (iret, int).  Returns 0, or -1 after stopping the guest. */
int ab_site_call(struct ab_vcpu *v, struct ab_regs *r);

/* A real exception hit the guest at r->eip (vector, error code, cr2).
 * Emulates a trapping sensitive instruction (trap sites, unmarked
 * privileged instructions) or reflects the fault through the guest IDT. */
int ab_guest_fault(struct ab_vcpu *v, struct ab_regs *r, unsigned vector,
		   uint32_t error, uint32_t cr2);

/* Guest user mode executed int $n (system call fast path not taken). */
int ab_guest_int(struct ab_vcpu *v, struct ab_regs *r, unsigned vector);

/* Real time passed / the backend's timer fired: advance the PIT model and
 * raise IRQs; if deliverable, rewrites r to enter the guest handler. */
void ab_timer_expired(struct ab_vcpu *v, struct ab_regs *r);

/* Deliver pending virtual interrupts if the guest can take them now. */
void ab_deliver_pending(struct ab_vcpu *v, struct ab_regs *r);

#endif
