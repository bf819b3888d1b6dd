/*
 * vm.c - the guest on the bare-metal monitor: the wedge pages, the first
 * entry into ring 1, the dispatch of every guest trap (shadow page faults,
 * patched-site calls through int $0x82, software interrupts, faults) to
 * the runtime's entry points, and containment (bm_vm_kill).  Implements
 * the memory, time, console and stop members of backend.h.  Runs:
 * monitor ring 0.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <xen.h>                 /* struct vcpu_info (Xen public ABI) */
#include "bm.h"
#include "desc.h"
#include "ea.h"
#include "seg.h"
#include "vm.h"
#include "x86.h"

/* The shared page starts like Xen's vcpu_info, so that a Xen backend can
 * hand the same runtime its real vcpu_info. */
_Static_assert(offsetof(struct ab_shared, upcall_pending) ==
	       offsetof(struct vcpu_info, evtchn_upcall_pending),
	       "ab_shared.upcall_pending is vcpu_info's");
_Static_assert(offsetof(struct ab_shared, upcall_mask) ==
	       offsetof(struct vcpu_info, evtchn_upcall_mask),
	       "ab_shared.upcall_mask is vcpu_info's");

struct ab_vm bm_vm;
static uint8_t bm_wedge[4][4096] __attribute__((aligned(4096)));
static uint32_t bm_wedge_pt[1024] __attribute__((aligned(4096)));
extern uint32_t bm_boot_pgdir[1024];
extern uint8_t bm_trap_stack[];
extern const uint8_t bm_segread_stubs[], bm_segread_stubs_end[];
extern const uint8_t bm_iret_stub[], bm_iret_crit[], bm_iret_insn[],
	bm_iret_slow[], bm_iret_slow4[], bm_iret_stub_end[], bm_sys_entry[],
	bm_sys_jmp[];

/* Where code copied from stubs.S runs: its wedge address. */
static uint32_t stub_va(const uint8_t *sym)
{
	return BM_IRET_STUB + (uint32_t)(sym - bm_iret_stub);
}

/* Is eip (just after an int $0x82) one of the iret stub's two exits?
 * Read-only: the write-free path (bm_fast_iret) asks first. */
int bm_vm_iret_stub_exit(uint32_t eip)
{
	return eip == stub_va(bm_iret_slow) + 2 ||     /* int $0x82 */
	       eip == stub_va(bm_iret_slow4) + 5;      /* subl $4; int */
}

/* An interrupt hit the iret stub after it cleared the virtual-IF mask
 * for user mode: mask again and restart the stub at its monitor entry, so
 * the return to user is emulated first and the interrupt delivered after
 * it (as Xen fixes up its critical regions).  With the kernel's IF set
 * before the iret, taking it just after the iret is equally valid. */
static void iret_stub_fixup(struct ab_vm *vm, struct ab_regs *r)
{
	uint32_t to = 0;
	if (r->eip >= stub_va(bm_iret_crit) && r->eip < stub_va(bm_iret_insn))
		to = stub_va(bm_iret_slow);
	else if (r->eip == stub_va(bm_iret_insn))
		to = stub_va(bm_iret_slow4);
	if (to) {
		r->eip = to;
		vm->sh->upcall_mask = 1;
	}
	/* Before bm_sys_entry's mask store: finish it, as the guest's
	 * interrupt gate would have masked at once; the interrupt stays
	 * pending until the guest's handler enables interrupts. */
	if (r->eip == stub_va(bm_sys_entry)) {
		vm->sh->upcall_mask = 1;
		r->eip = stub_va(bm_sys_jmp);
	}
}

/* ---- memory ----------------------------------------------------------- */
static void *env_table(uint32_t pa) { return BM_P2V(pa); }

static void *env_gpa(uint32_t gpa, uint32_t len)
{
	return ab_backend_gpa(&bm_vm, gpa, len);
}

static const struct bm_mmu_env bm_env = {
	env_table, bm_page_alloc, bm_page_free, env_gpa,
};

/* The guest-RAM window (bm.h): which chunk each slot maps, when it was
 * last asked for, and each chunk's slot (0xff: none).  Slots are given
 * back least recently used first, so a pointer stays valid until seven
 * other chunks have been asked for; the monitor and the runtime hold at
 * most three at once (guest directory, table, data) and none across an
 * exit.  The loader holds its pointers longer (start info, module list,
 * segments): while it runs guest RAM is reached through the load map
 * instead (main.c), so images and modules of any size load.  A guest of
 * at most 32 MiB never remaps.  On the write-free
 * path (CR0.WP set: bm_fast_iret) only mapped chunks are returned. */
#define WIN_NONE 0xffu
static unsigned win_slots = BM_WIN_SLOTS;   /* bm.winslots=N: fewer */
static uint16_t win_chunk[BM_WIN_SLOTS];
static uint32_t win_used[BM_WIN_SLOTS], win_clock;
static uint32_t win_last = ~0u;       /* chunk of the latest request */
static uint32_t win_last_va;          /* where it is mapped */
static uint8_t chunk_slot[(BM_GUEST_MEM_MAX << 20) >> BM_CHUNK_SHIFT];
uint32_t bm_win_remaps;
static void win_map(unsigned s, unsigned c);

/* The monitor's own memory as guest address spaces map it: read-only
 * under the WP guard (trap.c: CR0.WP cleared only while the monitor
 * runs), writable where segment limits alone keep ring 1 out (CR0.WP
 * then stays set, so ring 1 still honours read-only shadow entries).
 * The guest-RAM window (PDE slot) is writable under both: it maps guest
 * RAM only, which the guest may write anyway, and the write-free paths
 * (bm_fast_user_fault) write guest frames through it with CR0.WP set. */
static uint32_t monitor_pde(uint32_t pde, unsigned slot)
{
	return bm_guard_wp && slot < BM_WIN_PDE ? pde & ~PTE_W : pde;
}

/* May the monitor write its memory now?  Not on the write-free path
 * (bm_fast_iret) under the WP guard, where CR0.WP is still set. */
static int monitor_writable(void)
{
	return !bm_guard_wp || !(read_cr0() & CR0_WP);
}

static void win_init(unsigned slots)
{
	win_slots = slots ? slots : BM_WIN_SLOTS;
	memset(chunk_slot, WIN_NONE, sizeof chunk_slot);
	for (unsigned s = 0; s < win_slots; s++) {
		win_chunk[s] = (uint16_t)s;
		chunk_slot[s] = (uint8_t)s;
		win_map(s, s);
	}
}

/* Slot s maps chunk c: in the boot directory (writable: the monitor runs
 * with CR0.WP clear) and the shadow root (as the direct map the guest
 * sees: monitor_pde). */
static void win_map(unsigned s, unsigned c)
{
	uint32_t pde = (BM_GUEST_PA + (c << BM_CHUNK_SHIFT)) | 0x83;
	bm_boot_pgdir[BM_WIN_PDE + s] = pde;
	bm_vm.mmu.high_pdes[BM_WIN_PDE + s - BM_MMU_GUEST_PDES] =
		monitor_pde(pde, BM_WIN_PDE + s);
	if (bm_vm.mmu.root)
		((uint32_t *)BM_P2V(bm_vm.mmu.root))[BM_WIN_PDE + s] =
			monitor_pde(pde, BM_WIN_PDE + s);
	invlpg(BM_WIN + (s << BM_CHUNK_SHIFT));
}

/* The first of n adjacent unpinned slots whose latest use is the
 * oldest, or WIN_NONE. */
static unsigned win_victim(unsigned n)
{
	unsigned best = WIN_NONE;
	uint32_t best_age = 0;
	for (unsigned s = 0; s + n <= win_slots; s++) {
		uint32_t newest = 0;
		for (unsigned j = 0; j < n; j++) {
			uint32_t age = win_clock - win_used[s + j];
			newest = j == 0 || age < newest ? age : newest;
		}
		if (best == WIN_NONE || newest > best_age) {
			best = s;
			best_age = newest;
		}
	}
	return best;
}

/* Slot of chunks [c, c + n) mapped adjacently, remapping if needed. */
static unsigned win_slot(unsigned c, unsigned n)
{
	unsigned s = chunk_slot[c];
	int hit = s != WIN_NONE && s + n <= win_slots;
	for (unsigned j = 1; hit && j < n; j++)
		hit = win_chunk[s + j] == c + j;
	if (!monitor_writable())        /* bm_fast_iret: write nothing */
		return hit ? s : WIN_NONE;
	if (!hit) {
		s = win_victim(n);
		for (unsigned j = 0; j < n; j++) {
			if (win_chunk[s + j] != WIN_NONE)
				chunk_slot[win_chunk[s + j]] = WIN_NONE;
			if (chunk_slot[c + j] != WIN_NONE)
				win_chunk[chunk_slot[c + j]] = WIN_NONE;
			win_chunk[s + j] = (uint16_t)(c + j);
			chunk_slot[c + j] = (uint8_t)(s + j);
			win_map(s + j, c + j);
			bm_win_remaps++;
		}
	}
	for (unsigned j = 0; j < n; j++)
		win_used[s + j] = win_clock;
	win_clock++;
	win_last = n == 1 ? c : ~0u;
	win_last_va = BM_WIN + (s << BM_CHUNK_SHIFT);
	return s;
}

void *ab_backend_gpa(struct ab_vm *vm, uint32_t gpa, uint32_t len)
{
	if (gpa >= vm->ram_size || len > vm->ram_size - gpa)
		return NULL;
	if (bm_load_map)                /* loading: all RAM mapped 1:1 */
		return (void *)(uintptr_t)(BM_GUEST_PA + gpa);
	unsigned c = gpa >> BM_CHUNK_SHIFT;
	unsigned n = ((gpa + (len ? len - 1 : 0)) >> BM_CHUNK_SHIFT) - c + 1;
	uint32_t off = gpa & ((1u << BM_CHUNK_SHIFT) - 1);
	if (c == win_last && n == 1)    /* already the most recent: no writes */
		return (void *)(uintptr_t)(win_last_va + off);
	unsigned h = chunk_slot[c];
	if (n == 1 && h != WIN_NONE) {     /* mapped: stamp */
		if (monitor_writable()) {
			win_used[h] = win_clock++;
			win_last = c;
			win_last_va = BM_WIN + (h << BM_CHUNK_SHIFT);
		}
		return (void *)(uintptr_t)(BM_WIN + (h << BM_CHUNK_SHIFT) + off);
	}
	if (n > win_slots)
		bm_panic("guest-RAM access [0x%x, +0x%x) larger than the "
			 "monitor's %u MiB window", gpa, len,
			 win_slots << (BM_CHUNK_SHIFT - 20));
	unsigned s = win_slot(c, n);
	if (s == WIN_NONE)
		return NULL;
	return (void *)(uintptr_t)(BM_WIN + (s << BM_CHUNK_SHIFT) + off);
}

/* Load-time allocations come from whole pool pages, never freed. */
void *ab_backend_alloc(struct ab_vm *vm, size_t size)
{
	size = (size + 15) & ~(size_t)15;
	if (size > vm->alloc_end - vm->alloc_next) {
		uint32_t pages = (uint32_t)((size + 4095) / 4096), first = 0;
		for (uint32_t i = 0; i < pages; i++) {
			uint32_t pa = bm_page_alloc();
			if (!pa || (first && pa != first + i * 4096))
				return NULL;       /* pool not contiguous */
			first = first ? first : pa;
		}
		vm->alloc_next = first;
		vm->alloc_end = first + pages * 4096;
	}
	void *p = BM_P2V(vm->alloc_next);
	vm->alloc_next += (uint32_t)size;
	return p;
}

static void mmu_modes(struct ab_vm *vm)
{
	vm->mmu.wp = !!(vm->sh->cr[0] & CR0_WP);
	vm->mmu.pse = !!(vm->sh->cr[4] & 0x10);
	vm->mmu.pge = !!(vm->sh->cr[4] & 0x80);
}

void ab_backend_load_cr3(struct ab_vm *vm, uint32_t cr3, int paging)
{
	mmu_modes(vm);
	bm_mmu_load_cr3(&vm->mmu, cr3, paging);
	bm_seg_invalidate(vm);
	bm_seg_cr3_loaded(vm);
	write_cr3(vm->mmu.root);
}

/* The guest flushes the page whose user fault it is handling (a COW
 * fault: new frame, PTE rewritten, invlpg): shadow the new mapping now
 * with the faulting access, so the return to user needs no exit (the
 * retry follows; as with the prefill at the return itself, D may be set
 * a moment before the write). */
static void invlpg_prefill(struct ab_vm *vm, uint32_t va)
{
	uint32_t gerr;
	if (!BM_PF_RETRY->valid || ((va ^ BM_PF_RETRY->va) & ~0xfffu) ||
	    vm->mmu.gcr3 != BM_PF_RETRY->gcr3)
		return;
	if (bm_mmu_fault(&vm->mmu, BM_PF_RETRY->va, BM_PF_RETRY->err,
			 &gerr) == BM_PF_FILLED) {
		BM_PF_RETRY->valid = 0;
		vm->pf_prefills++;
	}
}

void ab_backend_invlpg(struct ab_vm *vm, uint32_t va)
{
	bm_mmu_invlpg(&vm->mmu, va);
	invlpg(va);
	invlpg_prefill(vm, va);
}

void ab_backend_flush(struct ab_vm *vm)
{
	mmu_modes(vm);
	bm_mmu_flush(&vm->mmu);
	write_cr3(vm->mmu.root);
}

int bm_guest_read(struct ab_vm *vm, uint32_t va, void *buf, uint32_t n)
{
	uint8_t *out = buf;
	while (n) {
		uint32_t gpa, err, chunk = 4096 - (va & 0xfff);
		chunk = chunk < n ? chunk : n;
		if (bm_mmu_walk(&vm->mmu, va, 0, 0, 0, &gpa, &err))
			return -1;
		const void *p = ab_backend_gpa(vm, gpa, chunk);
		if (!p)
			return -1;
		memcpy(out, p, chunk);
		out += chunk; va += chunk; n -= chunk;
	}
	return 0;
}

/* ---- time, console, stop ---------------------------------------------- */
uint64_t ab_backend_now_ns(struct ab_vm *vm)
{
	(void)vm;
	return bm_now_ns();
}

uint32_t ab_backend_tsc_khz(struct ab_vm *vm)
{
	(void)vm;
	return bm_tsc_khz();    /* measured against the PIT at boot (cpu.c) */
}

/* Program the real PIT for the guest's deadline, or for the longest
 * one-shot period (~55 ms, console polling) when there is none. */
static void timer_arm(struct ab_vm *vm)
{
	uint64_t now = bm_now_ns();
	if (!vm->deadline_ns)
		bm_timer_oneshot(~0ull);
	else
		bm_timer_oneshot(vm->deadline_ns > now ?
				 vm->deadline_ns - now : 0);
}

void ab_backend_set_timer(struct ab_vm *vm, uint64_t deadline_ns)
{
	vm->deadline_ns = deadline_ns;
	timer_arm(vm);
}

/* hlt with virtual IF set: sleep until the next real interrupt. */
void ab_backend_idle(struct ab_vm *vm)
{
	timer_arm(vm);
	sti_hlt_cli();
}

void ab_backend_console_write(struct ab_vm *vm, const char *s, size_t n)
{
	(void)vm;
	bm_write(s, n);
}

int ab_backend_console_read(struct ab_vm *vm)
{
	(void)vm;
	return bm_getc();
}

void ab_backend_shutdown(struct ab_vm *vm, int status, const char *why)
{
	if (why)
		bm_printf("monitor: guest stopped: %s (real ring %u)\n", why,
			  vm->cpl ? 3u : 1u);
	if (bm_boot.stats)
		bm_guest_stats(vm);
	/* A reason means the runtime stopped the guest: 0x71 if it still
	 * reported success, else 0x72 like a monitor kill (previrt-run then
	 * exits 3, as for hosted), never the guest's own status. */
	bm_exit(!why ? status : status ? 0x72 : 0x71);
}

void bm_vm_kill(const struct ab_regs *r, const char *fmt, ...)
{
	va_list ap;
	char buf[160];
	va_start(ap, fmt);
	bm_vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	bm_printf("monitor: guest killed: %s (guest EIP 0x%08x, ring %u: guest "
		  "%s)\n", buf, r->eip, bm_vm.cpl ? 3u : 1u,
		  bm_vm.cpl ? "user" : "kernel");
	if (bm_boot.stats)
		bm_guest_stats(&bm_vm);
	bm_exit(0x72);
}

/* A guest selector failed while returning to the guest (trap.S). */
void bm_vm_bad_return(struct ab_regs *r)
{
	struct ab_regs *g = (struct ab_regs *)(uintptr_t)
		(bm_trap_stack_top() - sizeof(struct ab_regs));
	const char *what = r->eip >= (uint32_t)(uintptr_t)bm_iret ?
		"cs/ss" : "data segment";
	bm_vm_kill(g, "forbidden selector %x on entry (%s loading %s: cs %x "
		   "ss %x ds %x es %x fs %x gs %x)", r->error_code,
		   bm_exc_name(r->entry_vector), what, g->cs, g->ss, g->ds,
		   g->es, g->fs, g->gs);
}

/* ---- wedge and first entry -------------------------------------------- */
static void wedge_init(struct ab_vm *vm, uint32_t *high)
{
	vm->sh = (struct ab_shared *)bm_wedge[0];
	vm->stubs = bm_wedge[1];
	bm_wedge_pt[0] = BM_V2P(bm_wedge[0]) | PTE_P | PTE_W;
	for (unsigned i = 1; i < 4; i++)
		bm_wedge_pt[i] = BM_V2P(bm_wedge[i]) | PTE_P;
	for (unsigned i = 0; i < BM_TRAP_STACK_PAGES; i++)
		bm_wedge_pt[((BM_TRAP_STACK_VA >> 12) & 1023) + i] =
			(BM_V2P(bm_trap_stack) + i * 4096) | PTE_P | PTE_W;
	/* The direct map as the guest's spaces see it (monitor_pde). */
	for (unsigned i = 0; i < 1024 - BM_WEDGE_PDE; i++)
		high[i] = monitor_pde(bm_boot_pgdir[BM_WEDGE_PDE + i],
				      BM_WEDGE_PDE + i);
	high[0] = BM_V2P(bm_wedge_pt) | PTE_P | PTE_W;
	bm_boot_pgdir[BM_WEDGE_PDE] = high[0];
	write_cr3(read_cr3());
	/* Every stub slot traps to the monitor: int $0x82 at even offsets;
	 * the iret stub (stubs.S) at BM_IRET_STUB. */
	for (unsigned i = 0; i < AB_WEDGE_STUBS_SIZE; i += 2) {
		vm->stubs[i] = 0xcd;
		vm->stubs[i + 1] = BM_VEC_RUNTIME;
	}
	memcpy(vm->stubs + (BM_IRET_STUB - AB_WEDGE_STUBS), bm_iret_stub,
	       (size_t)(bm_iret_stub_end - bm_iret_stub));
	memcpy(vm->stubs + (BM_SEGREAD_STUB - AB_WEDGE_STUBS), bm_segread_stubs,
	       (size_t)(bm_segread_stubs_end - bm_segread_stubs));
	vm->mmu.stub_hpa = BM_V2P(vm->stubs);
}

/* The afterburner's cpuid offers FXSR and SSE: the guest's fxsave and SSE
 * instructions run natively, so the real CR4 must allow them (the monitor
 * itself uses no FPU/SSE state).  x87 native too: EM and TS clear. */
static void fpu_init(void)
{
	uint32_t id[4];
	cpuid(1, id);
	write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP);
	if (id[3] & (1u << 24))                       /* FXSR */
		write_cr4(read_cr4() | CR4_OSFXSR |
			  (id[3] & (1u << 25) ? CR4_OSXMMEXCPT : 0));
}

void bm_vm_start(struct bm_boot *b)
{
	struct ab_vm *vm = &bm_vm;
	uint32_t high[1024 - BM_WEDGE_PDE];
	write_cr0(read_cr0() & ~CR0_WP);
	fpu_init();
	vm->ram_size = b->mem_mib << 20;
	win_init(b->win_slots);
	wedge_init(vm, high);
	if (bm_mmu_init(&vm->mmu, &bm_env, BM_GUEST_PA, vm->ram_size, high))
		bm_panic("no page for the shadow page directory");
	vm->mmu.stub_hpa = BM_V2P(vm->stubs);
	struct ab_regs *r = (struct ab_regs *)(uintptr_t)
		(bm_trap_stack_top() - sizeof(struct ab_regs));
	memset(r, 0, sizeof *r);
	bm_guest_load(vm, b, r);
	bm_load_map_drop();                /* the loader's pointers are dead */
	bm_seg_init(vm, r);
	timer_arm(vm);
	ab_backend_load_cr3(vm, 0, 0);
	bm_frame_to_real(vm, r);
	bm_enter(r);
}

/* ---- traps from the guest ---------------------------------------------- */
static void runtime_call(struct ab_vm *vm, struct ab_regs *r);

/* Head code running identity-mapped at its physical address with guest
 * paging on (Linux's, before its jump to the link address) calls the
 * stub alias, which the guest's tables do not map: the fetch fault at an
 * int $0x82 entry of the alias is that call. */
static int phys_stub_call(struct ab_vm *vm, struct ab_regs *r, uint32_t cr2)
{
	uint32_t off = cr2 - vm->mmu.stub_alias;
	if (vm->cpl != 0 || cr2 != r->eip || !vm->mmu.paging ||
	    !vm->mmu.stub_alias || off >= AB_WEDGE_STUBS_SIZE - 1 ||
	    vm->stubs[off] != 0xcd || vm->stubs[off + 1] != BM_VEC_RUNTIME)
		return 0;
	r->eip = cr2 + 2;
	runtime_call(vm, r);
	return 1;
}

/* A user fault at cr2 (hardware error code err) from the instruction at
 * eip goes to the guest: its return there may prefill the new mapping. */
static void note_retry(struct ab_vm *vm, uint32_t cr2, uint32_t err,
		       uint32_t eip)
{
	*BM_PF_RETRY = (struct bm_pf_retry){ cr2, err & 6, eip, vm->mmu.gcr3,
					     1 };
}

static void guest_page_fault(struct ab_vm *vm, struct ab_regs *r)
{
	uint32_t cr2 = read_cr2(), gerr = 0;
	int rc = bm_mmu_fault(&vm->mmu, cr2, r->error_code, &gerr);
	switch (rc) {
	case BM_PF_FILLED:
		vm->pf_fills++;
		return;
	case BM_PF_GUEST:
		if (phys_stub_call(vm, r, cr2))
			return;
		vm->pf_reflected++;
		if (vm->cpl == 3)
			note_retry(vm, cr2, r->error_code, r->eip);
		ab_guest_fault(vm->vcpu, r, 14, gerr, cr2);
		return;
	case BM_PF_MONITOR:
		bm_vm_kill(r, "guest %s the monitor's region at 0x%08x",
			   (r->error_code & 2) ? "wrote into" : "touched", cr2);
	case BM_PF_BADFRAME:
		bm_vm_kill(r, "guest page tables map 0x%08x outside guest RAM",
			   cr2);
	default:
		bm_vm_kill(r, "monitor page pool exhausted at 0x%08x", cr2);
	}
}

/* A user #PF that the guest's own tables explain (not a shadow miss):
 * hand it to the guest kernel without writing monitor memory (seg.c
 * builds the frame), and note the retry for the prefill at its return. */
int bm_fast_user_fault(struct ab_vm *vm, struct ab_regs *r)
{
	uint32_t cr2 = read_cr2(), err = r->error_code, eip = r->eip, gpa, gerr;
	if ((r->cs & 3) != 3 || (cr2 >> 22) >= BM_MMU_GUEST_PDES ||
	    !vm->mmu.paging || bm_mmu_walk(&vm->mmu, cr2, !!(err & 2), 1, 0,
					  &gpa, &gerr) != BM_PF_GUEST ||
	    bm_seg_fast_user_fault(vm, r, gerr, cr2))
		return -1;
	note_retry(vm, cr2, err, eip);
	BM_WEDGE_SH->stub[BM_SH_FASTPF]++;
	return 0;
}

/* int $0x82 from a stub: the return address on the guest stack is the
 * end of the patched site. */
static void runtime_call(struct ab_vm *vm, struct ab_regs *r)
{
	uint32_t at = r->eip - 2, ret;
	int in_stubs = at - AB_WEDGE_STUBS < AB_WEDGE_STUBS_SIZE ||
		(vm->mmu.stub_alias &&
		 at - vm->mmu.stub_alias < AB_WEDGE_STUBS_SIZE);
	if (!in_stubs)
		bm_vm_kill(r, "int $0x82 outside the runtime stubs");
	if (bm_guest_read(vm, r->esp, &ret, 4))
		bm_vm_kill(r, "guest stack 0x%08x unreadable on runtime call",
			   r->esp);
	r->eip = ret;
	r->esp += 4;
	ab_site_call(vm->vcpu, r);
}

/* Privileged instructions that no sensitive class covers (so nothing
 * marks or emulates them): natively they would run at CPL 0; here the
 * guest kernel is stopped rather than shown a #GP it never expects. */
static void unemulatable(struct ab_vm *vm, struct ab_regs *r)
{
	static const struct { uint8_t b[3], n; const char *name; } ops[] = {
		{ { 0x0f, 0x33 }, 2, "rdpmc" },
		{ { 0x0f, 0x01, 0xd1 }, 3, "xsetbv" },
		{ { 0x0f, 0x01, 0xc8 }, 3, "monitor" },
		{ { 0x0f, 0x01, 0xc9 }, 3, "mwait" },
		{ { 0x0f, 0xaa }, 2, "rsm" },
	};
	uint8_t b[3] = { 0, 0, 0 };
	bm_guest_read(vm, r->eip, b, 3);
	for (unsigned i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (!memcmp(b, ops[i].b, ops[i].n))
			bm_vm_kill(r, "unmarked privileged instruction %s "
				   "cannot be emulated", ops[i].name);
}

/* #GP: software interrupt through a DPL-0 gate, a write beyond the
 * guest's segment limit (the monitor's region), a forbidden selector, or
 * an instruction the runtime emulates. */
static void guest_gp(struct ab_vm *vm, struct ab_regs *r)
{
	uint32_t err = r->error_code;
	if (err & 2) {                     /* IDT vector: int n */
		uint8_t op = 0;
		bm_guest_read(vm, r->eip, &op, 1);
		r->eip += op == 0xcd ? 2 : 1;
		ab_guest_int(vm->vcpu, r, err >> 3);
		return;
	}
	if (err)
		bm_seg_check_fault(vm, r, 13);
	struct bm_ea ea;
	uint8_t b[16];
	if (!err && bm_guest_read(vm, r->eip, b, sizeof b) == 0 &&
	    bm_ea_bytes(b, r, &ea) == 0 &&
	    ea.addr + ea.size - 1 >= AB_WEDGE_GUEST_END)
		bm_vm_kill(r, "guest %s the monitor's region at 0x%08x",
			   ea.write ? "wrote into" : "read from", ea.addr);
	if (!err && !vm->cpl)
		unemulatable(vm, r);
	ab_guest_fault(vm->vcpu, r, 13, err, 0);
}

/* Returning to the user instruction whose page fault the guest just
 * handled: shadow the page now if the guest mapped it, instead of taking
 * the same fault again (the retry is certain: same address space, same
 * instruction). */
static void pf_prefill(struct ab_vm *vm, const struct ab_regs *r)
{
	uint32_t gerr;
	BM_PF_RETRY->valid = 0;
	if (r->eip != BM_PF_RETRY->eip || vm->mmu.gcr3 != BM_PF_RETRY->gcr3)
		return;
	if (bm_mmu_fault(&vm->mmu, BM_PF_RETRY->va, BM_PF_RETRY->err,
			 &gerr) == BM_PF_FILLED)
		vm->pf_prefills++;
}

void bm_vm_trap(struct ab_regs *r, unsigned vec)
{
	struct ab_vm *vm = &bm_vm;
	vm->exits[vec]++;
	bm_frame_to_guest(r);
	bm_guest_sync(vm);
	switch (vec) {
	case 14: guest_page_fault(vm, r); break;
	case 13: guest_gp(vm, r); break;
	case 8: bm_vm_kill(r, "double fault in the guest");
	case 10: case 11: case 12:
		bm_seg_check_fault(vm, r, vec);
		ab_guest_fault(vm->vcpu, r, vec, r->error_code, 0);
		break;
	case BM_VEC_RUNTIME: runtime_call(vm, r); break;
	case BM_VEC_SYSCALL: ab_guest_int(vm->vcpu, r, vec); break;
	default:
		if (vec >= 32)
			bm_vm_kill(r, "unexpected vector %u", vec);
		ab_guest_fault(vm->vcpu, r, vec, r->error_code, 0);
	}
	if (BM_PF_RETRY->valid && vm->cpl == 3)
		pf_prefill(vm, r);
	bm_frame_to_real(vm, r);
}

/* bm.trace: one heartbeat line per second of where the guest is. */
static void trace(struct ab_vm *vm, const struct ab_regs *r)
{
	static uint64_t last;
	uint64_t now = bm_now_ns();
	if (now - last < 1000000000ull)
		return;
	last = now;
	bm_printf("monitor: trace eip %x cs %x esp %x vif %u pending %u "
		  "deadline %u ms now %u ms exits gp %u pf %u rt %u\n",
		  r->eip, r->cs, r->esp, !vm->sh->upcall_mask,
		  vm->sh->upcall_pending, (uint32_t)(vm->deadline_ns / 1000000),
		  (uint32_t)(now / 1000000), (uint32_t)vm->exits[13],
		  (uint32_t)vm->exits[14], (uint32_t)vm->exits[BM_VEC_RUNTIME]);
}

/* The real PIT interrupted the guest: fire the guest's timer if due. */
void bm_vm_timer(struct ab_regs *r)
{
	struct ab_vm *vm = &bm_vm;
	vm->exits[BM_VEC_IRQ0]++;
	if (bm_boot.trace)
		trace(vm, r);
	if (!vm->deadline_ns || bm_now_ns() < vm->deadline_ns) {
		timer_arm(vm);                 /* early or housekeeping tick */
		return;
	}
	vm->deadline_ns = 0;
	bm_frame_to_guest(r);
	bm_guest_sync(vm);
	iret_stub_fixup(vm, r);
	ab_timer_expired(vm->vcpu, r);
	if (!vm->deadline_ns)
		timer_arm(vm);
	bm_frame_to_real(vm, r);
}
