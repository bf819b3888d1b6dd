/*
 * ab-glue.c - the monitor's use of the afterburner runtime: its site
 * policy (which sites stay native, which call the iret stub), load, patch
 * and start the guest from the multiboot modules, keep the runtime's
 * virtual CPL in step with the real ring (the fast system-call gate
 * enters ring 1 without the monitor), follow lgdt/lidt/ltr and segment
 * changes (ab_backend_set_mode), print statistics.  Runs: monitor ring 0.
 */
#include "previrt/afterburner.h"
#include "bm.h"
#include "seg.h"
#include "vm.h"

/* The write-free paths count in the shared page's spare words (guest-
 * writable, statistics only): they may not write monitor memory. */
#define FAST_IRETS (BM_WEDGE_SH->stub[BM_SH_FASTC])

static struct ab_vcpu bm_vcpu;
static struct ab_dtr boot_gdtr;       /* GDTR before the guest's lgdt */
static int gdt_loaded;

/* "path args" of a module string: the args, or NULL. */
static const char *module_args(const char *s)
{
	while (*s && *s != ' ')
		s++;
	while (*s == ' ')
		s++;
	return *s ? s : NULL;
}

static unsigned guest_modules(struct bm_boot *b, struct ab_module *m)
{
	unsigned n = 0;
	for (unsigned i = 1; i < b->nmods; i++, n++) {
		m[n].data = (const void *)(uintptr_t)b->mods[i].pa;
		m[n].size = b->mods[i].len;
		m[n].cmdline = module_args(b->mods[i].name);
	}
	return n;
}

/* Segment-register loads and reads of DS/ES/FS/GS need no monitor in
 * ring 1: the guest's selectors are kept as they are in those registers
 * (its RPL-0 selectors are valid for the DPL-1 demoted descriptors), so
 * loads and reads are exact natively.  CS/SS reads show RPL 1 and SS
 * loads fault: those stay patched.  verr and verw too: with DPL 0 made 1
 * and CPL 0 made 1, max(CPL, RPL) <= DPL holds exactly when it did, and
 * the type, presence and limit checks see the mirrored descriptors (only
 * a descriptor the monitor refuses to mirror answers "no" where the
 * hardware would say "yes"; the guest could not use it anyway).  Linux
 * runs verw on every return to user mode (its MDS buffer clearing); lar
 * and lsl would show the demoted DPL and stay patched. */
static int native_seg_ok(const struct pv_insn *in)
{
	if (in->cls == PV_CLASS_SEG_QUERY)
		return in->two_byte && in->op == 0x00 &&
		       (in->reg == 4 || in->reg == 5);
	int data_sreg = in->has_modrm && (in->reg == 0 || in->reg >= 3) &&
		in->reg <= 5;
	if (in->cls == PV_CLASS_SEG_LOAD)
		return (!in->two_byte && in->op == 0x8e && data_sreg) ||
			(!in->two_byte && (in->op == 0x07 || in->op == 0x1f)) ||
			(in->two_byte && (in->op == 0xa1 || in->op == 0xa9));
	if (in->cls == PV_CLASS_SEG_READ)
		return (!in->two_byte && in->op == 0x8c && data_sreg) ||
			(!in->two_byte && (in->op == 0x06 || in->op == 0x1e)) ||
			(in->two_byte && (in->op == 0xa0 || in->op == 0xa8));
	return 0;
}

/* mov %cs / %ss to a 32-bit register other than %esp, no prefixes: its
 * segment-read stub (stubs.S), no exit. */
static int seg_read_stub(const struct pv_insn *in, uint32_t *target)
{
	if (in->cls != PV_CLASS_SEG_READ || in->npfx || in->two_byte ||
	    in->op != 0x8c || in->mod != 3 || in->rm == 4 ||
	    (in->reg != 1 && in->reg != 2))
		return 0;
	*target = BM_SEGREAD_STUB + 32u * (8u * (in->reg - 1u) + in->rm);
	return 1;
}

static unsigned policy_native, policy_iret_stub, policy_segread;

/* The monitor's patch policy: data-segment loads/reads native; a plain
 * 32-bit iret calls the iret stub (stubs.S: native return to user mode
 * from ring 1); the afterburner's inline forms where it has one;
 * everything else calls the generic stub (int $0x82). */
enum ab_site_policy ab_backend_site_policy(struct ab_vm *vm,
					   const struct pv_insn *in,
					   uint32_t *target)
{
	(void)vm;
	if (native_seg_ok(in)) {
		policy_native++;
		return AB_SITE_NATIVE;
	}
	if (seg_read_stub(in, target)) {
		policy_segread++;
		return AB_SITE_CALL;
	}
	if (in->cls == PV_CLASS_IRET && !in->npfx && !in->two_byte &&
	    in->op == 0xcf) {
		policy_iret_stub++;
		*target = BM_IRET_STUB;
		return AB_SITE_CALL;
	}
	return ab_patch_can_inline(in) ? AB_SITE_INLINE : AB_SITE_CALL;
}

void bm_guest_load(struct ab_vm *vm, struct bm_boot *b, struct ab_regs *r)
{
	struct ab_vcpu *v = &bm_vcpu;
	struct ab_module mods[BM_MAX_MODS];
	vm->vcpu = v;
	ab_vcpu_init(v, vm, vm->sh);
	if (ab_load_elf(v, (const void *)(uintptr_t)b->mods[0].pa,
			b->mods[0].len) < 0)
		bm_panic("cannot load the guest: %s", v->err);
	if (ab_patch_all(v) < 0)
		bm_panic("cannot patch the guest: %s", v->err);
	if (ab_load_start(v, vm->ram_size, b->guest_cmdline, mods,
			  guest_modules(b, mods), r) < 0)
		bm_panic("cannot start the guest: %s", v->err);
	if (v->img.phys_offset)
		vm->mmu.stub_alias = AB_WEDGE_STUBS - v->img.phys_offset;
	boot_gdtr = v->gdtr;
	bm_printf("monitor: guest entry 0x%08x, %u sites patched (%u segment "
		  "sites left native, %u irets to the iret stub, %u cs/ss "
		  "reads to their stubs), %u MiB RAM, command line \"%s\"\n",
		  v->img.entry, v->img.nsites - policy_native, policy_native,
		  policy_iret_stub, policy_segread, vm->ram_size >> 20,
		  b->guest_cmdline);
}

/* The real ring says where the guest is (a fast int $0x80 reaches ring 1
 * without the monitor): tell the runtime before it decides anything. */
void bm_guest_sync(struct ab_vm *vm)
{
	vm->vcpu->cpl = vm->cpl;
}

void ab_backend_set_mode(struct ab_vm *vm, const struct ab_regs *r, int cpl)
{
	struct ab_vcpu *v = vm->vcpu;
	vm->cpl = cpl;
	if (!gdt_loaded && (v->gdtr.base != boot_gdtr.base ||
			    v->gdtr.limit != boot_gdtr.limit))
		gdt_loaded = 1;
	if (gdt_loaded)
		bm_seg_sync(vm, v->gdtr.base, v->gdtr.limit, r);
	if (v->ldtr || bm_seg_has_ldt())
		bm_seg_set_ldt(vm, v->ldtr, r);
	bm_seg_set_tr(vm, v->tr);
	bm_seg_set_idt(vm, v->idtr.base, v->idtr.limit);
}

static void stats_line(void *ctx, const char *line)
{
	(void)ctx;
	bm_printf("%s", line);
}

void bm_guest_stats(struct ab_vm *vm)
{
	ab_stats_print(vm->vcpu, stats_line, 0);
	bm_printf("stat monitor native-irets %u fast-irets %u "
		  "fast-pf-reflects %u\n", vm->sh->stub[BM_SH_NATIVE],
		  FAST_IRETS, BM_WEDGE_SH->stub[BM_SH_FASTPF]);
	bm_printf("stat monitor pf-fills %u pf-reflected %u pf-prefills %u "
		  "shadow-entries %u cr3-prefills %u gdt-syncs %u fast-gate %u "
		  "pages-free %u\n",
		  (uint32_t)vm->pf_fills, (uint32_t)vm->pf_reflected,
		  (uint32_t)vm->pf_prefills, vm->mmu.fills, vm->mmu.prefills,
		  bm_seg_syncs,
		  bm_seg_fast_gate, bm_pages_free());
	bm_printf("stat monitor ram-window-remaps %u cr3-kept-tables %u\n",
		  bm_win_remaps, vm->mmu.kept);
	bm_printf("stat monitor space-entries-resynced %u space-entries-reused "
		  "%u space-entries-stale %u spaces-evicted %u\n",
		  vm->mmu.resynced, vm->mmu.reused, vm->mmu.stale,
		  vm->mmu.evicted);
	static const unsigned vecs[] = { 13, 14, BM_VEC_IRQ0, BM_VEC_SYSCALL,
					 BM_VEC_RUNTIME };
	for (unsigned i = 0; i < sizeof vecs / sizeof vecs[0]; i++) {
		uint64_t n = vm->exits[vecs[i]];
		bm_printf("stat monitor exits vector 0x%x %u\n", vecs[i],
			  (uint32_t)n);
		bm_printf("stat monitor cycles-per-exit-0x%x %u\n", vecs[i],
			  n ? (uint32_t)(vm->cycles[vecs[i]] / n) : 0);
	}
}


/* int $0x82 from a patched iret returning to user mode (interrupts
 * enabled, nothing pending) or to the guest kernel (nothing deliverable
 * after it): done here, before the trap path makes the monitor writable
 * (trap.c).  Reads only; 0 if handled, else -1. */
int bm_fast_iret(struct ab_vm *vm, struct ab_regs *r)
{
	struct ab_vcpu *v = vm->vcpu;
	uint32_t fr[6];
	if ((r->cs & 3) != 1 || !bm_vm_iret_stub_exit(r->eip) ||
	    BM_PF_RETRY->valid || bm_guest_read(vm, r->esp, fr, 16))
		return -1;
	const struct ab_site *s = ab_site_peek(v, fr[0]);
	int to_user = (fr[2] & 3) == 3, vif = !!(fr[3] & 0x200);
	if (!s || s->cls != PV_CLASS_IRET || s->inline_fast ||
	    s->insn_len != 1 || s->orig[0] != 0xcf || fr[0] != s->addr + 5 ||
	    (fr[3] & 0x20000) || (vif && BM_WEDGE_SH->upcall_pending))
		return -1;
	if (to_user) {
		if (!vif || bm_guest_read(vm, r->esp + 16, fr + 4, 8) ||
		    bm_seg_fast_user_return(vm, r, fr + 1, v->gdtr.base,
					    v->gdtr.limit))
			return -1;
	} else {
		if (bm_seg_fast_kernel_return(vm, r, fr + 1, v->gdtr.base,
					      v->gdtr.limit))
			return -1;
		r->esp += 16;
	}
	BM_WEDGE_SH->upcall_mask = !vif;
	FAST_IRETS++;
	return 0;
}
