/*
 * rw_plan.c - make every uncovered sensitive instruction safe.
 * For each one: choose a window of whole instructions (>= 5 bytes, from
 * at most RW_MAX_BACK instructions before it, no TARGET byte inside but
 * its start, no PINNED byte at all; past an unconditional transfer it may
 * end in dead alignment padding, which is not copied), copy the window
 * into the trampoline area with relative branches re-encoded and each
 * sensitive instruction NOP-padded to its class pad and recorded as a
 * site (origin 2), end it with jmp back unless its last instruction never
 * falls through, and overwrite the window with jmp rel32 + int3 fill.
 * A 2-4 byte window instead gets jmp rel8 to an island (5 bytes of
 * another window's int3 fill holding the jmp rel32), made by a donor
 * window of ordinary code nearby if no fill is in reach.  With no window:
 * a class that traps deprivileged becomes a trap site (origin 3); any
 * other stays unresolved.  Runs: host tool (previrt-rewrite).
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

/* The PT_LOAD holding an earlier rewrite's .previrt.text, or NULL. */
static const struct rw_phdr *old_tramp_segment(struct rw_image *img)
{
	const struct rw_scn *t = rw_scn_named(img, ".previrt.text");
	for (unsigned i = 0; t && i < img->phnum; i++) {
		const struct rw_phdr *p = &img->phdrs[i];
		if (p->type == PT_LOAD && t->addr >= p->vaddr &&
		    t->addr - p->vaddr < p->memsz)
			return p;
	}
	return NULL;
}

/*
 * Where the new segment goes: where --tramp-at says, else the span the
 * image reserves with __previrt_tramp_start/_end (after an earlier
 * rewrite's segment in it, if any), else page-aligned past the highest
 * loaded byte.
 */
static int area_place(struct rw_image *img, struct rw_tramp_area *a,
		      const struct rw_place *at)
{
	uint32_t top = 0, v2p, old_end = 0;
	const struct rw_phdr *old = old_tramp_segment(img);
	for (unsigned i = 0; i < img->phnum; i++) {
		const struct rw_phdr *p = &img->phdrs[i];
		if (p->type == PT_LOAD && p->vaddr + p->memsz > top && p != old)
			top = p->vaddr + p->memsz;
	}
	if (old) {
		old_end = (old->vaddr + old->memsz + 15) & ~15u;
		if (old_end > top) top = old_end;
	}
	if (code_v2p(img, &v2p) < 0)
		return rw_err(img, "no loadable segment holds the code");
	const struct rw_sym *hs = sym_named(img, "__previrt_tramp_start");
	const struct rw_sym *he = sym_named(img, "__previrt_tramp_end");
	uint32_t base = (top + 4095) & ~4095u;
	if (hs && he) {
		uint32_t lo = old && old->vaddr >= hs->addr &&
			      old->vaddr < he->addr ? old_end : hs->addr;
		if (he->addr <= lo + RW_HDR_RESERVE || lo < top)
			return rw_err(img, "reserved span __previrt_tramp_start"
				      "..end (0x%x..0x%x) is full or overlaps"
				      " a segment", hs->addr, he->addr);
		base = lo;
		a->cap = he->addr - lo - RW_HDR_RESERVE;
		a->in_hole = 1;
	}
	if (at && at->set) {
		if (at->size <= RW_HDR_RESERVE || (uint64_t)at->vaddr +
		    at->size > 0x100000000ull || !span_free(img, at->vaddr,
							    at->size))
			return rw_err(img, "--tramp-at 0x%x:0x%x is too small "
				      "or overlaps a segment", at->vaddr,
				      at->size);
		if (at->vaddr < v2p)
			return rw_err(img, "--tramp-at 0x%x is below the code's "
				      "virtual-to-physical offset 0x%x: its "
				      "physical address would wrap", at->vaddr,
				      v2p);
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
 * Nothing falls through from insns[j] to the next byte: ret, lret, iret,
 * jmp (relative, indirect, far).  Not ud2 or int3 (their handlers may
 * resume after them, as Linux's WARN does), and not an alternative's
 * original (the boot-time patch may make it fall through).
 */
static int ends_flow(struct rw_image *img, struct rw_maps *m, size_t j)
{
	const struct rw_insn *in = &img->insns[j];
	const uint8_t *p = rw_bytes_at(img, in->addr, in->len);
	unsigned i = 0;
	if (!p || rw_maps_get(img, m, in->addr) & RW_MAP_ALT) return 0;
	if (in->branch == RW_BR_JMP) return 1;
	if (in->branch != RW_BR_NONE) return 0;
	while (i + 1 < in->len && (p[i] == 0x66 || p[i] == 0xf2 ||
	       p[i] == 0xf3 || p[i] == 0x2e || p[i] == 0x3e))
		i++;
	uint8_t op = p[i], reg = i + 1 < in->len ? (p[i + 1] >> 3) & 7 : 0;
	return op == 0xc3 || op == 0xc2 || op == 0xcb || op == 0xca ||
	       op == 0xcf || op == 0xea ||
	       (op == 0xff && i + 1 < in->len && (reg == 4 || reg == 5));
}

/*
 * Alignment padding as assemblers and linkers emit it: int3, nop, the
 * multi-byte NOPs (0f 1f /r; lea 0(%r),%r and mov %r,%r; 66/2e
 * prefixes), or zero bytes.
 */
static int is_padding(const uint8_t *p, unsigned n)
{
	unsigned i = 0;
	if ((n == 2 && !p[0] && !p[1]) || (n == 1 && !p[0])) return 1;
	while (i + 1 < n && (p[i] == 0x66 || p[i] == 0x2e)) i++;
	if (i + 1 == n) return p[i] == 0x90 || (n == 1 && p[0] == 0xcc);
	if (p[i] == 0x0f) return p[i + 1] == 0x1f;
	uint8_t mod = p[i + 1] >> 6, reg = (p[i + 1] >> 3) & 7;
	uint8_t rm = p[i + 1] & 7;
	if (p[i] == 0x89) return mod == 3 && reg == rm && i + 2 == n;
	if (p[i] != 0x8d || mod == 0 || mod == 3) return 0;
	unsigned d = i + 2;
	if (rm == 4) {           /* SIB: no index, base == destination */
		if (d >= n || ((p[d] >> 3) & 7) != 4 || (p[d] & 7) != reg)
			return 0;
		d++;
	} else if (rm != reg) {
		return 0;
	}
	if (n - d != (mod == 1 ? 1u : 4u)) return 0;
	for (; d < n; d++)
		if (p[d]) return 0;
	return 1;
}

/* insns[j] is padding in section scn that nothing names: no target,
 * symbol, reference, relocation, table or window touches its bytes. */
static int dead_padding(struct rw_image *img, struct rw_maps *m, size_t j,
			uint16_t scn)
{
	if (j >= img->ninsns) return 0;
	const struct rw_insn *in = &img->insns[j];
	const uint8_t *p = rw_bytes_at(img, in->addr, in->len);
	if (in->scn != scn || !p || in->cls != PV_CLASS_COUNT ||
	    !is_padding(p, in->len))
		return 0;
	for (unsigned b = 0; b < in->len; b++)
		if (rw_maps_get(img, m, in->addr + b)) return 0;
	return 1;
}

/*
 * A window: insns[s..last] are copied to the trampoline; insns[last+1..e]
 * (if any) are dead padding after an unconditional transfer, overwritten
 * by the window's jump but not copied.
 */
struct rw_win { size_t s, last, e; };

static uint32_t win_len(const struct rw_image *img, const struct rw_win *w)
{
	return img->insns[w->e].addr + img->insns[w->e].len -
	       img->insns[w->s].addr;
}

/* Extend w until it spans minlen bytes: over movable instructions, or,
 * once the copied part ends in an unconditional transfer, over the dead
 * padding after it.  0 on success. */
static int grow(struct rw_image *img, struct rw_maps *m, struct rw_win *w,
		uint32_t minlen)
{
	const struct rw_insn *I = img->insns;
	uint16_t scn = I[w->s].scn;
	w->e = w->last;
	while (win_len(img, w) < minlen) {
		size_t n = w->e + 1;
		int padded = w->e > w->last;
		if ((padded || ends_flow(img, m, w->last)) &&
		    dead_padding(img, m, n, scn))
			w->e = n;
		else if (!padded && n < img->ninsns && I[n].scn == scn &&
			 movable(img, m, n, 0))
			w->last = w->e = n;
		else
			return -1;
	}
	return 0;
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

/* Choose a window of at least minlen bytes holding insns[k], starting at
 * it or up to RW_MAX_BACK instructions before it (nearest first). */
static int choose_window(struct rw_image *img, struct rw_maps *m, size_t k,
			 uint32_t minlen, struct rw_win *w)
{
	const struct rw_insn *I = img->insns;
	for (size_t back = 0; back <= RW_MAX_BACK && back <= k; back++) {
		size_t a = k - back, ok = 1;
		for (size_t j = a; ok && j <= k; j++)
			ok = I[j].scn == I[k].scn && movable(img, m, j, j == a);
		*w = (struct rw_win){ a, k, k };
		if (!ok || grow(img, m, w, minlen) < 0) continue;
		if (w->e == w->last)
			w->last = w->e = absorb(img, m, k, w->e);
		size_t l = w->last;
		if (alts_whole(img, m, a, &l) < 0 ||
		    (l != w->last && w->e > w->last))
			continue;
		if (w->e == w->last) w->e = l;
		w->last = l;
		return 0;
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

/* Remember the dead int3 fill of a window as room for islands. */
static void island_add(struct rw_plan *pl, uint32_t addr, uint32_t len)
{
	if (len < RW_JMP_LEN) return;
	void *p = realloc(pl->islands, (pl->nislands + 1) *
			  sizeof *pl->islands);
	if (!p) return;   /* fewer islands, never wrong */
	pl->islands = p;
	pl->islands[pl->nislands++] = (struct rw_span){ addr, len };
}

/* Take 5 bytes of island within jmp rel8 reach of `from` (the byte after
 * the short jump) and in its section (so in the same segment, with the
 * same virtual-to-physical offset for code that runs before paging). */
static int island_take(struct rw_image *img, struct rw_plan *pl,
		       uint32_t from, uint32_t *at)
{
	const struct rw_scn *scn = rw_scn_at(img, from - 2);
	for (unsigned i = 0; i < pl->nislands; i++) {
		struct rw_span *s = &pl->islands[i];
		int64_t d = (int64_t)s->addr - from;
		if (s->len >= RW_JMP_LEN && d >= -128 && d <= 127 &&
		    rw_scn_at(img, s->addr) == scn) {
			*at = s->addr;
			s->addr += RW_JMP_LEN;
			s->len -= RW_JMP_LEN;
			return 0;
		}
	}
	return -1;
}

/* Point the window's bytes at the trampoline: jmp rel32 there, or (with
 * an island) jmp rel8 to the island, which holds the jmp rel32. */
static void redirect(struct rw_image *img, struct rw_plan *pl,
		     uint32_t start, uint32_t end, uint32_t tramp,
		     uint32_t island)
{
	uint8_t *orig = rw_bytes_at(img, start, end - start);
	memset(orig, 0xcc, end - start);
	if (!island) {
		orig[0] = 0xe9;
		put_le32(orig + 1, tramp - (start + 5));
		island_add(pl, start + RW_JMP_LEN, end - start - RW_JMP_LEN);
		return;
	}
	uint8_t *isl = rw_bytes_at(img, island, RW_JMP_LEN);
	orig[0] = 0xeb;
	orig[1] = (uint8_t)(island - (start + 2));
	isl[0] = 0xe9;
	put_le32(isl + 1, tramp - (island + 5));
	pl->counts.via_island++;
}

/* Move the window to the area and redirect it (see redirect); -1 if the
 * area is full. */
static int make_window(struct rw_image *img, struct rw_plan *pl,
		       struct rw_maps *m, const struct rw_win *w,
		       uint32_t island)
{
	const struct rw_insn *I = img->insns;
	uint32_t start = I[w->s].addr, end = I[w->e].addr + I[w->e].len;
	uint32_t back = I[w->last].addr + I[w->last].len;
	uint32_t tramp = pl->area.vaddr + pl->area.len;
	uint32_t save_len = pl->area.len, save_sites = pl->n_new_sites;
	size_t save_moves = pl->nmoves;
	uint8_t jmp[5] = { 0xe9 };
	int r = 0, flows = !ends_flow(img, m, w->last);
	for (size_t j = w->s; j <= w->last && r == 0; j++)
		r = emit_insn(img, pl, j);
	put_le32(jmp + 1, back - (pl->area.vaddr + pl->area.len + 5));
	if (r < 0 || (flows && !area_put(&pl->area, jmp, 5))) {
		pl->area.len = save_len;          /* undo: area full */
		pl->n_new_sites = save_sites;
		pl->nmoves = save_moves;
		for (size_t j = w->s; j <= w->last; j++)
			img->insns[j].state = RW_ST_PLAIN;
		return -1;
	}
	if (rw_debug())
		fprintf(stderr, "rw: window 0x%x..0x%x -> 0x%x%s%s\n", start,
			end, tramp, w->e > w->last ? " (ends in padding)" : "",
			island ? " (via island)" : "");
	redirect(img, pl, start, end, tramp, island);
	rw_maps_set(img, m, start, end - start, RW_MAP_USED);
	pl->counts.windows++;
	pl->counts.into_padding += w->e > w->last;
	return 0;
}

/* Pass 1: a window if one fits; failures stay PLAIN so that a later
 * window may still take them in. */
static int try_window(struct rw_image *img, struct rw_plan *pl,
		      struct rw_maps *m, size_t k)
{
	struct rw_win w;
	if (choose_window(img, m, k, RW_JMP_LEN, &w) < 0) return -1;
	return make_window(img, pl, m, &w, 0);
}

/*
 * A donor: a window of ordinary code (no sensitive instruction, no
 * alternative) near `from`, at least 10 bytes, made only to free room:
 * its jmp rel32 takes 5 bytes and the rest of its int3 fill becomes an
 * island within jmp rel8 reach of `from`.  It avoids [lo, hi).  The
 * nearest candidate wins.
 */
static int make_donor(struct rw_image *img, struct rw_plan *pl,
		      struct rw_maps *m, size_t k, uint32_t from,
		      uint32_t lo, uint32_t hi)
{
	const struct rw_insn *I = img->insns;
	struct rw_win best = { 0 }, w;
	int64_t bestd = -1;
	uint32_t min = from > 128 + RW_JMP_LEN ? from - 128 - RW_JMP_LEN : 0;
	for (size_t j = rw_insn_from(img, min); j < img->ninsns &&
	     I[j].addr + RW_JMP_LEN <= from + 127; j++) {
		int64_t d = (int64_t)I[j].addr + RW_JMP_LEN - from;
		if (I[j].scn != I[k].scn || d < -128 || !movable(img, m, j, 1))
			continue;
		w = (struct rw_win){ j, j, j };
		if (grow(img, m, &w, 2 * RW_JMP_LEN) < 0) continue;
		uint32_t end = I[w.e].addr + I[w.e].len;
		int ok = !(I[j].addr < hi && lo < end);
		for (size_t i = j; ok && i <= w.last; i++)
			ok = I[i].cls == PV_CLASS_COUNT &&
			     !(rw_maps_get(img, m, I[i].addr) & RW_MAP_ALT);
		if (ok && (bestd < 0 || (d < 0 ? -d : d) < bestd)) {
			best = w;
			bestd = d < 0 ? -d : d;
		}
	}
	if (bestd < 0 || make_window(img, pl, m, &best, 0) < 0) return -1;
	pl->counts.donors++;
	return 0;
}

/*
 * Pass 2, before giving up: a short window (2-4 bytes, e.g. a 3-byte
 * function "pushf; pop %eax; ret" between two symbols) holds a jmp rel8
 * to an island: 5 bytes of another window's dead fill that hold the
 * jmp rel32 to the trampoline.  Without an island in reach, a donor
 * window makes one.
 */
static int try_short(struct rw_image *img, struct rw_plan *pl,
		     struct rw_maps *m, size_t k)
{
	const struct rw_insn *I = img->insns;
	struct rw_win w;
	uint32_t isl;
	if (choose_window(img, m, k, 2, &w) < 0) return -1;
	uint32_t start = I[w.s].addr, end = I[w.e].addr + I[w.e].len;
	if (island_take(img, pl, start + 2, &isl) < 0 &&
	    (make_donor(img, pl, m, k, start + 2, start, end) < 0 ||
	     island_take(img, pl, start + 2, &isl) < 0))
		return -1;
	return make_window(img, pl, m, &w, isl);
}

/* Pass 2: what is still PLAIN gets one more try (a window, then a short
 * window through an island), then a trap site if its class traps
 * deprivileged, else stays unresolved. */
static int fix_rest(struct rw_image *img, struct rw_plan *pl,
		    struct rw_maps *m, size_t k)
{
	struct rw_insn *in = &img->insns[k];
	if (try_window(img, pl, m, k) == 0 || try_short(img, pl, m, k) == 0)
		return 0;
	if (rw_debug())
		fprintf(stderr, "rw: 0x%x: no window\n", in->addr);
	if (pv_class_info(in->cls)->depriv == PV_DEPRIV_TRAPS) {
		in->state = RW_ST_TRAP;
		return add_site(pl, (struct pv_site){ in->addr, in->len,
				in->len, in->cls, PV_ORIGIN_TRAP });
	}
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
	free(pl->islands);
	memset(pl, 0, sizeof *pl);
}

/* Count sensitive instructions by class and by covering site's origin. */
void rw_count(const struct rw_image *img, struct rw_counts *c)
{
	struct rw_counts keep = *c;
	memset(c, 0, sizeof *c);
	c->windows = keep.windows;
	c->bytes_added = keep.bytes_added;
	c->into_padding = keep.into_padding;
	c->via_island = keep.via_island;
	c->donors = keep.donors;
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
