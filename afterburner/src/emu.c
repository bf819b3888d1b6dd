/*
 * emu.c - the afterburner's emulator: one function per sensitive class,
 * registered in one table grouped irq / cpu / mmu / io / seg (the map of
 * what happens to each instruction), plus the entry points a backend's
 * run loop calls (patched-site calls, real faults, user int n).
 * Runs: hosted process and monitor ring 0; freestanding.
 */
#include "previrt/afterburner.h"
#include "previrt/ab_cpu.h"

#define FL_IF   0x200u
#define FL_ZF   0x40u
#define FL_DF   0x400u
#define FL_USER 0x00200cd5u  /* what popf may change: arith, DF, ID */
#define CR0_PE  0x1u
#define CR0_TS  0x8u
#define CR0_PG  0x80000000u
#define CR4_OK  0x0000079cu  /* TSD DE PSE PGE PCE OSFXSR OSXMMEXCPT */

/* Emulation context: the decoded instruction and where execution goes. */
struct ex {
	struct ab_vcpu *v;
	struct ab_regs *r;
	struct pv_insn in;
	uint32_t next;
};

enum { R_EAX, R_ECX, R_EDX, R_EBX, R_ESP, R_EBP, R_ESI, R_EDI };

static uint32_t *gpr(struct ab_regs *r, unsigned n)
{
	switch (n & 7) {
	case R_EAX: return &r->eax;
	case R_ECX: return &r->ecx;
	case R_EDX: return &r->edx;
	case R_EBX: return &r->ebx;
	case R_ESP: return &r->esp;
	case R_EBP: return &r->ebp;
	case R_ESI: return &r->esi;
	default:    return &r->edi;
	}
}

/* Segment register n (ES CS SS DS FS GS order of the sreg field). */
static uint16_t *sreg(struct ab_regs *r, unsigned n)
{
	switch (n) {
	case 0: return &r->es;
	case 1: return &r->cs;
	case 2: return &r->ss;
	case 3: return &r->ds;
	case 4: return &r->fs;
	default: return &r->gs;
	}
}

/* Effective address of a ModRM memory operand (flat segments). */
static uint32_t ea(const struct ex *x)
{
	const struct pv_insn *in = &x->in;
	struct ab_regs *r = x->r;
	uint32_t a = (uint32_t)in->disp;
	if (in->addr16)
		return 0xffffffffu;            /* refused by the callers */
	if (in->has_sib) {
		if (!(in->base == 5 && in->mod == 0))
			a += *gpr(r, in->base);
		if (in->index != 4)
			a += *gpr(r, in->index) << in->scale;
	} else if (!(in->rm == 5 && in->mod == 0)) {
		a += *gpr(r, in->rm);
	}
	return a;
}

/* Raise an exception for the instruction being emulated.  Always -1:
 * the instruction did not complete (callers stop at once). */
static int fault(struct ex *x, unsigned vector, uint32_t err)
{
	ab_vcpu_fault(x->v, x->r, vector, err);
	return -1;
}

static int pf(struct ex *x, uint32_t err, uint32_t va)
{
	x->v->sh->cr[2] = va;
	return fault(x, 14, err);
}

static int gp(struct ex *x, uint32_t err) { return fault(x, 13, err); }
static int ud(struct ex *x) { return fault(x, 6, 0); }

/* Guest memory at the current privilege; a #PF is raised on failure. */
static int rd(struct ex *x, uint32_t va, void *buf, uint32_t n)
{
	uint32_t e, fva;
	if (ab_vcpu_read(x->v, va, buf, n, x->v->cpl, &e, &fva) < 0)
		return pf(x, e, fva);
	return 0;
}

static int wr(struct ex *x, uint32_t va, const void *buf, uint32_t n)
{
	uint32_t e, fva;
	if (ab_vcpu_write(x->v, va, buf, n, x->v->cpl, &e, &fva) < 0)
		return pf(x, e, fva);
	return 0;
}

static int push(struct ex *x, uint32_t val, unsigned size)
{
	if (wr(x, x->r->esp - size, &val, size) < 0)
		return -1;
	x->r->esp -= size;
	return 0;
}

/* Read the r/m operand (size 2 or 4) from a register or memory. */
static int rm_read(struct ex *x, uint32_t *val, unsigned size)
{
	*val = 0;
	if (x->in.mod == 3) {
		*val = *gpr(x->r, x->in.rm) & (size == 2 ? 0xffff : ~0u);
		return 0;
	}
	return rd(x, ea(x), val, size);
}

static int rm_write(struct ex *x, uint32_t val, unsigned size)
{
	if (x->in.mod == 3) {
		uint32_t *p = gpr(x->r, x->in.rm);
		*p = size == 2 ? (*p & 0xffff0000u) | (val & 0xffff) : val;
		return 0;
	}
	return wr(x, ea(x), &val, size);
}

static int done(struct ex *x)
{
	x->r->eip = x->next;
	return 0;
}

/* ================= irq group ========================================= */

static int do_cli(struct ex *x)
{
	ab_vcpu_set_if(x->v, 0);
	return done(x);
}

/* The sti interrupt shadow, for the one pair where it matters: is the
 * instruction at end (as executed) a hlt site?  Then the interrupt is
 * left pending for the hlt to take, so `sti; hlt` cannot lose a wakeup. */
static int hlt_follows(struct ab_vcpu *v, uint32_t end)
{
	struct ab_site *n = ab_site_find(v, end + 1);
	return n && n->cls == PV_CLASS_HLT &&
	       (n->addr == end || n->addr == end + v->img.phys_offset);
}

static int do_sti(struct ex *x)
{
	ab_vcpu_set_if(x->v, 1);
	done(x);
	if (!hlt_follows(x->v, x->next))
		ab_deliver_pending(x->v, x->r);
	return 0;
}

static int do_pushf(struct ex *x)
{
	uint32_t f = (x->r->eflags & ~FL_IF) | 2 |
		     (ab_vcpu_if(x->v) ? FL_IF : 0);
	if (push(x, f, x->in.opsize16 ? 2 : 4) < 0)
		return -1;
	return done(x);
}

static int do_popf(struct ex *x)
{
	unsigned size = x->in.opsize16 ? 2 : 4;
	uint32_t f = 0, mask = FL_USER & (size == 2 ? 0xffff : ~0u);
	if (rd(x, x->r->esp, &f, size) < 0)
		return -1;
	x->r->esp += size;
	x->r->eflags = (x->r->eflags & ~mask) | (f & mask) | 2;
	ab_vcpu_set_if(x->v, (f & FL_IF) != 0);
	done(x);
	ab_deliver_pending(x->v, x->r);
	return 0;
}

static int do_iret(struct ex *x)
{
	if (x->in.opsize16)
		return ud(x);
	return ab_vcpu_iret(x->v, x->r);
}

/* hlt: wait for the next interrupt, then take it. */
static int do_hlt(struct ex *x)
{
	struct ab_vcpu *v = x->v;
	if (!ab_vcpu_if(v))
		ab_vcpu_kill(v, x->r, "hlt with interrupts disabled (the guest "
			     "would sleep forever)");
	done(x);
	ab_dev_flush(v);
	for (;;) {
		ab_dev_poll(v);
		if (ab_pic_pending(v) >= 0)
			break;
		v->stat[AB_ST_IDLE]++;
		ab_backend_idle(v->vm);
	}
	ab_deliver_pending(v, x->r);
	return 0;
}

static int do_int(struct ex *x)
{
	done(x);
	x->v->stat[AB_ST_SOFTINTS]++;
	return ab_vcpu_deliver(x->v, x->r, x->in.imm, 1, 0, 0);
}

/* ================= seg group ========================================= */

/* Descriptor fields (SDM vol. 3, 3.4.5): d[1] is the high word. */
static unsigned d_dpl(const uint32_t d[2]) { return d[1] >> 13 & 3; }
static int d_present(const uint32_t d[2]) { return d[1] >> 15 & 1; }
static int d_segment(const uint32_t d[2]) { return d[1] >> 12 & 1; }
static int d_code(const uint32_t d[2]) { return d_segment(d) && (d[1] & 0x800); }
static int d_conforming(const uint32_t d[2]) { return d_code(d) && (d[1] & 0x400); }
static int d_readable(const uint32_t d[2])
{
	return d_segment(d) && (!d_code(d) || (d[1] & 0x200));
}
static int d_writable(const uint32_t d[2])
{
	return d_segment(d) && !d_code(d) && (d[1] & 0x200);
}

/* The hardware's privilege rule for data-segment loads and lar, lsl,
 * verr, verw: conforming code is exempt, else max(CPL, RPL) <= DPL. */
static int d_privilege_ok(const struct ex *x, uint16_t sel,
			  const uint32_t d[2])
{
	return d_conforming(d) ||
	       ((unsigned)x->v->cpl <= d_dpl(d) && (sel & 3u) <= d_dpl(d));
}

/* A segment load marks its descriptor accessed, as the CPU does. */
static void set_accessed(struct ex *x, uint16_t sel, uint32_t d[2])
{
	uint32_t e, va, base = x->v->gdtr.base;
	if ((d[1] & 0x100) || (sel & 4))
		return;           /* LDT descriptors: kept as they are */
	d[1] |= 0x100;
	ab_vcpu_write(x->v, base + (sel & ~7u) + 4, &d[1], 4, 0, &e, &va);
}

/* Is sel loadable into segment register n (not CS)?  0, or the fault
 * the hardware raises: #GP(sel) for a descriptor it may not use (system,
 * execute-only code, SS not writable data of DPL = RPL = CPL, privilege),
 * #NP(sel) / #SS(sel) for one not present. */
static int seg_check(struct ex *x, unsigned n, uint16_t sel)
{
	uint32_t d[2];
	unsigned cpl = (unsigned)x->v->cpl;
	if (!(sel & ~3))
		return n == 2 ? gp(x, 0) : 0;       /* null: not into SS */
	if (ab_vcpu_desc(x->v, sel, d) < 0)
		return gp(x, sel & ~3u);
	int ok = n == 2 ? d_writable(d) && (sel & 3u) == cpl &&
			  d_dpl(d) == cpl
			: d_readable(d) && d_privilege_ok(x, sel, d);
	if (!ok)
		return gp(x, sel & ~3u);
	if (!d_present(d))
		return fault(x, n == 2 ? 12 : 11, sel & ~3u);
	set_accessed(x, sel, d);
	return 0;
}

static int load_seg(struct ex *x, unsigned n, uint16_t sel)
{
	if (n == 1 || n > 5)
		return ud(x);
	if (seg_check(x, n, sel) < 0)
		return -1;
	*sreg(x->r, n) = sel;
	ab_backend_set_mode(x->v->vm, x->r, x->v->cpl);
	return 0;
}

static int do_seg_read(struct ex *x)
{
	const struct pv_insn *in = &x->in;
	if (!in->two_byte && in->op == 0x8c) {
		if (in->reg > 5)
			return ud(x);
		uint16_t s = *sreg(x->r, in->reg);
		if (rm_write(x, s, in->mod == 3 && !in->opsize16 ? 4 : 2) < 0)
			return -1;
		return done(x);
	}
	unsigned n = in->two_byte ? (in->op == 0xa0 ? 4 : 5) : in->op >> 3;
	if (push(x, *sreg(x->r, n), in->opsize16 ? 2 : 4) < 0)
		return -1;
	return done(x);
}

static int do_seg_load(struct ex *x)
{
	const struct pv_insn *in = &x->in;
	uint32_t sel = 0;
	if (!in->two_byte && in->op == 0x8e) {
		if (rm_read(x, &sel, 2) < 0 || load_seg(x, in->reg, sel) < 0)
			return -1;
		return done(x);
	}
	unsigned n = in->two_byte ? (in->op == 0xa1 ? 4 : 5) : in->op >> 3;
	unsigned size = in->opsize16 ? 2 : 4;
	if (rd(x, x->r->esp, &sel, size) < 0 || load_seg(x, n, sel & 0xffff) < 0)
		return -1;
	x->r->esp += size;
	return done(x);
}

static int do_seg_load_far(struct ex *x)
{
	static const uint8_t seg_of[] = { [0xc4] = 0, [0xc5] = 3 };
	const struct pv_insn *in = &x->in;
	uint32_t off = 0;
	uint16_t sel;
	unsigned osz = in->opsize16 ? 2 : 4;
	unsigned n = !in->two_byte ? seg_of[in->op]
		   : in->op == 0xb2 ? 2 : in->op == 0xb4 ? 4 : 5;
	if (rd(x, ea(x), &off, osz) < 0 || rd(x, ea(x) + osz, &sel, 2) < 0 ||
	    load_seg(x, n, sel) < 0)
		return -1;
	uint32_t *dst = gpr(x->r, in->reg);
	*dst = osz == 2 ? (*dst & 0xffff0000u) | off : off;
	return done(x);
}

/* Far jump/call within the current privilege level. */
static int far_to(struct ex *x, uint16_t sel, uint32_t off, int call)
{
	uint32_t d[2];
	if (ab_vcpu_desc(x->v, sel, d) < 0 || (d[1] & 0x1800) != 0x1800)
		return gp(x, sel & ~3u);
	if (call && (push(x, x->r->cs, 4) < 0 || push(x, x->next, 4) < 0))
		return -1;
	x->r->cs = (uint16_t)((sel & ~3) | x->v->cpl);
	x->r->eip = off;
	ab_backend_set_mode(x->v->vm, x->r, x->v->cpl);
	return 0;
}

static int do_far_xfer(struct ex *x)
{
	const struct pv_insn *in = &x->in;
	if (in->opsize16)
		return ud(x);
	if (in->op == 0xea || in->op == 0x9a)
		return far_to(x, in->imm_sel, in->imm, in->op == 0x9a);
	uint32_t off;
	uint16_t sel;
	if (rd(x, ea(x), &off, 4) < 0 || rd(x, ea(x) + 4, &sel, 2) < 0)
		return -1;
	return far_to(x, sel, off, in->reg == 3);
}

static int do_lret(struct ex *x)
{
	uint32_t f[4];
	uint32_t extra = x->in.op == 0xca ? x->in.imm : 0;
	if (x->in.opsize16 || rd(x, x->r->esp, f, 8) < 0)
		return x->in.opsize16 ? ud(x) : -1;
	int cpl = (f[1] & 3) == 3 ? 3 : 0;
	if (cpl < x->v->cpl)
		return gp(x, f[1] & 0xfffc);
	if (cpl > x->v->cpl) {                   /* return to the outer level */
		if (rd(x, x->r->esp + 8 + extra, f + 2, 8) < 0)
			return -1;
		x->r->esp = f[2] + extra;
		x->r->ss = (uint16_t)f[3];
		x->v->cpl = cpl;
	} else {
		x->r->esp += 8 + extra;
	}
	x->r->eip = f[0];
	x->r->cs = (uint16_t)f[1];
	ab_backend_set_mode(x->v->vm, x->r, x->v->cpl);
	return 0;
}

/* May lar (lsl) report this system descriptor type?  SDM vol. 2, LAR
 * and LSL: TSSes and the LDT for both, call and task gates for lar. */
static int sys_type_ok(unsigned type, int is_lsl)
{
	switch (type) {
	case 0x1: case 0x2: case 0x3: case 0x9: case 0xb:
		return 1;
	case 0x4: case 0x5: case 0xc:
		return !is_lsl;
	default:
		return 0;
	}
}

/* lar / lsl / verr / verw against the guest's descriptor tables. */
static int do_seg_query(struct ex *x)
{
	const struct pv_insn *in = &x->in;
	uint32_t sel, d[2];
	if (rm_read(x, &sel, 2) < 0)
		return -1;
	int ok = (sel & ~3u) && ab_vcpu_desc(x->v, (uint16_t)sel, d) == 0 &&
		 d_privilege_ok(x, (uint16_t)sel, d);
	x->r->eflags &= ~FL_ZF;
	if (ok && in->op == 0x00) {                  /* verr (4) / verw (5) */
		ok = in->reg == 4 ? d_readable(d) : d_writable(d);
	} else if (ok) {
		ok = d_segment(d) || sys_type_ok(d[1] >> 8 & 0xf, in->op == 0x03);
	}
	if (ok && in->op == 0x02) {
		*gpr(x->r, in->reg) = d[1] & 0x00f0ff00u;
	} else if (ok && in->op == 0x03) {
		uint32_t lim = (d[0] & 0xffff) | (d[1] & 0xf0000);
		*gpr(x->r, in->reg) = d[1] & 0x800000 ? lim << 12 | 0xfff : lim;
	}
	if (ok)
		x->r->eflags |= FL_ZF;
	return done(x);
}

/* ================= cpu group ========================================= */

static int do_load_dt(struct ex *x)
{
	uint8_t b[6];
	if (x->in.mod == 3 || rd(x, ea(x), b, 6) < 0)
		return x->in.mod == 3 ? ud(x) : -1;
	struct ab_dtr *t = x->in.reg == 2 ? &x->v->gdtr : &x->v->idtr;
	t->limit = (uint16_t)(b[0] | b[1] << 8);
	t->base = b[2] | b[3] << 8 | (uint32_t)b[4] << 16 | (uint32_t)b[5] << 24;
	if (x->in.opsize16)
		t->base &= 0xffffff;
	ab_backend_set_mode(x->v->vm, x->r, x->v->cpl);
	return done(x);
}

static int do_store_dt(struct ex *x)
{
	const struct ab_dtr *t = x->in.reg == 0 ? &x->v->gdtr : &x->v->idtr;
	uint8_t b[6] = { (uint8_t)t->limit, (uint8_t)(t->limit >> 8),
			 (uint8_t)t->base, (uint8_t)(t->base >> 8),
			 (uint8_t)(t->base >> 16), (uint8_t)(t->base >> 24) };
	if (x->in.mod == 3)
		return ud(x);
	if (wr(x, ea(x), b, 6) < 0)
		return -1;
	return done(x);
}

static int do_load_tr_ldt(struct ex *x)
{
	uint32_t sel, d[2], e, va;
	if (rm_read(x, &sel, 2) < 0)
		return -1;
	int ltr = x->in.reg == 3;
	if (!ltr && !(sel & ~3u)) {
		x->v->ldtr = 0;
		ab_backend_set_mode(x->v->vm, x->r, x->v->cpl);
		return done(x);
	}
	unsigned want = ltr ? 0x9 : 0x2;
	if ((sel & 4) || ab_vcpu_desc(x->v, (uint16_t)sel, d) < 0 ||
	    ((d[1] >> 8) & 0x1f) != want)
		return gp(x, sel & ~3u);
	if (ltr) {                 /* mark the TSS busy, as the CPU does */
		d[1] |= 0x200;
		if (ab_vcpu_write(x->v, x->v->gdtr.base + (sel & ~7u), d, 8, 0,
				  &e, &va) < 0)
			return pf(x, e, va);
		x->v->tr = (uint16_t)sel;
	} else {
		x->v->ldtr = (uint16_t)sel;
	}
	ab_backend_set_mode(x->v->vm, x->r, x->v->cpl);
	return done(x);
}

static int do_store_tr_ldt(struct ex *x)
{
	uint16_t s = x->in.reg == 0 ? x->v->ldtr : x->v->tr;
	if (rm_write(x, s, x->in.mod == 3 && !x->in.opsize16 ? 4 : 2) < 0)
		return -1;
	return done(x);
}

static int do_smsw(struct ex *x)
{
	uint32_t cr0 = x->v->sh->cr[0];
	if (rm_write(x, cr0, x->in.mod == 3 && !x->in.opsize16 ? 4 : 2) < 0)
		return -1;
	return done(x);
}

static int do_lmsw(struct ex *x)
{
	uint32_t val, *cr0 = &x->v->sh->cr[0];
	if (rm_read(x, &val, 2) < 0)
		return -1;
	*cr0 = (*cr0 & ~0xeu) | (val & 0xf) | (*cr0 & CR0_PE);
	return done(x);
}

static int do_clts(struct ex *x)
{
	x->v->sh->cr[0] &= ~CR0_TS;
	return done(x);
}

static int do_mov_dr(struct ex *x)
{
	unsigned n = x->in.reg;
	if (n == 4 || n == 5)
		n += 2;                      /* dr4/dr5 alias dr6/dr7 */
	if (x->in.op == 0x21)
		*gpr(x->r, x->in.rm) = x->v->dr[n];
	else
		x->v->dr[n] = *gpr(x->r, x->in.rm);
	return done(x);
}

static int do_msr(struct ex *x)
{
	struct ab_vcpu *v = x->v;
	struct ab_regs *r = x->r;
	uint64_t *m = r->ecx == 0x174 ? &v->msr_sysenter_cs
		    : r->ecx == 0x175 ? &v->msr_sysenter_esp
		    : r->ecx == 0x176 ? &v->msr_sysenter_eip : NULL;
	uint64_t val = (uint64_t)r->edx << 32 | r->eax;
	int known = m || r->ecx == 0x10 || r->ecx == 0x8b;
	if (!known)
		return gp(x, 0);
	if (x->in.op == 0x30) {              /* wrmsr */
		if (m)
			*m = val;
		else if (r->ecx == 0x10)             /* seen by rdmsr only */
			v->tsc_offset = val - ab_rdtsc();
		return done(x);
	}
	val = m ? *m : r->ecx == 0x10 ? ab_rdtsc() + v->tsc_offset : 0;
	r->eax = (uint32_t)val;
	r->edx = (uint32_t)(val >> 32);
	return done(x);
}

void ab_emu_cpuid(struct ab_vcpu *v, uint32_t leaf, uint32_t sub,
		  uint32_t out[4])
{
	(void)v; (void)sub;
	/* A plain family-6 CPU: FPU TSC MSR CX8 PGE CMOV MMX FXSR SSE SSE2
	 * (edx) and SSE3 (ecx).  No PSE/PAE/SEP/APIC/... : not implemented.
	 * PGE costs a backend nothing (flushing global entries too at a CR3
	 * load is allowed); a backend may keep them (baremetal shadow.c). */
	static const uint32_t l1_edx = 1u << 0 | 1u << 4 | 1u << 5 | 1u << 8 |
		1u << 13 | 1u << 15 | 1u << 23 | 1u << 24 | 1u << 25 | 1u << 26;
	out[0] = out[1] = out[2] = out[3] = 0;
	if (leaf == 0) {
		out[0] = 1;
		out[1] = 0x76657250;  /* "PrevirtCPU32" in ebx, edx, ecx */
		out[3] = 0x43747269;
		out[2] = 0x32335550;
	} else if (leaf == 1) {
		out[0] = 0x000006a3;  /* family 6, model 10, stepping 3 */
		out[1] = 0x00000800;  /* clflush size 8 qwords, 1 logical CPU */
		out[2] = 1u;          /* SSE3 */
		out[3] = l1_edx;
	} else if (leaf == 0x80000000u) {
		out[0] = 0x80000000u;
	}
}

static int do_cpuid(struct ex *x)
{
	uint32_t o[4];
	ab_emu_cpuid(x->v, x->r->eax, x->r->ecx, o);
	x->r->eax = o[0]; x->r->ebx = o[1]; x->r->ecx = o[2]; x->r->edx = o[3];
	return done(x);
}

static int do_ud(struct ex *x) { return ud(x); }

/* ================= mmu group ========================================= */

static int do_mov_from_cr(struct ex *x)
{
	unsigned n = x->in.reg;
	if (n == 1 || n > 4)
		return ud(x);
	*gpr(x->r, x->in.rm) = x->v->sh->cr[n];
	return done(x);
}

static int do_mov_to_cr(struct ex *x)
{
	struct ab_vcpu *v = x->v;
	uint32_t val = *gpr(x->r, x->in.rm), *cr = v->sh->cr;
	unsigned n = x->in.reg;
	if (n == 1 || n > 4)
		return ud(x);
	if ((n == 0 && (val & CR0_PG) && !(val & CR0_PE)) ||
	    (n == 4 && (val & ~CR4_OK)))
		return gp(x, 0);
	uint32_t old = cr[n];
	cr[n] = n == 0 ? val | 0x10 : val;   /* CR0.ET is hard-wired */
	ab_vcpu_tlb_flush(v);
	if (n == 3 || (n == 0 && ((old ^ val) & CR0_PG)))
		ab_backend_load_cr3(v->vm, cr[3], (cr[0] & CR0_PG) != 0);
	else if (n == 4 && old != val)
		ab_backend_flush(v->vm);
	return done(x);
}

static int do_invlpg(struct ex *x)
{
	if (x->in.mod == 3)
		return ud(x);
	ab_vcpu_tlb_flush(x->v);
	ab_backend_invlpg(x->v->vm, ea(x));
	return done(x);
}

static int do_nop(struct ex *x) { return done(x); }

/* ================= io group ========================================== */

static unsigned io_size(const struct pv_insn *in)
{
	return !(in->op & 1) ? 1 : in->opsize16 ? 2 : 4;
}

static int do_io(struct ex *x)
{
	const struct pv_insn *in = &x->in;
	unsigned size = io_size(in);
	uint16_t port = in->op < 0xe8 ? (uint16_t)in->imm : (uint16_t)x->r->edx;
	int is_in = (in->op & 2) == 0;
	uint32_t mask = size == 4 ? ~0u : (1u << (8 * size)) - 1;
	if (is_in)
		x->r->eax = (x->r->eax & ~mask) |
			    (ab_dev_in(x->v, port, size) & mask);
	else
		ab_dev_out(x->v, port, size, x->r->eax & mask);
	return done(x);
}

/* ins / outs, with rep: one element at a time, restartable on a fault. */
static int do_io_string(struct ex *x)
{
	const struct pv_insn *in = &x->in;
	struct ab_regs *r = x->r;
	unsigned size = io_size(in);
	int is_in = in->op < 0x6e;
	int32_t step = r->eflags & FL_DF ? -(int32_t)size : (int32_t)size;
	uint16_t port = (uint16_t)r->edx;
	while (!in->rep || r->ecx) {
		uint32_t val = 0;
		if (is_in) {
			val = ab_dev_in(x->v, port, size);
			if (wr(x, r->edi, &val, size) < 0)
				return -1;
			r->edi += (uint32_t)step;
		} else {
			if (rd(x, r->esi, &val, size) < 0)
				return -1;
			ab_dev_out(x->v, port, size, val);
			r->esi += (uint32_t)step;
		}
		if (!in->rep)
			break;
		r->ecx--;
	}
	return done(x);
}

/* ================= the table ======================================== */

typedef int (*ab_emu_fn)(struct ex *x);

static const ab_emu_fn emu_table[PV_CLASS_COUNT] = {
	/* irq */
	[PV_CLASS_CLI] = do_cli,           [PV_CLASS_STI] = do_sti,
	[PV_CLASS_PUSHF] = do_pushf,       [PV_CLASS_POPF] = do_popf,
	[PV_CLASS_IRET] = do_iret,         [PV_CLASS_HLT] = do_hlt,
	[PV_CLASS_INT] = do_int,
	/* cpu */
	[PV_CLASS_LOAD_DT] = do_load_dt,   [PV_CLASS_STORE_DT] = do_store_dt,
	[PV_CLASS_LOAD_TR_LDT] = do_load_tr_ldt,
	[PV_CLASS_STORE_TR_LDT] = do_store_tr_ldt,
	[PV_CLASS_SMSW] = do_smsw,         [PV_CLASS_LMSW] = do_lmsw,
	[PV_CLASS_CLTS] = do_clts,         [PV_CLASS_MOV_DR] = do_mov_dr,
	[PV_CLASS_MSR] = do_msr,           [PV_CLASS_CPUID] = do_cpuid,
	[PV_CLASS_SYSENTER] = do_ud,       [PV_CLASS_SYSEXIT] = do_ud,
	/* mmu */
	[PV_CLASS_MOV_FROM_CR] = do_mov_from_cr,
	[PV_CLASS_MOV_TO_CR] = do_mov_to_cr,
	[PV_CLASS_INVLPG] = do_invlpg,     [PV_CLASS_CACHE] = do_nop,
	/* io */
	[PV_CLASS_IO] = do_io,             [PV_CLASS_IO_STRING] = do_io_string,
	/* seg */
	[PV_CLASS_LRET] = do_lret,         [PV_CLASS_SEG_QUERY] = do_seg_query,
	[PV_CLASS_FAR_XFER] = do_far_xfer, [PV_CLASS_SEG_READ] = do_seg_read,
	[PV_CLASS_SEG_LOAD] = do_seg_load,
	[PV_CLASS_SEG_LOAD_FAR] = do_seg_load_far,
};

int ab_emu_insn(struct ab_vcpu *v, struct ab_regs *r, const uint8_t *bytes,
		unsigned avail, uint32_t next)
{
	struct ex x = { .v = v, .r = r, .next = next };
	if (pv_insn_decode(bytes, avail, &x.in) != PV_INSN_SENSITIVE ||
	    !emu_table[x.in.cls])
		ab_vcpu_kill(v, r, "cannot emulate the instruction here "
			     "(bytes %02x %02x %02x)", bytes[0],
			     avail > 1 ? bytes[1] : 0, avail > 2 ? bytes[2] : 0);
	if (x.in.has_modrm && x.in.mod != 3 && x.in.addr16)
		ab_vcpu_kill(v, r, "16-bit addressing is not emulated");
	v->cls_count[x.in.cls]++;
	emu_table[x.in.cls](&x);         /* -1: it raised an exception */
	return 0;
}

/* ================= entry points for the backends ==================== */

int ab_site_call(struct ab_vcpu *v, struct ab_regs *r)
{
	struct ab_site *s = ab_site_find(v, r->eip);
	v->stat[AB_ST_SITE_CALLS]++;
	if (!s || v->cpl != 0)
		ab_vcpu_kill(v, r, "call into the runtime stub from outside "
			     "any patched site (return address 0x%08x)", r->eip);
	s->count++;
	if (s->inline_fast) {        /* sti/popf found an interrupt pending */
		uint32_t off = r->eip - s->addr <= s->len ? r->eip - s->addr
			     : r->eip + v->img.phys_offset - s->addr;
		if (s->cls != PV_CLASS_STI ||
		    !hlt_follows(v, r->eip + (s->len - off)))
			ab_deliver_pending(v, r);
		return 0;
	}
	uint32_t start = r->eip - 5;
	r->eip = start;
	return ab_emu_insn(v, r, s->orig, s->insn_len, start + s->len);
}

int ab_guest_fault(struct ab_vcpu *v, struct ab_regs *r, unsigned vector,
		   uint32_t error, uint32_t cr2)
{
	uint8_t b[PV_INSN_MAX_LEN];
	uint32_t e, va;
	struct pv_insn in;
	if ((vector == 13 || vector == 6) && v->cpl == 0) {
		uint32_t n = 0x1000 - (r->eip & 0xfff);
		int ok = ab_vcpu_read(v, r->eip, b, n < PV_INSN_MAX_LEN ? n
				      : PV_INSN_MAX_LEN, 0, &e, &va) == 0;
		int dec = ok ? pv_insn_decode(b, n < PV_INSN_MAX_LEN ? n :
					      PV_INSN_MAX_LEN, &in) : -1;
		if (dec == PV_INSN_BAD && n < PV_INSN_MAX_LEN &&
		    ab_vcpu_read(v, r->eip, b, PV_INSN_MAX_LEN, 0, &e, &va) == 0)
			dec = pv_insn_decode(b, PV_INSN_MAX_LEN, &in);
		if (dec == PV_INSN_SENSITIVE) {
			v->stat[AB_ST_TRAP_EMUL]++;
			return ab_emu_insn(v, r, b, in.len, r->eip + in.len);
		}
	}
	if (vector == 14) {
		v->sh->cr[2] = cr2;
		v->stat[AB_ST_PF_REFLECTED]++;
	}
	return ab_vcpu_fault(v, r, vector, error);
}

int ab_guest_int(struct ab_vcpu *v, struct ab_regs *r, unsigned vector)
{
	v->stat[vector == 0x80 ? AB_ST_SYSCALLS : AB_ST_SOFTINTS]++;
	return ab_vcpu_deliver(v, r, vector, 1, 0, 0);
}
