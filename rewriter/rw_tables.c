/*
 * rw_tables.c - keep address tables right after instructions moved into
 * trampolines.  Linux's __ex_table (6.1 i386: struct exception_table_entry
 * { int insn, fixup, data; }, insn and fixup relative to their own field)
 * names faulting instructions and their landing pads; the kernel finds an
 * entry by the faulting EIP with a binary search, so the table is sorted
 * by insn.  Entries whose insn or fixup moved get the trampoline copy's
 * address, and the table is re-sorted and re-encoded in place.  Linux's
 * .altinstructions entries whose original range moved follow it too, and
 * so do relocations kept in the image (ld --emit-relocs) whose field lies
 * in a moved instruction: a RELOCATABLE kernel's boot-time relocation
 * then patches the copy, never the jmp left in the window.
 * Runs: host tool (previrt-rewrite).
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include "rw.h"

struct rw_ex { uint32_t insn, fixup; int32_t data; };

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24;
}

/* New address of the instruction that started at a (a if it stayed). */
static uint32_t moved_to(const struct rw_plan *pl, uint32_t a)
{
	size_t lo = 0, hi = pl->nmoves;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (pl->moves[mid].from < a) lo = mid + 1;
		else hi = mid;
	}
	return lo < pl->nmoves && pl->moves[lo].from == a
		? pl->moves[lo].to : a;
}

static int ex_cmp(const void *a, const void *b)
{
	const struct rw_ex *x = a, *y = b;
	return x->insn < y->insn ? -1 : x->insn > y->insn;
}

static int update_extable(struct rw_image *img, const struct rw_plan *pl,
			  const struct rw_scn *s)
{
	size_t n = s->size / 12, changed = 0;
	struct rw_ex *e = calloc(n + 1, sizeof *e);
	if (!e) return rw_err(img, "out of memory");
	uint8_t *p = img->buf + s->off;
	for (size_t i = 0; i < n; i++) {
		uint32_t at = s->addr + i * 12;
		uint32_t insn = at + le32(p + i * 12);
		uint32_t fix = at + 4 + le32(p + i * 12 + 4);
		e[i] = (struct rw_ex){ moved_to(pl, insn), moved_to(pl, fix),
				       (int32_t)le32(p + i * 12 + 8) };
		changed += e[i].insn != insn || e[i].fixup != fix;
	}
	if (changed) {
		qsort(e, n, sizeof *e, ex_cmp);
		for (size_t i = 0; i < n; i++) {
			uint32_t at = s->addr + i * 12;
			put_le32(p + i * 12, e[i].insn - at);
			put_le32(p + i * 12 + 4, e[i].fixup - (at + 4));
			put_le32(p + i * 12 + 8, (uint32_t)e[i].data);
		}
	}
	free(e);
	return 0;
}

/* The move record of the instruction that started at a, or NULL. */
static const struct rw_move *move_of(const struct rw_plan *pl, uint32_t a)
{
	uint32_t to = moved_to(pl, a);
	if (to == a) return NULL;
	size_t lo = 0, hi = pl->nmoves;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (pl->moves[mid].from < a) lo = mid + 1;
		else hi = mid;
	}
	return &pl->moves[lo];
}

/*
 * .altinstructions: an original range moved whole (rw_plan.c) gets its
 * new address and its new length (relocated branches may be longer), so
 * the boot-time patch lands on the copy.
 */
static int update_alts(struct rw_image *img, const struct rw_plan *pl,
		       const struct rw_scn *s)
{
	uint8_t *p = img->buf + s->off;
	for (uint32_t o = 0; o + 12 <= s->size; o += 12) {
		uint32_t at = s->addr + o, ins = at + le32(p + o);
		const struct rw_move *mv = move_of(pl, ins);
		if (!mv) continue;
		uint32_t end = ins + p[o + 10], len = 0;
		for (; mv < pl->moves + pl->nmoves && mv->from < end; mv++)
			len += mv->len;
		if (len > 255 || len < p[o + 11])
			return rw_err(img, "alternative at 0x%x: moved length "
				      "%u does not fit", ins, len);
		put_le32(p + o, moved_to(pl, ins) - at);
		p[o + 10] = (uint8_t)len;
	}
	return 0;
}

static const struct rw_scn *alloc_scn(struct rw_image *img, const char *n)
{
	const struct rw_scn *s = rw_scn_named(img, n);
	return s && s->type != SHT_NOBITS && (s->flags & SHF_ALLOC) ? s : NULL;
}

/* The move of the instruction holding byte a, or NULL. */
static const struct rw_move *move_holding(struct rw_image *img,
					  const struct rw_plan *pl, uint32_t a)
{
	size_t lo = 0, hi = pl->nmoves;
	while (lo < hi) {              /* first move with from > a */
		size_t mid = (lo + hi) / 2;
		if (pl->moves[mid].from <= a) lo = mid + 1;
		else hi = mid;
	}
	if (!lo) return NULL;
	const struct rw_move *mv = &pl->moves[lo - 1];
	size_t k = rw_insn_index(img, mv->from);
	return k != (size_t)-1 && a - mv->from < img->insns[k].len ? mv : NULL;
}

/* Relocation fields in moved instructions follow them: same offset in a
 * copy, the new rel32 for a re-encoded branch (its field is last). */
static void update_relocs(struct rw_image *img, const struct rw_plan *pl)
{
	for (unsigned i = 0; i < img->nscn; i++) {
		const struct rw_scn *r = &img->scns[i];
		size_t esz = r->type == SHT_REL ? sizeof(Elf32_Rel)
			   : r->type == SHT_RELA ? sizeof(Elf32_Rela) : 0;
		for (size_t o = 0; esz && o + esz <= r->size; o += esz) {
			uint8_t *e = img->buf + r->off + o;
			uint32_t off = le32(e);
			const struct rw_move *mv = move_holding(img, pl, off);
			if (!mv) continue;
			const struct rw_insn *in =
				&img->insns[rw_insn_index(img, mv->from)];
			int branch = in->branch == RW_BR_CALL ||
				     in->branch == RW_BR_JMP ||
				     in->branch == RW_BR_JCC;
			put_le32(e, branch ? mv->to + mv->len - 4
					   : mv->to + (off - mv->from));
		}
	}
}

int rw_tables_update(struct rw_image *img, const struct rw_plan *pl)
{
	const struct rw_scn *ex = alloc_scn(img, "__ex_table");
	const struct rw_scn *alt = alloc_scn(img, ".altinstructions");
	if (!pl->nmoves) return 0;
	if (ex && update_extable(img, pl, ex) < 0) return -1;
	if (alt && update_alts(img, pl, alt) < 0) return -1;
	update_relocs(img, pl);
	return 0;
}
