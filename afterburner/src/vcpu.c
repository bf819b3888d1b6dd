/*
 * vcpu.c - the afterburner's virtual CPU: virtual IF and pending
 * interrupts, the guest page walker (accessed/dirty bits as the CPU sets
 * them), guest virtual memory access, descriptor tables, exception and
 * interrupt delivery through the guest IDT (privilege change via the
 * guest TSS, error codes, double and triple faults) and iret.
 * Runs: hosted process and monitor ring 0; freestanding.
 */
#include "previrt/afterburner.h"

#define FL_IF 0x200u
#define FL_TF 0x100u
#define FL_NT 0x4000u
#define FL_RF 0x10000u
#define FL_VM 0x20000u
#define CR0_PG 0x80000000u
#define CR0_WP 0x00010000u
#define CR4_PSE 0x10u
#define PTE_P 1u
#define PTE_W 2u
#define PTE_U 4u
#define PTE_A 0x20u
#define PTE_D 0x40u
#define PTE_PS 0x80u

void ab_vcpu_init(struct ab_vcpu *v, struct ab_vm *vm, struct ab_shared *sh)
{
	ab_memset(v, 0, sizeof *v);
	v->vm = vm;
	v->sh = sh;
	ab_memset(sh, 0, sizeof *sh);
	sh->upcall_mask = 1;
	sh->cr[0] = 0x11;
	v->idtr.limit = 0x3ff;
	v->gdtr.limit = 0xffff;
	ab_dev_init(v);
}

void ab_vcpu_update_pending(struct ab_vcpu *v)
{
	v->sh->upcall_pending = ab_pic_pending(v) >= 0;
}

void ab_vcpu_set_if(struct ab_vcpu *v, int on)
{
	v->sh->upcall_mask = !on;
}

void ab_vcpu_kill(struct ab_vcpu *v, const struct ab_regs *r,
		  const char *fmt, ...)
{
	char why[160];
	va_list ap;
	va_start(ap, fmt);
	ab_vfmt(why, sizeof why, fmt, ap);
	va_end(ap);
	ab_fmt(v->err, sizeof v->err, "guest stopped at eip 0x%08x (cpl %d): "
	       "%s", r ? r->eip : 0, v->cpl, why);
	ab_dev_flush(v);
	ab_backend_shutdown(v->vm, 1, v->err);
}

/* ---- page walker ---------------------------------------------------- */

static uint32_t *pt_entry(struct ab_vcpu *v, uint32_t pa)
{
	return ab_backend_gpa(v->vm, pa, 4);
}

/* Permission check of the combined pde/pte flags; 0 ok, else PF error. */
static uint32_t pt_check(struct ab_vcpu *v, uint32_t flags, unsigned acc)
{
	int user = acc & AB_ACC_USER, write = acc & AB_ACC_WRITE;
	uint32_t err = PTE_P | (write ? 2 : 0) | (user ? 4 : 0);
	if (user && !(flags & PTE_U))
		return err;
	if (write && !(flags & PTE_W) && (user || (v->sh->cr[0] & CR0_WP)))
		return err;
	return 0;
}

void ab_vcpu_tlb_flush(struct ab_vcpu *v)
{
	if (++v->tlb_gen == 0)          /* wrapped: no old generation left */
		ab_memset(v->tlb, 0, sizeof v->tlb);
}

static struct ab_tlb_entry *tlb_slot(struct ab_vcpu *v, uint32_t va)
{
	return &v->tlb[(va >> 12) % AB_TLB_SIZE];
}

/* A cached translation of va good for acc (a write needs D already set,
 * as a CPU re-walks to set it); 0 with *gpa, or -1: walk. */
static int tlb_hit(struct ab_vcpu *v, uint32_t va, unsigned acc,
		   uint32_t *gpa)
{
	const struct ab_tlb_entry *e = tlb_slot(v, va);
	if (e->tag != ((va & ~0xfffu) | 1) || e->gen != v->tlb_gen ||
	    pt_check(v, e->fl, acc) ||
	    ((acc & AB_ACC_WRITE) && !(e->fl & PTE_D)))
		return -1;
	*gpa = e->pa | (va & 0xfffu);
	return 0;
}

static void tlb_fill(struct ab_vcpu *v, uint32_t va, uint32_t gpa,
		     uint32_t fl)
{
	struct ab_tlb_entry *e = tlb_slot(v, va);
	e->tag = (va & ~0xfffu) | 1;
	e->gen = v->tlb_gen;
	e->pa = gpa & ~0xfffu;
	e->fl = fl;
}

int ab_vcpu_translate(struct ab_vcpu *v, uint32_t va, unsigned acc,
		      uint32_t *gpa, uint32_t *pf_err)
{
	uint32_t notp = (acc & AB_ACC_WRITE ? 2 : 0) | (acc & AB_ACC_USER ? 4 : 0);
	if (!(v->sh->cr[0] & CR0_PG)) {
		*gpa = va;
		return 0;
	}
	if (tlb_hit(v, va, acc, gpa) == 0)
		return 0;
	uint32_t *pde = pt_entry(v, (v->sh->cr[3] & ~0xfffu) + (va >> 22) * 4);
	if (!pde || !(*pde & PTE_P))
		return *pf_err = notp, -1;
	if ((*pde & PTE_PS) && (v->sh->cr[4] & CR4_PSE)) {
		if ((*pf_err = pt_check(v, *pde, acc)))
			return -1;
		*pde |= PTE_A | (acc & AB_ACC_WRITE ? PTE_D : 0);
		*gpa = (*pde & 0xffc00000u) | (va & 0x3fffffu);
		tlb_fill(v, va, *gpa, *pde & (PTE_P | PTE_W | PTE_U | PTE_D));
		return 0;
	}
	uint32_t *pte = pt_entry(v, (*pde & ~0xfffu) + ((va >> 12) & 0x3ff) * 4);
	if (!pte || !(*pte & PTE_P))
		return *pf_err = notp, -1;
	if ((*pf_err = pt_check(v, *pde & *pte, acc)))
		return -1;
	*pde |= PTE_A;
	*pte |= PTE_A | (acc & AB_ACC_WRITE ? PTE_D : 0);
	*gpa = (*pte & ~0xfffu) | (va & 0xfffu);
	tlb_fill(v, va, *gpa, (*pde & *pte & (PTE_P | PTE_W | PTE_U)) |
		 (*pte & PTE_D));
	return 0;
}

int ab_vcpu_peek(struct ab_vcpu *v, uint32_t va, uint32_t *gpa,
		 uint32_t *flags)
{
	if (!(v->sh->cr[0] & CR0_PG)) {
		*gpa = va;
		*flags = PTE_P | PTE_W | PTE_U | PTE_A | PTE_D;
		return 0;
	}
	uint32_t *pde = pt_entry(v, (v->sh->cr[3] & ~0xfffu) + (va >> 22) * 4);
	if (!pde || !(*pde & PTE_P))
		return -1;
	if ((*pde & PTE_PS) && (v->sh->cr[4] & CR4_PSE)) {
		*gpa = (*pde & 0xffc00000u) | (va & 0x3fffffu);
		*flags = *pde & 0x7f;
		return 0;
	}
	uint32_t *pte = pt_entry(v, (*pde & ~0xfffu) + ((va >> 12) & 0x3ff) * 4);
	if (!pte || !(*pte & PTE_P))
		return -1;
	*gpa = (*pte & ~0xfffu) | (va & 0xfffu);
	*flags = (*pde & *pte & (PTE_P | PTE_W | PTE_U)) |
		 (*pte & (PTE_A | PTE_D));
	return 0;
}

static int vmem(struct ab_vcpu *v, uint32_t va, uint8_t *buf, uint32_t n,
		int cpl, int write, uint32_t *pf_err, uint32_t *pf_va)
{
	unsigned acc = (write ? AB_ACC_WRITE : 0) | (cpl == 3 ? AB_ACC_USER : 0);
	while (n) {
		uint32_t chunk = 0x1000 - (va & 0xfff), gpa;
		if (chunk > n)
			chunk = n;
		if (ab_vcpu_translate(v, va, acc, &gpa, pf_err) < 0) {
			*pf_va = va;
			return -1;
		}
		uint8_t *h = ab_backend_gpa(v->vm, gpa, chunk);
		if (!h) {           /* outside RAM: reads as ones, writes lost */
			if (!write)
				ab_memset(buf, 0xff, chunk);
		} else if (write) {
			ab_memcpy(h, buf, chunk);
		} else {
			ab_memcpy(buf, h, chunk);
		}
		va += chunk; buf += chunk; n -= chunk;
	}
	return 0;
}

int ab_vcpu_read(struct ab_vcpu *v, uint32_t va, void *buf, uint32_t n,
		 int cpl, uint32_t *pf_err, uint32_t *pf_va)
{
	return vmem(v, va, buf, n, cpl, 0, pf_err, pf_va);
}

int ab_vcpu_write(struct ab_vcpu *v, uint32_t va, const void *buf,
		  uint32_t n, int cpl, uint32_t *pf_err, uint32_t *pf_va)
{
	return vmem(v, va, (uint8_t *)buf, n, cpl, 1, pf_err, pf_va);
}

/* ---- descriptors ---------------------------------------------------- */

/* Read the 8-byte descriptor of sel from the GDT or LDT. 0 or -1. */
int ab_vcpu_desc(struct ab_vcpu *v, uint16_t sel, uint32_t d[2])
{
	uint32_t base, limit, e, va;
	if (sel & 4) {
		uint32_t l[2];
		if (!(v->ldtr & ~3) || ab_vcpu_desc(v, v->ldtr & ~4, l) < 0)
			return -1;
		base = (l[0] >> 16) | ((l[1] & 0xff) << 16) | (l[1] & 0xff000000u);
		limit = (l[0] & 0xffff) | (l[1] & 0xf0000);
	} else {
		base = v->gdtr.base;
		limit = v->gdtr.limit;
	}
	if ((uint32_t)(sel & ~7) + 7 > limit)
		return -1;
	return ab_vcpu_read(v, base + (sel & ~7), d, 8, 0, &e, &va);
}

uint32_t ab_desc_base(const uint32_t d[2])
{
	return (d[0] >> 16) | ((d[1] & 0xff) << 16) | (d[1] & 0xff000000u);
}

/* ---- delivery ------------------------------------------------------- */

static int push32(struct ab_vcpu *v, uint32_t *sp, uint32_t val, int cpl)
{
	uint32_t e, va;
	*sp -= 4;
	if (ab_vcpu_write(v, *sp, &val, 4, cpl, &e, &va) < 0) {
		v->sh->cr[2] = va;
		return -1;
	}
	return 0;
}

static uint32_t eflags_image(struct ab_vcpu *v, const struct ab_regs *r)
{
	return (r->eflags & ~FL_IF) | (ab_vcpu_if(v) ? FL_IF : 0) | 2;
}

/* Nested fault while delivering: #DF, or a triple fault. */
static int delivery_failed(struct ab_vcpu *v, struct ab_regs *r,
			   unsigned vector, const char *why)
{
	if (vector == 8 || v->in_delivery > 1)
		ab_vcpu_kill(v, r, "triple fault (%s while delivering vector "
			     "%u)", why, vector);
	return ab_vcpu_deliver(v, r, 8, 0, 1, 0);
}

/* The stack the handler runs on: same level, or esp0/ss0 from the TSS. */
static int handler_stack(struct ab_vcpu *v, int new_cpl, uint32_t *esp,
			 uint16_t *ss, const struct ab_regs *r)
{
	uint32_t d[2], tss[3], e, va;
	if (new_cpl == v->cpl) {
		*esp = r->esp;
		*ss = r->ss;
		return 0;
	}
	if (ab_vcpu_desc(v, v->tr, d) < 0 ||
	    ab_vcpu_read(v, ab_desc_base(d), tss, 12, 0, &e, &va) < 0)
		return -1;
	*esp = tss[1];
	*ss = (uint16_t)tss[2];
	return 0;
}

/* The gate for vector: 0 with selector, offset, type (0xe/0xf), DPL;
 * -1 if outside the IDT or unreadable, -2 if not a present 32-bit gate. */
static int read_gate(struct ab_vcpu *v, unsigned vector, uint16_t *sel,
		     uint32_t *off, unsigned *type, unsigned *dpl)
{
	uint32_t g[2], e, va;
	if (vector * 8 + 7 > v->idtr.limit ||
	    ab_vcpu_read(v, v->idtr.base + vector * 8, g, 8, 0, &e, &va) < 0)
		return -1;
	*type = (g[1] >> 8) & 0x1f;
	*dpl = (g[1] >> 13) & 3;
	*sel = (uint16_t)(g[0] >> 16);
	*off = (g[0] & 0xffff) | (g[1] & 0xffff0000u);
	return (g[1] & 0x8000) && (*type == 0xe || *type == 0xf) ? 0 : -2;
}

/* Push the interrupt frame on the handler's stack (ss:esp if the level
 * changes, eflags, cs, eip, error code).  0 or -1 (#PF, CR2 set). */
static int push_frame(struct ab_vcpu *v, const struct ab_regs *r,
		      uint32_t *sp, int new_cpl, int has_err, uint32_t error)
{
	if (new_cpl != v->cpl && (push32(v, sp, r->ss, new_cpl) < 0 ||
				  push32(v, sp, r->esp, new_cpl) < 0))
		return -1;
	if (push32(v, sp, eflags_image(v, r), new_cpl) < 0 ||
	    push32(v, sp, r->cs, new_cpl) < 0 ||
	    push32(v, sp, r->eip, new_cpl) < 0 ||
	    (has_err && push32(v, sp, error, new_cpl) < 0))
		return -1;
	return 0;
}

/* Privilege level of the handler: its code segment's DPL (0 or 3),
 * never above the current one.  -1 if the selector is bad. */
static int handler_cpl(struct ab_vcpu *v, uint16_t sel)
{
	uint32_t d[2];
	if (ab_vcpu_desc(v, sel, d) < 0 || !(d[1] & 0x8000))
		return -1;
	int cpl = ((d[1] >> 13) & 3) == 3 ? 3 : 0;
	return cpl > v->cpl ? v->cpl : cpl;
}

static int deliver(struct ab_vcpu *v, struct ab_regs *r, unsigned vector,
		   int soft, int has_err, uint32_t error)
{
	uint16_t sel, ss;
	uint32_t off, sp;
	unsigned type, dpl;
	int gate = read_gate(v, vector, &sel, &off, &type, &dpl);
	if (gate == 0 && soft && dpl < (unsigned)v->cpl) { /* int n check */
		v->in_delivery--;        /* the #GP is not a nested fault */
		int ret = ab_vcpu_deliver(v, r, 13, 0, 1, vector * 8 + 2);
		v->in_delivery++;
		return ret;
	}
	if (gate < 0)
		return delivery_failed(v, r, vector, gate == -1 ? "IDT "
			"unreadable" : "IDT gate not present or not a 32-bit "
			"interrupt/trap gate");
	int new_cpl = handler_cpl(v, sel);
	if (new_cpl < 0)
		return delivery_failed(v, r, vector, "gate's code segment bad");
	if (handler_stack(v, new_cpl, &sp, &ss, r) < 0)
		return delivery_failed(v, r, vector, "TSS unreadable");
	if (push_frame(v, r, &sp, new_cpl, has_err, error) < 0)
		return delivery_failed(v, r, vector, "page fault on the "
				       "handler stack");
	r->esp = sp;
	r->ss = ss;
	r->cs = (uint16_t)((sel & ~3) | new_cpl);
	r->eip = off;
	r->eflags &= ~(FL_TF | FL_NT | FL_RF | FL_VM);
	if (type == 0xe)
		ab_vcpu_set_if(v, 0);
	v->cpl = new_cpl;
	ab_backend_set_mode(v->vm, r, v->cpl);
	return 0;
}

int ab_vcpu_deliver(struct ab_vcpu *v, struct ab_regs *r, unsigned vector,
		    int soft, int has_err, uint32_t error)
{
	v->in_delivery++;
	int ret = deliver(v, r, vector, soft, has_err, error);
	v->in_delivery--;
	return ret;
}

int ab_vcpu_fault(struct ab_vcpu *v, struct ab_regs *r, unsigned vector,
		  uint32_t error)
{
	int has_err = vector == 8 || (vector >= 10 && vector <= 14) ||
		      vector == 17;
	v->stat[AB_ST_EXCEPTIONS]++;
	return ab_vcpu_deliver(v, r, vector, 0, has_err, error);
}

/* Data segment registers the outer level may not keep become null. */
static uint16_t outer_seg(struct ab_vcpu *v, uint16_t sel, int cpl)
{
	uint32_t d[2];
	if (!(sel & ~3))
		return sel;
	if (ab_vcpu_desc(v, sel, d) < 0)
		return 0;
	int dpl = (d[1] >> 13) & 3, conforming_code = (d[1] & 0x1c00) == 0x1c00;
	return dpl < cpl && !conforming_code ? 0 : sel;
}

int ab_vcpu_iret(struct ab_vcpu *v, struct ab_regs *r)
{
	uint32_t f[5], e, va;
	if (ab_vcpu_read(v, r->esp, f, 12, v->cpl, &e, &va) < 0) {
		v->sh->cr[2] = va;
		return ab_vcpu_fault(v, r, 14, e);
	}
	int new_cpl = (f[1] & 3) == 3 ? 3 : 0;
	if (new_cpl < v->cpl || !(f[1] & ~3u))
		return ab_vcpu_fault(v, r, 13, f[1] & 0xfffc);
	if (new_cpl > v->cpl &&
	    ab_vcpu_read(v, r->esp + 12, f + 3, 8, v->cpl, &e, &va) < 0) {
		v->sh->cr[2] = va;
		return ab_vcpu_fault(v, r, 14, e);
	}
	r->eip = f[0];
	r->cs = (uint16_t)f[1];
	r->eflags = (f[2] & ~(FL_IF | FL_VM | FL_RF | 0x3000u | 0x40000u)) | 2;
	ab_vcpu_set_if(v, (f[2] & FL_IF) != 0);
	if (new_cpl > v->cpl) {
		r->esp = f[3];
		r->ss = (uint16_t)f[4];
		r->ds = outer_seg(v, r->ds, new_cpl);
		r->es = outer_seg(v, r->es, new_cpl);
		r->fs = outer_seg(v, r->fs, new_cpl);
		r->gs = outer_seg(v, r->gs, new_cpl);
		v->stat[AB_ST_IRET_USER]++;
	} else {
		r->esp += 12;
	}
	v->cpl = new_cpl;
	ab_backend_set_mode(v->vm, r, v->cpl);
	ab_deliver_pending(v, r);
	return 0;
}

void ab_deliver_pending(struct ab_vcpu *v, struct ab_regs *r)
{
	if (ab_vcpu_if(v) && ab_pic_pending(v) >= 0) {
		int vec = ab_pic_ack(v);
		v->stat[AB_ST_IRQS]++;
		ab_vcpu_deliver(v, r, (unsigned)vec, 0, 0, 0);
	}
	ab_vcpu_update_pending(v);
}

void ab_timer_expired(struct ab_vcpu *v, struct ab_regs *r)
{
	ab_dev_poll(v);
	ab_deliver_pending(v, r);
}
