/*
 * patch.c - the afterburner patcher: verifies each site of the loaded
 * image and rewrites it in guest memory as the backend's policy for it
 * says (ab_backend_site_policy): NATIVE keeps the instruction, INLINE
 * puts inline code on struct ab_shared at AB_WEDGE_SHARED (absolute
 * addresses) where the afterburner has one, CALL (and INLINE without an
 * inline form) a `call rel32` to the backend's entry in the stub pages;
 * the rest of a site stays NOPs.  Runs: hosted process and monitor
 * ring 0; freestanding.
 *
 * rel32 is computed from the site's link address, so it reaches
 * AB_WEDGE_STUBS when the site runs at its virtual address and
 * AB_WEDGE_STUBS - phys_offset when it runs at its physical address
 * (before the guest enables paging, or identity-mapped just after it, as
 * Linux's head code): backends map the stubs at both.
 */
#include "previrt/afterburner.h"

#define SH_PENDING (AB_WEDGE_SHARED + 0)
#define SH_MASK    (AB_WEDGE_SHARED + 1)
#define SH_CR(n)   (AB_WEDGE_SHARED + 4 + 4 * (n))

struct emit { uint8_t *p; unsigned n, max; uint32_t link; };

static void b(struct emit *e, uint8_t x)
{
	if (e->n < e->max)
		e->p[e->n] = x;
	e->n++;
}

static void d32(struct emit *e, uint32_t x)
{
	for (int i = 0; i < 4; i++)
		b(e, (uint8_t)(x >> (8 * i)));
}

/* call target, relative to this byte's link address. */
static void call_to(struct emit *e, uint32_t target)
{
	b(e, 0xe8);
	d32(e, target - (e->link + e->n + 4));
}

/* call AB_WEDGE_STUBS (the inline forms' "deliver now" call). */
static void call_stub(struct emit *e)
{
	call_to(e, AB_WEDGE_STUBS);
}

/* pushfl; cmpw $1, pending; jne 1f; call stub; 1: popfl
 * "if an interrupt is pending and unmasked, call the runtime", keeping
 * the guest's arithmetic flags. */
static void check_pending(struct emit *e)
{
	b(e, 0x9c);
	b(e, 0x66); b(e, 0x83); b(e, 0x3d); d32(e, SH_PENDING); b(e, 0x01);
	b(e, 0x75); b(e, 0x05);
	call_stub(e);
	b(e, 0x9d);
}

static void emit_cli(struct emit *e)       /* movb $1, mask */
{
	b(e, 0xc6); b(e, 0x05); d32(e, SH_MASK); b(e, 1);
}

static void emit_sti(struct emit *e)       /* movb $0, mask; check */
{
	b(e, 0xc6); b(e, 0x05); d32(e, SH_MASK); b(e, 0);
	check_pending(e);
}

/* testl $IF, (%esp); setz mask; popfl (real IF is not the guest's to
 * change: ignored at CPL>0 with IOPL 0); check pending. */
static void emit_popf(struct emit *e)
{
	b(e, 0xf7); b(e, 0x04); b(e, 0x24); d32(e, 0x200);
	b(e, 0x0f); b(e, 0x94); b(e, 0x05); d32(e, SH_MASK);
	b(e, 0x9d);
	check_pending(e);
}

/* pushfl (value); pushfl (save); andb $~2, 5(%esp) (clear IF);
 * testb $1, mask; jnz 1f; orb $2, 5(%esp); 1: popfl (restore flags). */
static void emit_pushf(struct emit *e)
{
	b(e, 0x9c); b(e, 0x9c);
	b(e, 0x80); b(e, 0x64); b(e, 0x24); b(e, 0x05); b(e, 0xfd);
	b(e, 0xf6); b(e, 0x05); d32(e, SH_MASK); b(e, 0x01);
	b(e, 0x75); b(e, 0x05);
	b(e, 0x80); b(e, 0x4c); b(e, 0x24); b(e, 0x05); b(e, 0x02);
	b(e, 0x9d);
}

/* movl cr[N], %reg (moffs form for %eax). */
static void emit_mov_from_cr(struct emit *e, unsigned cr, unsigned reg)
{
	if (reg == 0) {
		b(e, 0xa1);
	} else {
		b(e, 0x8b); b(e, (uint8_t)(0x05 | reg << 3));
	}
	d32(e, SH_CR(cr));
}

/* Can this instruction get the inline replacement?  Plain encodings
 * only (no prefixes); crN must be one the vCPU keeps in the page. */
int ab_patch_can_inline(const struct pv_insn *in)
{
	if (in->npfx)
		return 0;
	switch (in->cls) {
	case PV_CLASS_CLI: case PV_CLASS_STI:
	case PV_CLASS_PUSHF: case PV_CLASS_POPF:
		return 1;
	case PV_CLASS_MOV_FROM_CR:
		return in->reg == 0 || (in->reg >= 2 && in->reg <= 4);
	default:
		return 0;
	}
}

static void emit_inline(struct emit *e, const struct pv_insn *in)
{
	switch (in->cls) {
	case PV_CLASS_CLI: emit_cli(e); break;
	case PV_CLASS_STI: emit_sti(e); break;
	case PV_CLASS_POPF: emit_popf(e); break;
	case PV_CLASS_PUSHF: emit_pushf(e); break;
	default: emit_mov_from_cr(e, in->reg, in->rm); break;
	}
}

static int refuse(struct ab_vcpu *v, const struct ab_site *s,
		  const char *why)
{
	const struct pv_class_info *ci = pv_class_info(s->cls);
	ab_fmt(v->err, sizeof v->err, "site 0x%08x (%s, len %u): %s",
	       s->addr, ci ? ci->name : "?", s->len, why);
	return -1;
}

static int verify(struct ab_vcpu *v, const struct ab_site *s,
		  const uint8_t *cur, struct pv_insn *in)
{
	if (pv_insn_decode(cur, s->insn_len, in) != PV_INSN_SENSITIVE)
		return refuse(v, s, "bytes do not decode to a sensitive "
			      "instruction");
	if (in->cls != s->cls || in->len != s->insn_len)
		return refuse(v, s, "bytes decode to another class or length "
			      "than the site table records");
	for (unsigned i = s->insn_len; i < s->len; i++)
		if (cur[i] != PV_NOP)
			return refuse(v, s, "padding is not all NOPs");
	return 0;
}

/* The site's bytes for the backend's policy, into e; sets inline_fast. */
static int emit_policy(struct ab_vcpu *v, struct ab_site *s,
		       const struct pv_insn *in, struct emit *e)
{
	uint32_t target = AB_WEDGE_STUBS;
	enum ab_site_policy pol = ab_backend_site_policy(v->vm, in, &target);
	if (target - AB_WEDGE_STUBS >= AB_WEDGE_STUBS_SIZE)
		return refuse(v, s, "backend's call target is outside the "
			      "stub pages");
	s->inline_fast = 0;
	s->policy = (uint8_t)pol;
	if (pol == AB_SITE_NATIVE) {
		e->n = s->insn_len;            /* out already holds it */
		return 0;
	}
	if (pol != AB_SITE_INLINE && pol != AB_SITE_CALL)
		return refuse(v, s, "backend returned an unknown policy");
	if (pol == AB_SITE_INLINE && ab_patch_can_inline(in)) {
		emit_inline(e, in);
		s->inline_fast = e->n <= s->len;
	}
	if (!s->inline_fast) {
		s->policy = AB_SITE_CALL;
		e->n = 0;
		call_to(e, target);
	}
	return 0;
}

int ab_patch_site(struct ab_vcpu *v, struct ab_site *s, const uint8_t *cur,
		  uint8_t *out)
{
	struct pv_insn in;
	if (verify(v, s, cur, &in) < 0)
		return -1;
	ab_memcpy(s->orig, cur, s->insn_len);
	ab_memcpy(out, cur, s->len);
	if (s->origin == PV_ORIGIN_TRAP)
		return 0;                      /* emulated when it traps */
	struct emit e = { out, 0, s->len, s->addr };
	if (emit_policy(v, s, &in, &e) < 0)
		return -1;
	if (e.n > s->len)
		return refuse(v, s, "replacement does not fit");
	for (unsigned i = e.n; i < s->len; i++)
		out[i] = PV_NOP;
	return 0;
}

int ab_patch_all(struct ab_vcpu *v)
{
	for (uint32_t i = 0; i < v->img.nsites; i++) {
		struct ab_site *s = &v->img.sites[i];
		uint8_t buf[256];
		uint8_t *p = ab_backend_gpa(v->vm, s->addr - v->img.phys_offset,
					    s->len);
		if (!p)
			return refuse(v, s, "outside guest RAM");
		if (ab_patch_site(v, s, p, buf) < 0)
			return -1;
		ab_memcpy(p, buf, s->len);
	}
	return 0;
}

static struct ab_site *lookup(struct ab_vcpu *v, uint32_t ret)
{
	uint32_t lo = 0, hi = v->img.nsites;
	while (lo < hi) {                   /* last site with addr < ret */
		uint32_t mid = lo + (hi - lo) / 2;
		if (v->img.sites[mid].addr < ret)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	struct ab_site *s = &v->img.sites[lo - 1];
	return ret - s->addr <= s->len ? s : NULL;
}

struct ab_site *ab_site_find(struct ab_vcpu *v, uint32_t ret)
{
	struct ab_site *s = lookup(v, ret);
	if (!s && ret < 0u - v->img.phys_offset)
		s = lookup(v, ret + v->img.phys_offset);
	return s;
}
