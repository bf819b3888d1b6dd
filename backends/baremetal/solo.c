/*
 * solo.c - the monitor's own minimal guest runtime, used when the monitor
 * is built WITHOUT the afterburner (meson option or afterburner not yet
 * available): loads a raw PVH ELF (no patching) and trap-and-emulates the
 * few privileged instructions the tiny test guests use (port I/O to COM1
 * and isa-debug-exit, cli/sti/hlt, mov to/from CR0/CR3/CR4, invlpg).
 * Implements the afterburner entry points of backend.h for vm.c.  Runs:
 * monitor ring 0.
 */
#include "bm.h"
#include "vm.h"
#include "seg.h"
#include "x86.h"
#include "previrt/insn.h"

struct ab_vcpu { uint32_t cr[5]; uint64_t emulated; };
static struct ab_vcpu solo_vcpu;

/* ---- loader: PT_LOAD at p_paddr; entry from the PVH note or e_entry -- */
struct elf32_ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version, entry, phoff, shoff, flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct elf32_phdr {
	uint32_t type, offset, vaddr, paddr, filesz, memsz, flags, align;
};

static uint32_t pvh_entry(const uint8_t *f, const struct elf32_phdr *ph)
{
	for (uint32_t o = 0; o + 12 <= ph->filesz;) {
		const uint32_t *n = (const uint32_t *)(f + ph->offset + o);
		uint32_t desc = o + 12 + ((n[0] + 3) & ~3u);
		if (n[2] == 18 && n[0] == 4 && desc + 4 <= ph->filesz)
			return *(const uint32_t *)(f + ph->offset + desc);
		o = desc + ((n[1] + 3) & ~3u);
	}
	return 0;
}

static uint32_t solo_load(struct ab_vm *vm, const uint8_t *f, uint32_t size)
{
	const struct elf32_ehdr *eh = (const void *)f;
	uint32_t entry = 0;
	if (size < sizeof *eh || memcmp(eh->ident, "\177ELF\1", 5) ||
	    eh->machine != 3 ||
	    eh->phoff + (uint32_t)eh->phnum * sizeof(struct elf32_phdr) > size)
		bm_panic("guest module is not a 32-bit x86 ELF");
	const struct elf32_phdr *ph = (const void *)(f + eh->phoff);
	for (unsigned i = 0; i < eh->phnum; i++, ph++) {
		if (ph->type == 4 && ph->offset + ph->filesz <= size)
			entry = entry ? entry : pvh_entry(f, ph);
		if (ph->type != 1 || !ph->memsz)
			continue;
		uint8_t *dst = ab_backend_gpa(vm, ph->paddr, ph->memsz);
		if (!dst || ph->filesz > ph->memsz ||
		    ph->offset + ph->filesz > size)
			bm_panic("guest segment 0x%08x+%x does not fit guest RAM",
				 ph->paddr, ph->memsz);
		memcpy(dst, f + ph->offset, ph->filesz);
		memset(dst + ph->filesz, 0, ph->memsz - ph->filesz);
	}
	return entry ? entry : eh->entry;
}

void bm_guest_load(struct ab_vm *vm, struct bm_boot *b, struct ab_regs *r)
{
	vm->vcpu = &solo_vcpu;
	r->eip = solo_load(vm, BM_P2V(b->mods[0].pa), b->mods[0].len);
	r->cs = 0x10;
	r->ss = r->ds = r->es = r->fs = r->gs = 0x18;
	r->eflags = 0x2;
	vm->sh->upcall_mask = 1;
	bm_printf("monitor: solo runtime, raw guest entry 0x%08x\n", r->eip);
}

void bm_guest_stats(struct ab_vm *vm)
{
	bm_printf("monitor stats: emulated %u, pf fills %u, reflected %u, "
		  "pages free %u\n", (uint32_t)solo_vcpu.emulated,
		  (uint32_t)vm->pf_fills, (uint32_t)vm->pf_reflected,
		  bm_pages_free());
}

/* ---- the emulator ------------------------------------------------------ */
static uint32_t *gpr(struct ab_regs *r, unsigned n)
{
	uint32_t *m[8] = { &r->eax, &r->ecx, &r->edx, &r->ebx,
			   &r->esp, &r->ebp, &r->esi, &r->edi };
	return m[n & 7];
}

static uint32_t port_in(uint16_t port)
{
	if (port == 0x3fd)
		return 0x60;                   /* transmitter empty */
	return 0xffffffff;
}

static void port_out(struct ab_vm *vm, uint16_t port, uint32_t v)
{
	if (port == 0x3f8)
		bm_putc((char)v);
	else if (port == 0xf4)
		ab_backend_shutdown(vm, (int)(v & 0xff), 0);
}

static void emu_io(struct ab_vm *vm, struct ab_regs *r,
		   const struct pv_insn *in)
{
	uint16_t port = in->imm_len ? (uint16_t)in->imm : (uint16_t)r->edx;
	int out = in->op == 0xe6 || in->op == 0xe7 || in->op == 0xee ||
		in->op == 0xef;
	if (out)
		port_out(vm, port, r->eax);
	else if (in->op & 1)
		r->eax = port_in(port);
	else
		r->eax = (r->eax & ~0xffu) | (port_in(port) & 0xff);
}

static void emu_mov_cr(struct ab_vm *vm, struct ab_regs *r,
		       const struct pv_insn *in)
{
	struct ab_vcpu *v = vm->vcpu;
	unsigned cr = in->reg;
	if (cr > 4 || cr == 1)
		bm_vm_kill(r, "mov to/from CR%u", cr);
	if (in->op == 0x20) {
		*gpr(r, in->rm) = cr == 2 ? v->cr[2] : v->cr[cr];
		return;
	}
	v->cr[cr] = *gpr(r, in->rm);
	vm->sh->cr[cr] = v->cr[cr];
	if (cr != 2)
		ab_backend_load_cr3(vm, v->cr[3], !!(v->cr[0] & CR0_PG));
}

static int emulate(struct ab_vm *vm, struct ab_regs *r)
{
	uint8_t b[16];
	struct pv_insn in;
	if (bm_guest_read(vm, r->eip, b, sizeof b) ||
	    pv_insn_decode(b, sizeof b, &in) != PV_INSN_SENSITIVE)
		return -1;
	switch (in.cls) {
	case PV_CLASS_IO: emu_io(vm, r, &in); break;
	case PV_CLASS_CLI: vm->sh->upcall_mask = 1; break;
	case PV_CLASS_STI: vm->sh->upcall_mask = 0; break;
	case PV_CLASS_HLT: ab_backend_idle(vm); break;
	case PV_CLASS_MOV_TO_CR:
	case PV_CLASS_MOV_FROM_CR: emu_mov_cr(vm, r, &in); break;
	case PV_CLASS_INVLPG: ab_backend_flush(vm); break;
	default: return -1;
	}
	vm->vcpu->emulated++;
	r->eip += in.len;
	return 0;
}

int ab_guest_fault(struct ab_vcpu *v, struct ab_regs *r, unsigned vector,
		   uint32_t error, uint32_t cr2)
{
	(void)v;
	if (vector == 13 && !error && !bm_vm.cpl && emulate(&bm_vm, r) == 0)
		return 0;
	bm_vm_kill(r, "%s (error %x, cr2 0x%08x): privileged instruction the "
		   "solo runtime cannot emulate, or a fault with no guest "
		   "handler", bm_exc_name(vector), error, cr2);
}

int ab_site_call(struct ab_vcpu *v, struct ab_regs *r)
{
	(void)v;
	bm_vm_kill(r, "patched-site call, but the solo runtime patches "
		   "nothing");
}

int ab_guest_int(struct ab_vcpu *v, struct ab_regs *r, unsigned vector)
{
	(void)v;
	bm_vm_kill(r, "int $%x with no guest IDT (solo runtime)", vector);
}

void ab_timer_expired(struct ab_vcpu *v, struct ab_regs *r)
{
	(void)v; (void)r;
}

void ab_deliver_pending(struct ab_vcpu *v, struct ab_regs *r)
{
	(void)v; (void)r;
}

void ab_backend_set_mode(struct ab_vm *vm, const struct ab_regs *r, int cpl)
{
	(void)r;
	vm->cpl = cpl;
}
