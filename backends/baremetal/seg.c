/*
 * seg.c - guest segments on the real CPU (see seg.h).  The real GDT's
 * entries [1, BM_GUEST_GDT_MAX) mirror the guest's GDT, demoted by
 * bm_desc_demote; until the guest loads a GDT (PVH starts it with flat
 * segments) the monitor's boot descriptors stand in.  Runs: monitor
 * ring 0.
 */
#include <stdint.h>
#include <xen.h>                 /* struct trap_info (Xen public ABI) */
#include "bm.h"
#include "desc.h"
#include "seg.h"
#include "x86.h"

enum { S_CS, S_SS, S_DS, S_ES, S_FS, S_GS, S_N };

static uint64_t gcache[BM_GUEST_GDT_MAX];   /* guest's raw entries */
static uint8_t gstatus[BM_GUEST_GDT_MAX];   /* enum bm_demote, 0xff absent */
static const char *gwhy[BM_GUEST_GDT_MAX];
static unsigned gcount;                     /* entries synced */
static uint16_t shown[S_N];                 /* guest view of boot segs */
static uint16_t cur[S_N];                   /* real selector in use */
static uint16_t guest_tr;
static uint32_t idt_base, idt_limit;
static int tss_stale = 1, idt_stale = 1;
static uint32_t tss_esp0, tss_ss0, tss_va;
static int cr3_loaded;          /* since the last exit in kernel mode */
static uint32_t gdt_base;                   /* guest GDTR base synced */
/* 1: the mirror equals the guest's GDT and the GDT's frames are guarded
 * (shadow.c), so that the next guest write to them is seen: until then
 * no re-read is needed.  0: re-read at every mode change. */
static int gdt_clean;
static uint32_t gframes[BM_MMU_PROT];       /* the frames guarded */
static unsigned ngframes;
/* The guest's LDT, mirrored like the GDT into the real LDT (bm_ldt, at
 * real GDT entry BM_SEL_LDT): re-read at every mode change while one is
 * loaded (not guarded), so returns to user go through the monitor. */
static uint64_t bm_ldt[BM_LDT_MAX] __attribute__((aligned(8)));
static uint64_t lcache[BM_LDT_MAX];
static uint8_t lstatus[BM_LDT_MAX];
static const char *lwhy[BM_LDT_MAX];
static unsigned lcount;                     /* 0: no LDT loaded */
uint32_t bm_seg_syncs, bm_seg_fast_gate;
extern const uint8_t bm_iret_stub[], bm_sys_entry[];   /* stubs.S */

static uint16_t boot_sel(int k, int user)
{
	if (k == S_CS)
		return user ? BM_SEL_GUCODE : BM_SEL_GCODE;
	return user ? BM_SEL_GUDATA : BM_SEL_GDATA;
}

static void ldt_none(void);

void bm_seg_init(struct ab_vm *vm, const struct ab_regs *r)
{
	(void)vm;
	shown[S_CS] = r->cs; shown[S_SS] = r->ss; shown[S_DS] = r->ds;
	shown[S_ES] = r->es; shown[S_FS] = r->fs; shown[S_GS] = r->gs;
	for (int k = 0; k < S_N; k++)
		cur[k] = boot_sel(k, 0);
	for (unsigned i = 0; i < BM_GUEST_GDT_MAX; i++)
		gstatus[i] = 0xff;
	/* LDTR as the firmware left it is a valid 64 KiB LDT at linear 0
	 * (the reset state): a guest's LDT selector would read it there
	 * and page-fault.  Null, it raises #GP(selector) as it must. */
	ldt_none();
}

static int is_boot(uint16_t real);

/* Is guest descriptor g flat 4 GiB (base 0), 32-bit, present, the kind
 * register slot k holds (code for CS, writable data otherwise)? */
static int flat_for(uint64_t g, int k)
{
	struct bm_seg d;
	bm_desc_decode(g, &d);
	if (!d.s || !d.p || !d.db || d.base || d.limit != 0xffffffffu)
		return 0;
	return k == S_CS ? (d.type & BM_TYPE_CODE) != 0
			 : (d.type & (BM_TYPE_CODE | BM_TYPE_WRITE |
				      BM_TYPE_EXPDOWN)) == BM_TYPE_WRITE;
}

/* Guest entry i is about to change (a new GDT).  Natively, a register
 * loaded from it keeps its descriptor cache until reloaded: Linux's
 * startup_32 switches from the PVH GDT to its boot GDT and runs on with
 * the old CS for a while.  A kernel register holding a flat descriptor
 * from i moves to the boot descriptors (the same flat view) until the
 * guest loads it anew; any other stale descriptor is not kept. */
static void keep_cached(unsigned i)
{
	for (int k = 0; k < S_N; k++) {
		if (cur[k] >> 3 != i || (cur[k] & 4) || is_boot(cur[k]) ||
		    (cur[k] & 3) == 3 || !flat_for(gcache[i], k))
			continue;
		shown[k] = k == S_CS || k == S_SS ? bm_sel_to_guest(cur[k])
						  : cur[k];
		cur[k] = boot_sel(k, 0);
	}
}

/* Guest descriptor g (GDT or LDT) demoted into *real, with "accessed"
 * pre-set on usable code/data (the CPU would write it into the mirror,
 * read-only to the guest); enum bm_demote, *why for a refusal. */
static uint8_t demote(uint64_t g, uint64_t *real, const char **why)
{
	int st = bm_desc_demote(g, AB_WEDGE_GUEST_END, real, why);
	if (st == BM_DESC_OK && (*real >> 44 & 1))
		*real |= 1ull << 40;
	return (uint8_t)st;
}

static void sync_entry(unsigned i, uint64_t g)
{
	gcache[i] = g;
	gstatus[i] = demote(g, &bm_gdt[i], &gwhy[i]);
}

/* The guest frames under its GDT [base, base + limit] as its tables map
 * them now, into fr[]; their number, or -1 if a page is unmapped or the
 * GDT spans more than shadow.c can guard. */
static int gdt_frames(struct ab_vm *vm, uint32_t base, uint32_t limit,
		      uint32_t *fr)
{
	uint32_t gpa, gerr, last = (base + limit) & ~0xfffu;
	int n = 0;
	for (uint32_t p = base & ~0xfffu;; p += 4096) {
		if (n == BM_MMU_PROT || bm_mmu_walk(&vm->mmu, p, 0, 0, 0, &gpa,
						    &gerr) != BM_PF_FILLED)
			return -1;
		fr[n++] = gpa >> 12;
		if (p == last)
			return n;
	}
}

/* Are fr[0..n) (n < 0: unknown) the frames guarded now? */
static int guarded_now(const uint32_t *fr, int n)
{
	return n > 0 && (unsigned)n == ngframes &&
		!memcmp(fr, gframes, (size_t)n * 4);
}

/* After a sync: guard the GDT's frames, or, if they are guarded already,
 * take back the addresses the guest wrote them through. */
static void gdt_guard(struct ab_vm *vm)
{
	uint32_t fr[BM_MMU_PROT], va[BM_MMU_UNPROT];
	int n = gcount ? gdt_frames(vm, gdt_base, gcount * 8 - 1, fr) : -1;
	gdt_clean = n > 0;
	if (guarded_now(fr, n)) {
		int k = bm_mmu_reguard(&vm->mmu, va);
		for (int i = 0; i < k; i++)
			invlpg(va[i]);
		if (k < 0)
			write_cr3(vm->mmu.root);
		return;
	}
	ngframes = n > 0 ? (unsigned)n : 0;
	memcpy(gframes, fr, ngframes * 4);
	bm_mmu_guard(&vm->mmu, gframes, ngframes);
	write_cr3(vm->mmu.root);
}

/* A CR3 load: if the GDT's pages now map other frames, the mirror is no
 * longer known to be current (the next mode change re-reads it). */
void bm_seg_cr3_loaded(struct ab_vm *vm)
{
	uint32_t fr[BM_MMU_PROT];
	if (!gdt_clean)
		return;
	if (!guarded_now(fr, gdt_frames(vm, gdt_base, gcount * 8 - 1, fr)))
		gdt_clean = 0;
}

void bm_seg_sync(struct ab_vm *vm, uint32_t base, uint16_t limit,
		 const struct ab_regs *r)
{
	static uint64_t buf[512];
	unsigned n = ((unsigned)limit + 1) / 8;
	n = n > BM_GUEST_GDT_MAX ? BM_GUEST_GDT_MAX : n;
	if (gdt_clean && !vm->mmu.prot_written && base == gdt_base &&
	    n == gcount)
		return;                 /* guarded and unwritten: current */
	bm_seg_syncs++;
	for (unsigned i = 0; i < n; i += 512) {
		unsigned k = n - i < 512 ? n - i : 512;
		if (bm_guest_read(vm, base + i * 8, buf, k * 8))
			bm_vm_kill(r, "guest GDT at 0x%08x unreadable", base);
		if (i == 0 && k)
			gcache[0] = buf[0];        /* null entry: copied only */
		for (unsigned j = 0; j < k; j++)
			if (i + j && (buf[j] != gcache[i + j] ||
				      gstatus[i + j] == 0xff)) {
				if (gstatus[i + j] == BM_DESC_OK)
					keep_cached(i + j);
				sync_entry(i + j, buf[j]);
			}
	}
	for (unsigned i = n; i < gcount; i++) {
		if (gstatus[i] == BM_DESC_OK)
			keep_cached(i);
		bm_gdt[i] = 0;
		gstatus[i] = 0xff;
	}
	gcount = n;
	gdt_base = base;
	tss_stale = 1;
	gdt_guard(vm);
}

int bm_seg_has_ldt(void)
{
	return lcount != 0;
}

/* No LDT: the real LDTR null, every LDT selector refused. */
static void ldt_none(void)
{
	lcount = 0;
	lldt(0);
}

/* The guest's LDT descriptor (GDT entry of ldtr): base and entries, or
 * -1 if it is not a present LDT descriptor of at most BM_LDT_MAX. */
static int ldt_locate(uint16_t ldtr, uint32_t *base, unsigned *n)
{
	unsigned i = ldtr >> 3;
	struct bm_seg s;
	if ((ldtr & 4) || !i || i >= gcount || gstatus[i] != BM_DESC_HIDDEN)
		return -1;
	bm_desc_decode(gcache[i], &s);
	if (s.s || s.type != 2 || !s.p)
		return -1;
	*base = s.base;
	*n = s.limit / 8 + 1;
	return *n <= BM_LDT_MAX ? 0 : -1;
}

/* Re-read the guest's LDT (selector ldtr, 0 = none) into the real one:
 * each entry demoted as a GDT entry is; the real LDTR points at it. */
void bm_seg_set_ldt(struct ab_vm *vm, uint16_t ldtr, const struct ab_regs *r)
{
	uint32_t base;
	unsigned n;
	if (!(ldtr & ~3u)) {
		ldt_none();
		return;
	}
	if (ldt_locate(ldtr, &base, &n) ||
	    bm_guest_read(vm, base, lcache, n * 8))
		bm_vm_kill(r, "guest LDT (ldtr %x) unusable or unreadable",
			   ldtr);
	for (unsigned j = 0; j < n; j++)
		lstatus[j] = demote(lcache[j], &bm_ldt[j], &lwhy[j]);
	lcount = n;
	bm_gdt[BM_SEL_LDT >> 3] = bm_desc_seg((uint32_t)(uintptr_t)bm_ldt,
					      n * 8 - 1, 2, 0, 0);
	lldt(BM_SEL_LDT);
}

void bm_seg_set_tr(struct ab_vm *vm, uint16_t tr)
{
	(void)vm;
	guest_tr = tr;
	tss_stale = 1;
}

void bm_seg_set_idt(struct ab_vm *vm, uint32_t base, uint16_t limit)
{
	(void)vm;
	if (base == idt_base && limit == idt_limit)
		return;
	idt_base = base;
	idt_limit = limit;
	idt_stale = 1;
}

void bm_seg_invalidate(struct ab_vm *vm)
{
	(void)vm;
	tss_stale = idt_stale = 1;
	cr3_loaded = 1;
}

static uint16_t translate(const struct ab_regs *r, uint16_t sel, int k,
			  int user);

static __attribute__((noinline, cold)) int ldt_usable(unsigned i)
{
	return i < lcount && lstatus[i] == BM_DESC_OK;
}

static int usable(uint16_t sel)
{
	unsigned i = sel >> 3;
	if (__builtin_expect(sel & 4, 0))
		return ldt_usable(i);
	return i && i < gcount && gstatus[i] == BM_DESC_OK;
}

/* The guest's raw descriptor of a usable selector. */
static uint64_t raw_desc(uint16_t sel)
{
	return (sel & 4) ? lcache[sel >> 3] : gcache[sel >> 3];
}

static void forbidden(const struct ab_regs *r, uint16_t sel)
{
	unsigned i = sel >> 3;
	const char *why = (sel & 4) ?
		(!lcount ? "no LDT loaded" : i >= lcount ?
		 "beyond the guest LDT limit" : lwhy[i] ? lwhy[i] :
		 "not present") :
		i >= gcount ? "beyond the guest GDT limit" :
		gstatus[i] == BM_DESC_HIDDEN ? "system descriptor" :
		gwhy[i] ? gwhy[i] : "not present";
	bm_vm_kill(r, "forbidden selector %x loaded (%s)", sel, why);
}

/* Real selector for guest selector sel in register slot k. */
static int is_boot(uint16_t real)
{
	return !(real & 4) && (real >> 3) >= BM_GUEST_GDT_MAX;
}

/* Real selector for guest selector sel in register slot k.  Like the
 * CPU's descriptor cache, a register still holding the selector it had
 * under the boot descriptors keeps them until the guest loads it anew.
 * Inlined: six calls on every exit. */
static inline __attribute__((always_inline))
uint16_t to_real(const struct ab_regs *r, uint16_t sel, int k, int user)
{
	if (sel == shown[k] && is_boot(cur[k]))
		return cur[k] = boot_sel(k, user);
	return cur[k] = translate(r, sel, k, user);
}

static uint16_t translate(const struct ab_regs *r, uint16_t sel, int k,
			  int user)
{
	if (gcount && usable(sel)) {
		if (k == S_CS || k == S_SS)
			return (sel & ~3u) | (user ? 3 : 1);
		return sel;              /* data: the guest's own RPL */
	}
	if ((sel & ~3u) == 0 && k != S_CS && k != S_SS)
		return 0;
	if (gcount)
		forbidden(r, sel);
	shown[k] = sel;
	return boot_sel(k, user);
}

static uint16_t to_guest(uint16_t real, int k)
{
	cur[k] = real;
	if (is_boot(real))
		return shown[k];
	return k == S_CS || k == S_SS ? bm_sel_to_guest(real) : real;
}

void bm_frame_to_guest(struct ab_regs *r)
{
	bm_vm.cpl = (r->cs & 3) == 3 ? 3 : 0;
	r->cs = to_guest(r->cs, S_CS);
	r->ss = to_guest(r->ss, S_SS);
	r->ds = to_guest(r->ds, S_DS);
	r->es = to_guest(r->es, S_ES);
	r->fs = to_guest(r->fs, S_FS);
	r->gs = to_guest(r->gs, S_GS);
}

/* The guest TSS's linear address from its (hidden) descriptor. */
static void tss_locate(void)
{
	unsigned i = guest_tr >> 3;
	if (!tss_stale)
		return;
	tss_va = 0;
	if (guest_tr && i < gcount && gstatus[i] == BM_DESC_HIDDEN) {
		struct bm_seg s;
		bm_desc_decode(gcache[i], &s);
		tss_va = s.base;
	}
	tss_stale = 0;
}

/* The guest kernel's stack for ring 3 -> ring 1 transitions: the
 * ss0:esp0 of the guest's own TSS, read when returning to user mode. */
static void refresh_ring1_stack(struct ab_vm *vm, const struct ab_regs *r)
{
	uint32_t w[2];
	tss_locate();
	if (!tss_va || bm_guest_read(vm, tss_va + 4, w, 8))
		bm_vm_kill(r, "return to user mode without a readable guest "
			   "TSS (tr %x)", guest_tr);
	if (w[0] != tss_esp0 || w[1] != tss_ss0) {
		tss_esp0 = w[0];
		tss_ss0 = w[1];
		bm_tss_set_ring1(to_real(r, (uint16_t)w[1], S_SS, 0), w[0]);
	}
}

/* An exit in kernel mode that loaded CR3: if the guest already pointed
 * its TSS at another kernel stack (a context switch writes esp0, then
 * loads CR3), install it now, so that the coming return to user mode can
 * stay in the iret stub.  Silent when the TSS is not known or readable
 * yet.  (Called after the fast gate was re-derived, so a CR3 load leaves
 * nothing stale.) */
static void refresh_ring1_stack_early(struct ab_vm *vm,
				      const struct ab_regs *r)
{
	uint32_t w[2];
	(void)r;
	tss_locate();
	if (!tss_va || bm_guest_read(vm, tss_va + 4, w, 8) ||
	    (w[0] == tss_esp0 && w[1] == tss_ss0) || !usable((uint16_t)w[1]))
		return;
	tss_esp0 = w[0];
	tss_ss0 = w[1];
	bm_tss_set_ring1((uint16_t)((w[1] & ~3u) | 1), w[0]);
}

/* The guest's gate for vector vec as a Xen trap_info (flags: DPL in bits
 * 0-1, bit 2 = interrupt gate, i.e. "mask events on entry"), the form a
 * Xen backend would hand to HYPERVISOR_set_trap_table.  0, or -1 if the
 * gate is absent or not a 32-bit interrupt/trap gate. */
static int guest_trap_info(struct ab_vm *vm, unsigned vec,
			   struct trap_info *ti)
{
	uint32_t g[2];
	unsigned type;
	if (idt_limit < vec * 8 + 7 ||
	    bm_guest_read(vm, idt_base + vec * 8, g, 8) || !(g[1] & 0x8000))
		return -1;
	type = (g[1] >> 8) & 0x1f;
	if (type != 0xe && type != 0xf)
		return -1;
	ti->vector = (uint8_t)vec;
	ti->flags = (uint8_t)(((g[1] >> 13) & 3) | (type == 0xe ? 4 : 0));
	ti->cs = (uint16_t)(g[0] >> 16);
	ti->address = (g[0] & 0xffff) | (g[1] & 0xffff0000);
	return 0;
}

static uint32_t code_base(uint16_t sel)
{
	uint64_t g = raw_desc(sel);
	return (uint32_t)((g >> 16) & 0xffffff) | (uint32_t)(g >> 56) << 24;
}

/* Point real vector 0x80 straight at the guest's handler when its gate
 * is a DPL-3 trap gate (events stay unmasked, as in Xen's fast system
 * call) to a usable code segment below the wedge.  A DPL-3 interrupt
 * gate (Linux) to a zero-based code segment gets a trap gate to
 * bm_sys_entry (stubs.S) in the wedge instead, which masks the virtual IF
 * in ring 1 and jumps to the handler. */
static void refresh_fast_gate(struct ab_vm *vm)
{
	struct trap_info ti;
	idt_stale = 0;
	int ok = guest_trap_info(vm, BM_VEC_SYSCALL, &ti) == 0 &&
		(ti.flags & 3) == 3 && usable(ti.cs) &&
		ti.address < AB_WEDGE_BASE &&
		(ti.flags == 3 || (ti.flags == 7 && code_base(ti.cs) == 0));
	vm->fast_syscall = ok;
	if (ok) {
		uint32_t to = ti.address;
		if (ti.flags == 7) {
			vm->sh->stub[BM_SH_SYSCALL] = ti.address;
			to = BM_IRET_STUB + (uint32_t)(bm_sys_entry - bm_iret_stub);
		}
		bm_idt_set(BM_VEC_SYSCALL, to, bm_sel_to_real(ti.cs), 3, 1);
		bm_seg_fast_gate++;
	} else {
		bm_idt_set(BM_VEC_SYSCALL, bm_vector_addr(BM_VEC_SYSCALL),
			   BM_SEL_KCODE, 3, 0);
	}
}

/* The real GDT mirrors the guest's, and the guest cannot change its GDT
 * unseen (shadow.c traps the first write to a guarded frame). */
static int gdt_current(const struct ab_vm *vm)
{
	return gdt_clean && !vm->mmu.prot_written;
}

/* Tell the iret stub (stubs.S) what the real CPU has installed: the ring-1
 * stack, and whether the monitor must see the next return to user (the
 * mirror is not known current, the fast gate is stale, or a page-fault
 * retry is to be prefilled).  Slow path only: WP is clear. */
static void publish(struct ab_vm *vm)
{
	uint32_t *w = vm->sh->stub;
	w[BM_SH_TSS] = !tss_stale ? tss_va : 0;
	w[BM_SH_ESP1] = tss_esp0;
	w[BM_SH_SS1] = tss_ss0 & 0xffff;
	w[BM_SH_SLOW] = BM_PF_RETRY->valid || !gdt_current(vm) || idt_stale ||
		lcount;
}

void bm_frame_to_real(struct ab_vm *vm, struct ab_regs *r)
{
	int user = vm->cpl == 3;
	r->cs = to_real(r, r->cs, S_CS, user);
	r->ss = to_real(r, r->ss, S_SS, user);
	r->ds = to_real(r, r->ds, S_DS, user);
	r->es = to_real(r, r->es, S_ES, user);
	r->fs = to_real(r, r->fs, S_FS, user);
	r->gs = to_real(r, r->gs, S_GS, user);
	r->eflags = (r->eflags | FL_IF) & ~(FL_IOPL | FL_NT | FL_VM);
	if (user) {
		refresh_ring1_stack(vm, r);
		if (idt_stale)
			refresh_fast_gate(vm);
	} else {
		tss_locate();       /* from the mirror: lets the stub check */
		if (cr3_loaded) {   /* a context switch, likely */
			cr3_loaded = 0;
			if (idt_stale)
				refresh_fast_gate(vm);
			refresh_ring1_stack_early(vm, r);
		}
	}
	publish(vm);
}

/* The guest's own descriptor of sel is a code or data segment that the
 * mirror refused because it would reach into the monitor: natively the
 * load would succeed, here it cannot. */
static int breaches_monitor(uint16_t sel)
{
	unsigned i = sel >> 3;
	int ldt = (sel & 4) != 0;
	if (ldt ? i >= lcount || lstatus[i] != BM_DESC_REFUSED
		: !i || i >= gcount || gstatus[i] != BM_DESC_REFUSED)
		return 0;
	return (raw_desc(sel) >> 44 & 1) != 0;     /* S: code or data */
}

/* A segment-register load faulted on the real CPU (error code = the
 * selector).  Whatever native hardware would refuse too (beyond the GDT
 * or LDT limit, no LDT, not present, a system descriptor or gate) is the
 * guest's fault, delivered by the caller with the same error code, as
 * Linux's exception-table fixups for segment loads expect; only a
 * segment the monitor had to refuse stops the guest. */
void bm_seg_check_fault(struct ab_vm *vm, const struct ab_regs *r,
			unsigned vec)
{
	(void)vm; (void)vec;
	uint16_t sel = (uint16_t)(r->error_code & ~3u);
	if (r->error_code & 2)
		return;                        /* IDT entry, not a selector */
	if (sel && !usable(sel) && breaches_monitor(sel))
		forbidden(r, sel);
}

/* ---- the write-free #PF reflection ---------------------------------------
 * A page fault in user mode that the guest's own tables explain goes to
 * the guest's #PF handler as the CPU would deliver it, with CR0.WP still
 * set: the frame is written into guest RAM through the guest-RAM window,
 * CR2 and the virtual IF into the shared page (its wedge mapping), the
 * real frame on the trap stack; nothing else.  Any doubt returns -1: the
 * normal path (the afterburner's delivery) handles it. */

/* Write n bytes within one page at guest-virtual va as the guest kernel
 * would (its tables, A/D set); only guest RAM is written.  0 or -1. */
static int kernel_write(struct ab_vm *vm, uint32_t va, const void *buf,
			uint32_t n)
{
	uint32_t gpa, gerr;
	if ((va & 0xfff) + n > 4096 ||
	    bm_mmu_walk(&vm->mmu, va, 1, 0, 1, &gpa, &gerr) != BM_PF_FILLED)
		return -1;
	void *p = ab_backend_gpa(vm, gpa, n);
	if (!p)
		return -1;
	memcpy(p, buf, n);
	return 0;
}

/* The guest's #PF gate: a present 32-bit interrupt gate to a usable
 * kernel (DPL 0) code segment; its selector and offset, or -1. */
static int pf_gate(struct ab_vm *vm, uint16_t *cs, uint32_t *off)
{
	uint32_t g[2];
	if (idt_stale || idt_limit < 14 * 8 + 7 ||
	    bm_guest_read(vm, idt_base + 14 * 8, g, 8) || !(g[1] & 0x8000) ||
	    ((g[1] >> 8) & 0x1f) != 0xe)
		return -1;
	*cs = (uint16_t)(g[0] >> 16);
	*off = (g[0] & 0xffff) | (g[1] & 0xffff0000u);
	uint32_t hi = (uint32_t)(raw_desc(*cs) >> 32);
	return usable(*cs) && (hi & 0x1800) == 0x1800 &&
		((hi >> 13) & 3) == 0 ? 0 : -1;
}

int bm_seg_fast_user_fault(struct ab_vm *vm, struct ab_regs *r,
			   uint32_t gerr, uint32_t cr2)
{
	uint32_t w[2], off, f[6];
	uint16_t cs;
	if (!gdt_current(vm) || lcount || tss_stale || !tss_va ||
	    BM_WEDGE_SH->upcall_mask || pf_gate(vm, &cs, &off) ||
	    bm_guest_read(vm, tss_va + 4, w, 8) || w[0] != tss_esp0 ||
	    w[1] != tss_ss0 || !usable((uint16_t)tss_ss0))
		return -1;
	if (is_boot(r->cs) || is_boot(r->ss))
		return -1;
	/* error code, eip, cs, eflags (virtual IF set: user mode), esp, ss */
	f[0] = gerr; f[1] = r->eip; f[2] = r->cs;
	f[3] = (r->eflags | FL_IF) | 2; f[4] = r->esp; f[5] = r->ss;
	if (kernel_write(vm, tss_esp0 - sizeof f, f, sizeof f))
		return -1;
	BM_WEDGE_SH->cr[2] = cr2;
	BM_WEDGE_SH->upcall_mask = 1;      /* an interrupt gate */
	BM_WEDGE_SH->stub[BM_SH_SLOW] = 1; /* the return: prefill the retry */
	r->eip = off;
	r->cs = (uint16_t)((cs & ~3u) | 1);
	r->eflags = (r->eflags & ~(FL_TF | FL_NT | FL_RF | FL_VM)) | FL_IF;
	r->esp = tss_esp0 - sizeof f;
	r->ss = (uint16_t)((tss_ss0 & ~3u) | 1);
	return 0;
}

/* ---- the write-free return to user mode --------------------------------
 * Everything below only READS monitor memory: it runs before the trap
 * path clears CR0.WP (see trap.c), so the common "iret to user" exit
 * costs no TLB flush under TCG.  Any doubt returns -1: the normal path
 * (the afterburner's iret) handles it. */

/* Data segment register after a return to ring 3: null if its DPL is
 * below 3 (not conforming code), as iret does; -1 if unusable. */
static int outer_data(uint16_t sel)
{
	if (!(sel & ~3u))
		return sel;
	if (!usable(sel))
		return -1;
	uint32_t hi = (uint32_t)(raw_desc(sel) >> 32);
	int dpl = (hi >> 13) & 3, conforming = (hi & 0x1c00) == 0x1c00;
	return dpl < 3 && !conforming ? 0 : sel;
}

int bm_seg_fast_user_return(struct ab_vm *vm, struct ab_regs *r,
			    const uint32_t f[5], uint32_t gbase,
			    uint16_t glimit)
{
	uint32_t w[2];
	uint16_t cs = (uint16_t)f[1], ss = (uint16_t)f[4];
	int d[4] = { outer_data(r->ds), outer_data(r->es), outer_data(r->fs),
		     outer_data(r->gs) };
	if ((cs & 3) != 3 || (ss & 3) != 3 || !usable(cs) || !usable(ss) ||
	    d[0] < 0 || d[1] < 0 || d[2] < 0 || d[3] < 0 ||
	    idt_stale || tss_stale || !tss_va)
		return -1;
	for (int k = 0; k < S_N; k++)
		if (is_boot(cur[k]))
			return -1;
	if (!gdt_current(vm) || gbase != gdt_base || lcount ||
	    ((unsigned)glimit + 1) / 8 != gcount ||
	    bm_guest_read(vm, tss_va + 4, w, 8) ||
	    w[0] != tss_esp0 || w[1] != tss_ss0)
		return -1;
	r->eip = f[0];
	r->cs = cs;
	r->eflags = (f[2] & ~(FL_IF | FL_VM | FL_RF | FL_IOPL | FL_AC |
			      FL_NT)) | FL_IF | 2;
	r->esp = f[3];
	r->ss = ss;
	r->ds = (uint16_t)d[0]; r->es = (uint16_t)d[1];
	r->fs = (uint16_t)d[2]; r->gs = (uint16_t)d[3];
	return 0;
}

/* Same-level return to the guest kernel from the iret frame f (eip, cs,
 * eflags): fills the REAL frame r (esp already past the frame), 0; or
 * -1 when the mirror is not current. */
int bm_seg_fast_kernel_return(struct ab_vm *vm, struct ab_regs *r,
			      const uint32_t f[3], uint32_t gbase,
			      uint16_t glimit)
{
	uint16_t cs = (uint16_t)f[1];
	if ((cs & 3) != 0 || !usable(cs))
		return -1;
	for (int k = 0; k < S_N; k++)
		if (is_boot(cur[k]))
			return -1;
	if (!gdt_current(vm) || gbase != gdt_base || lcount ||
	    ((unsigned)glimit + 1) / 8 != gcount)
		return -1;
	r->eip = f[0];
	r->cs = cs | 1;
	r->eflags = (f[2] & ~(FL_IF | FL_VM | FL_RF | FL_IOPL | FL_AC |
			      FL_NT)) | FL_IF | 2;
	return 0;
}
