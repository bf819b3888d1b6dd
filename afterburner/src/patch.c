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

/* ---- segment fast stubs ---------------------------------------------
 * Block layout (offsets from the block start, fixed so that a site's stub
 * is found without a table).  k: 0 ES, 1 DS, 2 FS, 3 GS. */
#define SEG_PUSH(n)      (0x000u + 16u * (n))           /* n 0..5 */
#define SEG_MOVR(n, r)   (0x060u + 16u * (8u * (n) + (r)))
#define SEG_POP(k)       (0x360u + 48u * (k))
#define SEG_MOVW(k, r)   (0x420u + 48u * (8u * (k) + (r)))
#define SEG_CHECK        0xa20u                         /* DS, ES */
#define SEG_CHECKB(j)    (0xa70u + 0x60u * (j))         /* FS, GS */
#define SEG_DESC_READ    0x21u   /* in each check: the first read, */
#define SEG_DESC_HI      0x33u   /* its high word again, */
#define SEG_DESC_LO      0x44u   /* and (FS/GS) its low word */
#define SH_OFF(f)   (AB_WEDGE_SHARED + \
		     (uint32_t)__builtin_offsetof(struct ab_shared, f))
#define SH_SEL(n)   (SH_OFF(sel) + 4 * (n))
#define SH_BASE(j)  (SH_OFF(seg_base) + 4 * (j))
#define SH_EXP(j, w) (SH_OFF(seg_exp) + 8 * (j) + 4 * (w))

static const uint8_t seg_k[4] = { AB_SEG_ES, AB_SEG_DS, 4, 5 };

/* A new emit at block offset off of a block linked at link. */
static struct emit at(uint8_t *buf, uint32_t link, uint32_t off)
{
	return (struct emit){ buf + off, 0, AB_SEGSTUB_SIZE - off, link + off };
}

static void jmp_to(struct emit *e, uint32_t target)     /* jmp rel32 */
{
	b(e, 0xe9);
	d32(e, target - (e->link + e->n + 4));
}

/* A forward short jump: jcc opcode now, its target later (land). */
static unsigned jcc(struct emit *e, uint8_t op)
{
	b(e, op);
	b(e, 0);
	return e->n - 1;
}

static void land(struct emit *e, unsigned at_byte)
{
	if (at_byte < e->max)
		e->p[at_byte] = (uint8_t)(e->n - at_byte - 1);
}

/* push (%esp); pushl sel[n]; popl 4(%esp); ret: the selector, zero-
 * extended, lands where push %sreg would have put it. */
static void seg_push_stub(struct emit *e, unsigned n)
{
	b(e, 0xff); b(e, 0x34); b(e, 0x24);
	b(e, 0xff); b(e, 0x35); d32(e, SH_SEL(n));
	b(e, 0x8f); b(e, 0x44); b(e, 0x24); b(e, 0x04);
	b(e, 0xc3);
}

static void seg_movr_stub(struct emit *e, unsigned n, unsigned reg)
{
	b(e, 0x8b); b(e, (uint8_t)(0x05 | reg << 3)); d32(e, SH_SEL(n));
	b(e, 0xc3);                         /* movl sel[n], %reg; ret */
}

/* pushfl; push %eax; push %ecx; push %edx; movzwl SRC, %eax; call check;
 * jnz slow; movl %eax, sel[n]; pop %edx; pop %ecx; pop %eax; popfl;
 * ret [$4]; slow: pop %edx; pop %ecx; pop %eax; popfl; jmp
 * AB_WEDGE_STUBS.  SRC: 20(%esp) (the pop's slot) when reg < 0, else
 * %reg16.  Every load stub has this frame (ab_patch_seg_unwind). */
static void seg_load_stub(struct emit *e, unsigned n, int reg,
			  uint32_t check)
{
	b(e, 0x9c); b(e, 0x50); b(e, 0x51); b(e, 0x52);
	b(e, 0x0f); b(e, 0xb7);
	if (reg < 0) {
		b(e, 0x44); b(e, 0x24); b(e, 0x14);
	} else {
		b(e, (uint8_t)(0xc0 | reg));
	}
	call_to(e, check);
	unsigned slow = jcc(e, 0x75);
	b(e, 0xa3); d32(e, SH_SEL(n));
	b(e, 0x5a); b(e, 0x59); b(e, 0x58); b(e, 0x9d);
	if (reg < 0) {
		b(e, 0xc2); b(e, 0x04); b(e, 0x00);
	} else {
		b(e, 0xc3);
	}
	land(e, slow);
	b(e, 0x5a); b(e, 0x59); b(e, 0x58); b(e, 0x9d);
	jmp_to(e, AB_WEDGE_STUBS);
}

/* The common start of the checks (%eax = selector; clobbers %ecx %edx,
 * ZF=1 accept): a null selector goes to *null_at; an LDT one returns
 * ZF=0; beyond the GDT limit jumps to *fail_at; else %edx = the
 * descriptor's address. */
static void check_head(struct emit *e, unsigned *null_at,
		       unsigned *ldt_at, unsigned *fail_at)
{
	b(e, 0xa9); d32(e, 0xfffc);                    /* test $~3, %eax */
	*null_at = jcc(e, 0x74);                       /* jz null */
	b(e, 0xa8); b(e, 0x04);                        /* test $4, %al */
	*ldt_at = jcc(e, 0x75);                        /* jnz done */
	b(e, 0x89); b(e, 0xc2);                        /* mov %eax, %edx */
	b(e, 0x83); b(e, 0xca); b(e, 0x07);            /* or $7, %edx */
	b(e, 0x3b); b(e, 0x15); d32(e, SH_OFF(gdt_limit));
	*fail_at = jcc(e, 0x77);                       /* ja fail */
	b(e, 0x83); b(e, 0xe2); b(e, 0xf8);            /* and $~7, %edx */
	b(e, 0x03); b(e, 0x15); d32(e, SH_OFF(gdt_base));
}

/* Shared failure exit: ZF=0 and return (two jumps land here). */
static void check_fail(struct emit *e, unsigned fail_at, unsigned rpl_at)
{
	land(e, fail_at);
	land(e, rpl_at);
	b(e, 0x85); b(e, 0xe4);                        /* test %esp: ZF=0 */
	b(e, 0xc3);
}

/* %eax = selector, %edx = its descriptor: the selector's RPL must not
 * exceed the descriptor's DPL (the runtime runs these for the guest
 * kernel, CPL 0, so CPL <= DPL always holds).  Clobbers %ecx; returns
 * the jump to take when it fails. */
static unsigned rpl_check(struct emit *e)
{
	b(e, 0x8b); b(e, 0x4a); b(e, 0x04);            /* mov 4(%edx),%ecx */
	b(e, 0xc1); b(e, 0xe9); b(e, 0x0d);            /* shr $13, %ecx */
	b(e, 0x83); b(e, 0xe1); b(e, 0x03);            /* and $3, %ecx: DPL */
	b(e, 0x50);                                    /* push %eax */
	b(e, 0x83); b(e, 0xe0); b(e, 0x03);            /* and $3, %eax: RPL */
	b(e, 0x39); b(e, 0xc1);                        /* cmp %eax, %ecx */
	b(e, 0x58);                                    /* pop %eax */
	return jcc(e, 0x72);                           /* jb fail */
}

/* DS/ES: only what the emulator's seg_check accepts with nothing to
 * write - null, or TI=0, (sel|7) <= gdt_limit, a present data descriptor
 * already marked accessed, RPL <= DPL.  Anything else (LDT, beyond the
 * limit, system, code, not present, not yet accessed, RPL above DPL)
 * returns ZF=0: the runtime does what the CPU would. */
static void seg_check_stub(struct emit *e)
{
	unsigned null_at, ldt_at, fail_at, rpl_at;
	check_head(e, &null_at, &ldt_at, &fail_at);
	rpl_at = rpl_check(e);
	b(e, 0x8b); b(e, 0x4a); b(e, 0x04);            /* mov 4(%edx),%ecx */
	b(e, 0x81); b(e, 0xe1); d32(e, 0x9900);        /* and $P|S|code|A */
	b(e, 0x81); b(e, 0xf9); d32(e, 0x9100);        /* cmp $P|S|A */
	land(e, null_at);
	land(e, ldt_at);
	b(e, 0xc3);
	check_fail(e, fail_at, rpl_at);
}

/* FS/GS (j 0/1): as above, and the descriptor's base must be the one the
 * backend already uses (seg_base[j]; seg_exp[j] holds it in descriptor
 * form with P|S|A), so that the real state needs no change.  Null: only
 * when that base is 0. */
static void seg_checkb_stub(struct emit *e, unsigned j)
{
	unsigned null_at, ldt_at, fail_at, rpl_at;
	check_head(e, &null_at, &ldt_at, &fail_at);
	rpl_at = rpl_check(e);
	b(e, 0x8b); b(e, 0x4a); b(e, 0x04);            /* mov 4(%edx),%ecx */
	b(e, 0x81); b(e, 0xe1); d32(e, 0xff0099ff);    /* and base|P|S|code|A */
	b(e, 0x3b); b(e, 0x0d); d32(e, SH_EXP(j, 1));  /* cmp exp_hi */
	unsigned ne = jcc(e, 0x75);
	b(e, 0x8b); b(e, 0x0a);                        /* mov (%edx),%ecx */
	b(e, 0x81); b(e, 0xe1); d32(e, 0xffff0000);
	b(e, 0x3b); b(e, 0x0d); d32(e, SH_EXP(j, 0));  /* cmp exp_lo */
	land(e, ne);
	land(e, ldt_at);
	b(e, 0xc3);
	land(e, null_at);
	b(e, 0x83); b(e, 0x3d); d32(e, SH_BASE(j)); b(e, 0x00);
	b(e, 0xc3);                                    /* ZF: base == 0 */
	check_fail(e, fail_at, rpl_at);
}

void ab_patch_seg_stubs(uint8_t *buf, uint32_t link)
{
	struct emit e;
	for (unsigned i = 0; i < AB_SEGSTUB_SIZE; i++)
		buf[i] = 0xf4;                          /* hlt: never run */
	for (unsigned n = 0; n < 6; n++) {
		e = at(buf, link, SEG_PUSH(n));
		seg_push_stub(&e, n);
		for (unsigned r = 0; r < 8; r++) {
			e = at(buf, link, SEG_MOVR(n, r));
			if (r != 4)
				seg_movr_stub(&e, n, r);
		}
	}
	for (unsigned k = 0; k < 4; k++) {
		uint32_t check = link + (k < 2 ? SEG_CHECK : SEG_CHECKB(k - 2));
		e = at(buf, link, SEG_POP(k));
		seg_load_stub(&e, seg_k[k], -1, check);
		for (unsigned r = 0; r < 8; r++) {
			e = at(buf, link, SEG_MOVW(k, r));
			if (r != 4)
				seg_load_stub(&e, seg_k[k], (int)r, check);
		}
	}
	e = at(buf, link, SEG_CHECK);
	seg_check_stub(&e);
	for (unsigned j = 0; j < 2; j++) {
		e = at(buf, link, SEG_CHECKB(j));
		seg_checkb_stub(&e, j);
	}
}

/* The segment register a push/pop opcode names (0..5), or 6. */
static unsigned seg_of_stack_op(const struct pv_insn *in)
{
	if (in->two_byte)
		return (in->op & 0xf6) == 0xa0 ? 4 + (in->op >> 3 & 1) : 6;
	return in->op < 0x20 ? in->op >> 3 : 6;
}

int ab_patch_seg_stub(const struct pv_insn *in)
{
	if (in->npfx)
		return -1;                      /* 16-bit forms, overrides */
	int movr = !in->two_byte && (in->op == 0x8c || in->op == 0x8e);
	if (movr && (in->mod != 3 || in->rm == 4 || in->reg > 5))
		return -1;                      /* memory operand, %esp */
	if (in->cls == PV_CLASS_SEG_READ && movr)
		return (int)SEG_MOVR(in->reg, in->rm);
	if (in->cls == PV_CLASS_SEG_READ)
		return seg_of_stack_op(in) < 6
		       ? (int)SEG_PUSH(seg_of_stack_op(in)) : -1;
	if (in->cls != PV_CLASS_SEG_LOAD)
		return -1;
	unsigned n = movr ? in->reg : seg_of_stack_op(in);
	for (unsigned k = 0; k < 4; k++)
		if (seg_k[k] == n)
			return (int)(movr ? SEG_MOVW(k, in->rm) : SEG_POP(k));
	return -1;                              /* SS, CS: the runtime */
}

int ab_patch_seg_fault_point(uint32_t off)
{
	if (off == SEG_CHECK + SEG_DESC_READ || off == SEG_CHECK + SEG_DESC_HI)
		return 1;
	for (unsigned j = 0; j < 2; j++)
		if (off == SEG_CHECKB(j) + SEG_DESC_READ ||
		    off == SEG_CHECKB(j) + SEG_DESC_HI ||
		    off == SEG_CHECKB(j) + SEG_DESC_LO)
			return 1;
	return 0;
}

/* At a descriptor read: [esp] check's return, then the saved %edx,
 * %ecx, %eax, eflags and the site's return address. */
int ab_patch_seg_unwind(struct ab_vcpu *v, struct ab_regs *r)
{
	uint32_t f[5], e, va;
	if (ab_vcpu_read(v, r->esp, f, sizeof f, 0, &e, &va) < 0)
		return -1;
	r->edx = f[1];
	r->ecx = f[2];
	r->eax = f[3];
	r->eflags = (f[4] & ~0x200u) | 2;
	r->esp += 20;
	return 0;
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

static unsigned site_slot(uint32_t ret)
{
	return (ret ^ (ret >> 7)) % AB_SITE_CACHE;
}

struct ab_site *ab_site_peek(struct ab_vcpu *v, uint32_t ret)
{
	unsigned k = site_slot(ret);
	if (ret && v->site_cache[k].ret == ret)
		return v->site_cache[k].site;
	struct ab_site *s = lookup(v, ret);
	if (!s && ret < 0u - v->img.phys_offset)
		s = lookup(v, ret + v->img.phys_offset);
	return s;
}

struct ab_site *ab_site_find(struct ab_vcpu *v, uint32_t ret)
{
	struct ab_site *s = ab_site_peek(v, ret);
	if (s) {
		v->site_cache[site_slot(ret)].ret = ret;
		v->site_cache[site_slot(ret)].site = s;
	}
	return s;
}
