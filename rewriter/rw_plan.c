/*
 * rw_plan.c - make every uncovered sensitive instruction safe.
 * For each one: choose a window of whole instructions (>= 5 bytes, from
 * at most RW_MAX_BACK instructions before it, no TARGET byte inside but
 * its start, no PINNED byte at all), copy the window into the trampoline
 * area with relative branches re-encoded and each sensitive instruction
 * NOP-padded to its class pad and recorded as a site (origin 2), end it
 * with jmp back, and overwrite the window with jmp rel32 + int3 fill.
 * With no window: a class that traps deprivileged becomes a trap site
 * (origin 3); any other stays unresolved.  Runs: host tool.
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rw.h"

#define RW_MAX_BACK 8
#define RW_JMP_LEN 5

/* RW_DEBUG=1 in the environment: trace why windows are refused. */
static int rw_debug(void)
{
	static int on = -1;
	if (on < 0) on = getenv("RW_DEBUG") != NULL;
	return on;
}

static int add_site(struct rw_plan *pl, struct pv_site s)
{
	if (pl->n_new_sites == pl->cap_sites) {
		unsigned n = pl->cap_sites ? pl->cap_sites * 2 : 256;
		void *p = realloc(pl->new_sites, n * sizeof *pl->new_sites);
		if (!p) return -1;
		pl->new_sites = p;
		pl->cap_sites = n;
	}
	pl->new_sites[pl->n_new_sites++] = s;
	return 0;
}

/* Append n bytes to the trampoline area; NULL when full. */
static uint8_t *area_put(struct rw_tramp_area *a, const uint8_t *b,
			 uint32_t n)
{
	if (a->cap && a->len + n > a->cap) return NULL;
	if (a->len + n > a->alloc) {
		uint32_t m = a->alloc ? a->alloc * 2 : 4096;
		while (m < a->len + n) m *= 2;
		uint8_t *p = realloc(a->code, m);
		if (!p) return NULL;
		a->code = p;
		a->alloc = m;
	}
	uint8_t *dst = a->code + a->len;
	if (b) memcpy(dst, b, n);
	a->len += n;
	return dst;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24;
}

/* The PT_LOAD holding .text (or the first executable section). */
static int code_v2p(struct rw_image *img, uint32_t *off)
{
	struct rw_scn *t = rw_scn_named(img, ".text");
	if (t && t->exec) return rw_v2p_offset(img, t->addr, off);
	for (unsigned i = 0; i < img->nscn; i++)
		if (img->scns[i].exec)
			return rw_v2p_offset(img, img->scns[i].addr, off);
	return -1;
}

static const struct rw_sym *sym_named(const struct rw_image *img,
				      const char *name)
{
	for (unsigned i = 0; i < img->nsyms; i++)
		if (!strcmp(img->syms[i].name, name)) return &img->syms[i];
	return NULL;
}

/* [v, v+n) overlaps no PT_LOAD's memory. */
static int span_free(const struct rw_image *img, uint32_t v, uint32_t n)
{
	for (unsigned i = 0; i < img->phnum; i++) {
		const struct rw_phdr *p = &img->phdrs[i];
		if (p->type == PT_LOAD && v < p->vaddr + p->memsz &&
		    p->vaddr < v + n)
			return 0;
	}
	return 1;
}

/*
 * Where the new segment goes: where --tramp-at says, else the span the
 * image reserves with __previrt_tramp_start/_end, else page-aligned past
 * the highest loaded byte.
 */
static int area_place(struct rw_image *img, struct rw_tramp_area *a,
		      const struct rw_place *at)
{
	uint32_t top = 0, v2p;
	for (unsigned i = 0; i < img->phnum; i++) {
		const struct rw_phdr *p = &img->phdrs[i];
		if (p->type == PT_LOAD && p->vaddr + p->memsz > top)
			top = p->vaddr + p->memsz;
	}
	if (code_v2p(img, &v2p) < 0)
		return rw_err(img, "no loadable segment holds the code");
	const struct rw_sym *hs = sym_named(img, "__previrt_tramp_start");
	const struct rw_sym *he = sym_named(img, "__previrt_tramp_end");
	uint32_t base = (top + 4095) & ~4095u;
	if (hs && he) {
		if (he->addr <= hs->addr + RW_HDR_RESERVE || hs->addr < top)
			return rw_err(img, "reserved span __previrt_tramp_start"
				      "..end (0x%x..0x%x) is empty or overlaps"
				      " a segment", hs->addr, he->addr);
		base = hs->addr;
		a->cap = he->addr - hs->addr - RW_HDR_RESERVE;
		a->in_hole = 1;
	}
	if (at && at->set) {
		if (at->size <= RW_HDR_RESERVE || (uint64_t)at->vaddr +
		    at->size > 0x100000000ull || !span_free(img, at->vaddr,
							    at->size))
			return rw_err(img, "--tramp-at 0x%x:0x%x is too small "
				      "or overlaps a segment", at->vaddr,
				      at->size);
		base = at->vaddr;
		a->cap = at->size - RW_HDR_RESERVE;
		top = 0;
	}
	if (base < top || base > 0xfffff000u - RW_HDR_RESERVE)
		return rw_err(img, "no address space left for the "
			      "trampoline segment");
	a->vaddr = base + RW_HDR_RESERVE;
	a->paddr = a->vaddr - v2p;
	return 0;
}

/* Can insns[j] be part of a window (as its first insn if first)? */
static int movable(struct rw_image *img, struct rw_maps *m, size_t j,
		   int first)
{
	const struct rw_insn *in = &img->insns[j];
	if (in->branch == RW_BR_BAD || in->branch == RW_BR_OTHER_REL)
		return 0;
	if (in->branch == RW_BR_CALL && in->target == in->addr + in->len)
		return 0;   /* call next; pop: reads its own address */
	if (in->cls != PV_CLASS_COUNT && in->state != RW_ST_PLAIN)
		return 0;
	for (unsigned b = 0; b < in->len; b++) {
		int f = rw_maps_get(img, m, in->addr + b);
		if (rw_debug() && (f & ~RW_MAP_TARGET || (f && b)))
			fprintf(stderr, "rw: 0x%x: flags %d\n", in->addr + b, f);
		if (f & (RW_MAP_PINNED | RW_MAP_USED)) return 0;
		if ((f & RW_MAP_TARGET) && !(first && b == 0)) return 0;
		if ((f & RW_MAP_TABLE) && b) return 0;
	}
	return 1;
}

/*
 * Grow a window ending at insns[b] over the next uncovered sensitive
 * instructions (up to 4 instructions ahead each time), so neighbours such
 * as "mov %edx,%ds; mov %edx,%es" share one window instead of the second
 * being left without room.
 */
static size_t absorb(struct rw_image *img, struct rw_maps *m, size_t k,
		     size_t b)
{
	const struct rw_insn *I = img->insns;
	for (;;) {
		size_t found = 0;
		for (size_t j = b + 1; j <= b + 4 && j < img->ninsns &&
		     I[j].scn == I[k].scn && movable(img, m, j, 0); j++)
			if (I[j].cls != PV_CLASS_COUNT) { found = j; break; }
		if (!found) return b;
		b = found;
	}
}

/* The alternative original range holding code byte a (RW_MAP_ALT). */
static const struct rw_alt *alt_at(const struct rw_maps *m, uint32_t a)
{
	for (size_t i = 0; i < m->nalts; i++)
		if (a >= m->alts[i].start && a - m->alts[i].start <
		    m->alts[i].len)
			return &m->alts[i];
	return NULL;
}

/*
 * Alternatives move only whole and without sensitive instructions inside
 * (the boot-time patch would overwrite a site).  Grows *e over the rest
 * of a range when it can; -1 if the window cannot hold its ranges.
 */
static int alts_whole(struct rw_image *img, struct rw_maps *m, size_t a,
		      size_t *e)
{
	const struct rw_insn *I = img->insns;
	for (size_t j = a; j <= *e; j++) {
		if (!(rw_maps_get(img, m, I[j].addr) & RW_MAP_ALT)) continue;
		const struct rw_alt *r = alt_at(m, I[j].addr);
		if (!r || r->start < I[a].addr) return -1;
		while (I[*e].addr + I[*e].len < r->start + r->len) {
			if (*e + 1 >= img->ninsns || I[*e + 1].scn != I[a].scn
			    || !movable(img, m, *e + 1, 0))
				return -1;
			(*e)++;
		}
		if (I[*e].addr + I[*e].len != r->start + r->len &&
		    rw_insn_index(img, r->start + r->len) == (size_t)-1)
			return -1;
		for (size_t i = j; I[i].addr < r->start + r->len; i++)
			if (I[i].cls != PV_CLASS_COUNT) return -1;
	}
	return 0;
}

/* Choose [*s, *e] around insns[k]; 0 on success. */
static int choose_window(struct rw_image *img, struct rw_maps *m, size_t k,
			 size_t *s, size_t *e)
{
	const struct rw_insn *I = img->insns;
	for (size_t back = 0; back <= RW_MAX_BACK && back <= k; back++) {
		size_t a = k - back, b = k, ok = 1;
		for (size_t j = a; ok && j <= k; j++)
			ok = I[j].scn == I[k].scn && movable(img, m, j, j == a);
		while (ok && I[b].addr + I[b].len - I[a].addr < RW_JMP_LEN) {
			if (b + 1 >= img->ninsns || I[b + 1].scn != I[k].scn ||
			    !movable(img, m, b + 1, 0))
				ok = 0;
			else
				b++;
		}
		if (ok) {
			*s = a;
			*e = absorb(img, m, k, b);
			if (alts_whole(img, m, a, e) == 0) return 0;
		}
	}
	return -1;
}

static int add_move(struct rw_plan *pl, uint32_t from, uint32_t to,
		    uint32_t len)
{
	if (pl->nmoves == pl->cap_moves) {
		size_t n = pl->cap_moves ? pl->cap_moves * 2 : 256;
		void *p = realloc(pl->moves, n * sizeof *pl->moves);
		if (!p) return -1;
		pl->moves = p;
		pl->cap_moves = n;
	}
	pl->moves[pl->nmoves++] = (struct rw_move){ from, to, len };
	return 0;
}

/* Copy one instruction into the area, re-encoding relative branches. */
static int emit_insn(struct rw_image *img, struct rw_plan *pl, size_t j)
{
	struct rw_insn *in = &img->insns[j];
	const uint8_t *p = rw_bytes_at(img, in->addr, in->len);
	uint32_t at = pl->area.vaddr + pl->area.len;
	uint8_t b[64];   /* largest pad (32) + insn */
	unsigned n;
	if (in->branch == RW_BR_CALL || in->branch == RW_BR_JMP) {
		b[0] = in->branch == RW_BR_CALL ? 0xe8 : 0xe9;
		put_le32(b + 1, in->target - (at + 5));
		n = 5;
	} else if (in->branch == RW_BR_JCC) {
		unsigned i = 0;
		while (p[i] != 0x0f && (p[i] < 0x70 || p[i] > 0x7f)) i++;
		uint8_t cc = (p[i] == 0x0f ? p[i + 1] : p[i]) & 0x0f;
		b[0] = 0x0f; b[1] = 0x80 | cc;
		put_le32(b + 2, in->target - (at + 6));
		n = 6;
	} else if (in->cls != PV_CLASS_COUNT) {
		n = pv_site_len(in->cls, in->len);
		if (n > sizeof b) return rw_err(img, "internal: pad too long");
		memcpy(b, p, in->len);
		memset(b + in->len, PV_NOP, n - in->len);
		if (add_site(pl, (struct pv_site){ at, n, in->len, in->cls,
						   PV_ORIGIN_REWRITER }) < 0)
			return rw_err(img, "out of memory");
		in->state = RW_ST_TRAMPOLINE;
	} else {
		memcpy(b, p, in->len);
		n = in->len;
	}
	if (in->cls == PV_CLASS_COUNT) in->state = RW_ST_MOVED;
	if (add_move(pl, in->addr, at, n) < 0)
		return rw_err(img, "out of memory");
	return area_put(&pl->area, b, n) ? 0 : -1;
}

/* Move insns[s..e] to the area and jump there; -1 if the area is full. */
static int make_window(struct rw_image *img, struct rw_plan *pl,
		       struct rw_maps *m, size_t s, size_t e)
{
	const struct rw_insn *I = img->insns;
	uint32_t start = I[s].addr, end = I[e].addr + I[e].len;
	uint32_t tramp = pl->area.vaddr + pl->area.len;
	uint32_t save_len = pl->area.len, save_sites = pl->n_new_sites;
	size_t save_moves = pl->nmoves;
	uint8_t jmp[5] = { 0xe9 };
	int r = 0;
	for (size_t j = s; j <= e && r == 0; j++)
		r = emit_insn(img, pl, j);
	put_le32(jmp + 1, end - (pl->area.vaddr + pl->area.len + 5));
	if (r < 0 || !area_put(&pl->area, jmp, 5)) {
		pl->area.len = save_len;          /* undo: area full */
		pl->n_new_sites = save_sites;
		pl->nmoves = save_moves;
		for (size_t j = s; j <= e; j++)
			img->insns[j].state = RW_ST_PLAIN;
		return -1;
	}
	uint8_t *orig = rw_bytes_at(img, start, end - start);
	memset(orig, 0xcc, end - start);
	orig[0] = 0xe9;
	put_le32(orig + 1, tramp - (start + 5));
	rw_maps_set(img, m, start, end - start, RW_MAP_USED);
	pl->counts.windows++;
	return 0;
}

/* Pass 1: a window if one fits; failures stay PLAIN so that a later
 * window may still take them in. */
static int try_window(struct rw_image *img, struct rw_plan *pl,
		      struct rw_maps *m, size_t k)
{
	size_t s, e;
	if (choose_window(img, m, k, &s, &e) < 0) return -1;
	return make_window(img, pl, m, s, e);
}

/*
 * A function that nothing refers to (its symbol is the only name for it:
 * no branch, pointer, immediate or table reaches any of its bytes, and it
 * is not the entry point) is dead in this image.  If it holds a
 * non-trapping sensitive instruction that no window can take, it is
 * cleared to int3: reached anyway (by a name lookup this image cannot
 * show), it stops at once instead of running the instruction natively.
 */
static int clear_dead(struct rw_image *img, struct rw_plan *pl,
		      struct rw_maps *m, size_t k)
{
	const struct rw_insn *in = &img->insns[k];
	const struct rw_sym *s = rw_sym_for(img, in->addr);
	if (!s || s->type != STT_FUNC || in->addr - s->addr >= s->size)
		return -1;
	for (uint32_t b = 0; b < s->size; b++)
		if (rw_maps_get(img, m, s->addr + b) &
		    (RW_MAP_REF | RW_MAP_PINNED | RW_MAP_USED | RW_MAP_ALT))
			return -1;
	uint8_t *p = rw_bytes_at(img, s->addr, s->size);
	void *n = realloc(pl->dead, (pl->ndead + 1) * sizeof *pl->dead);
	if (!p || !n) return -1;
	pl->dead = n;
	pl->dead[pl->ndead++] = (struct rw_dead){ s->addr, s->size, in->addr,
						  in->cls, s->name };
	memset(p, 0xcc, s->size);
	rw_maps_set(img, m, s->addr, s->size, RW_MAP_USED);
	for (size_t j = k; j < img->ninsns && img->insns[j].addr <
	     s->addr + s->size; j++)
		img->insns[j].state = RW_ST_MOVED;
	return 0;
}

/* Pass 2: what is still PLAIN gets one more try, then a trap site if its
 * class traps deprivileged, else (unless it is dead) stays unresolved. */
static int fix_rest(struct rw_image *img, struct rw_plan *pl,
		    struct rw_maps *m, size_t k)
{
	struct rw_insn *in = &img->insns[k];
	if (try_window(img, pl, m, k) == 0) return 0;
	if (rw_debug())
		fprintf(stderr, "rw: 0x%x: no window\n", in->addr);
	if (pv_class_info(in->cls)->depriv == PV_DEPRIV_TRAPS) {
		in->state = RW_ST_TRAP;
		return add_site(pl, (struct pv_site){ in->addr, in->len,
				in->len, in->cls, PV_ORIGIN_TRAP });
	}
	if (clear_dead(img, pl, m, k) == 0) return 0;
	in->state = RW_ST_UNRESOLVED;
	return 0;
}

/* Plan and apply (to img->buf) the fixes for every uncovered insn. */
int rw_plan_make(struct rw_image *img, struct rw_plan *pl,
		 const struct rw_place *at)
{
	struct rw_maps m = { 0 };
	memset(pl, 0, sizeof *pl);
	if (area_place(img, &pl->area, at) < 0 || rw_maps_build(img, &m) < 0)
		goto fail;
	for (unsigned i = 0; i < img->nsites; i++)
		if (add_site(pl, img->sites[i]) < 0) goto oom;
	for (size_t k = 0; k < img->ninsns; k++) {
		struct rw_insn *in = &img->insns[k];
		if (in->cls == PV_CLASS_COUNT || in->state != RW_ST_PLAIN)
			continue;
		if (rw_site_find(img, in->addr) >= 0)
			in->state = RW_ST_COVERED;
		else
			try_window(img, pl, &m, k);
	}
	for (size_t k = 0; k < img->ninsns; k++) {
		struct rw_insn *in = &img->insns[k];
		if (in->cls != PV_CLASS_COUNT && in->state == RW_ST_PLAIN &&
		    fix_rest(img, pl, &m, k) < 0)
			goto oom;
	}
	pl->counts.bytes_added = pl->area.len;
	rw_maps_free(&m);
	return rw_tables_update(img, pl);
oom:
	rw_err(img, "out of memory");
fail:
	rw_maps_free(&m);
	return -1;
}

void rw_plan_free(struct rw_plan *pl)
{
	free(pl->area.code);
	free(pl->new_sites);
	free(pl->moves);
	free(pl->dead);
	memset(pl, 0, sizeof *pl);
}

/* Count sensitive instructions by class and by covering site's origin. */
void rw_count(const struct rw_image *img, struct rw_counts *c)
{
	unsigned w = c->windows, b = c->bytes_added;
	memset(c, 0, sizeof *c);
	c->windows = w;
	c->bytes_added = b;
	for (size_t k = 0; k < img->ninsns; k++) {
		const struct rw_insn *in = &img->insns[k];
		if (in->cls == PV_CLASS_COUNT) continue;
		int si = rw_site_find(img, in->addr);
		unsigned o = 4;
		if (si >= 0 && img->sites[si].cls == in->cls)
			o = img->sites[si].origin;
		c->cls[in->cls][o]++;
		c->total[o]++;
	}
}
