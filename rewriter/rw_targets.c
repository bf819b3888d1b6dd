/*
 * rw_targets.c - what points into the code, so windows never break it.
 * A byte is a TARGET if control may arrive there: a relative branch's
 * destination, a symbol, the entry point, any 32-bit word of allocated
 * data or of an instruction's bytes that holds a code address (jump
 * tables, function pointers, pushed return labels; conservative), or the
 * landing pad of a Linux exception table.  A byte is PINNED if it may not
 * move at all: relocated fields, instructions named by address tables
 * (Linux __jump_table, .altinstructions replacements, BUG ud2s, static
 * call trampolines), and existing sites.  An alternative's original range is ALT: it moves only
 * whole, and rw_tables.c then updates its .altinstructions entry.  Instructions and landing pads named by Linux's __ex_table are
 * TABLE: they may move, because rw_plan.c rewrites the table.  Runs: host tool (previrt-rewrite).
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include "rw.h"

/* Section index (into img->scns) of the executable byte a, or -1. */
static int exec_scn(const struct rw_image *img, uint32_t a)
{
	for (unsigned i = 0; i < img->nscn; i++) {
		const struct rw_scn *s = &img->scns[i];
		if (s->exec && a >= s->addr && a - s->addr < s->size)
			return (int)i;
	}
	return -1;
}

int rw_maps_get(const struct rw_image *img, const struct rw_maps *m,
		uint32_t a)
{
	int i = exec_scn(img, a);
	return i < 0 ? 0 : m->scn[i][a - img->scns[i].addr];
}

void rw_maps_set(struct rw_image *img, struct rw_maps *m, uint32_t a,
		 uint32_t len, int flag)
{
	for (uint32_t k = 0; k < len; k++) {
		int i = exec_scn(img, a + k);
		if (i >= 0) m->scn[i][a + k - img->scns[i].addr] |= flag;
	}
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Distinct non-zero p_vaddr - p_paddr of the PT_LOADs (physical aliases
 * of code addresses, used by code that runs before paging). */
static uint32_t rw_v2p[8];
static unsigned rw_nv2p;

static void collect_v2p(const struct rw_image *img)
{
	rw_nv2p = 0;
	for (unsigned i = 0; i < img->phnum && rw_nv2p < 8; i++) {
		const struct rw_phdr *p = &img->phdrs[i];
		uint32_t off = p->vaddr - p->paddr;
		int seen = !off || p->type != PT_LOAD;
		for (unsigned j = 0; j < rw_nv2p; j++) seen |= rw_v2p[j] == off;
		if (!seen) rw_v2p[rw_nv2p++] = off;
	}
}

static void data_word_at(struct rw_image *img, struct rw_maps *m, uint32_t v);

/* A word that may hold a code address, virtual or physical. */
static void data_word(struct rw_image *img, struct rw_maps *m, uint32_t v)
{
	data_word_at(img, m, v);
	for (unsigned j = 0; j < rw_nv2p; j++)
		data_word_at(img, m, v + rw_v2p[j]);
}

/*
 * A code address seen in data: a target; a ud2 (BUG/WARN) is pinned.
 * Only instruction starts count: control never arrives mid-instruction
 * if the disassembly is right (which every window relies on anyway), so
 * a word that points inside an instruction is not a code pointer.
 */
static void data_word_at(struct rw_image *img, struct rw_maps *m, uint32_t v)
{
	int i = exec_scn(img, v);
	if (i < 0 || rw_insn_index(img, v) == (size_t)-1) return;
	m->scn[i][v - img->scns[i].addr] |= RW_MAP_TARGET | RW_MAP_REF;
	const uint8_t *p = rw_bytes_at(img, v, 2);
	if (p && p[0] == 0x0f && p[1] == 0x0b)
		rw_maps_set(img, m, v, 2, RW_MAP_PINNED);
}

/* Bytes per entry of a relocation section kept in the image (ld
 * --emit-relocs, as Linux links a RELOCATABLE kernel), 0 for others. */
static size_t rel_entsize(const struct rw_scn *s)
{
	return s->type == SHT_REL ? sizeof(Elf32_Rel)
	     : s->type == SHT_RELA ? sizeof(Elf32_Rela) : 0;
}

/* The loaded, non-code section holding [a, a+4), or NULL. */
static const struct rw_scn *data_scn_at(const struct rw_image *img,
					uint32_t a)
{
	for (unsigned i = 0; i < img->nscn; i++) {
		const struct rw_scn *s = &img->scns[i];
		if ((s->flags & SHF_ALLOC) && !s->exec &&
		    s->type != SHT_NOBITS && a >= s->addr && s->size >= 4 &&
		    a - s->addr <= s->size - 4)
			return s;
	}
	return NULL;
}

/* Does the image keep its link-time relocations (ld --emit-relocs:
 * relocation sections that are not loaded)?  A static program's loaded
 * .rel.plt alone says nothing about its other words. */
static int has_link_relocs(const struct rw_image *img)
{
	for (unsigned i = 0; i < img->nscn; i++)
		if (rel_entsize(&img->scns[i]) && img->scns[i].size &&
		    !(img->scns[i].flags & SHF_ALLOC))
			return 1;
	return 0;
}

/* With link-time relocations a data word is a code address exactly when
 * an absolute relocation (R_386_32) names it: 1 if they were used, else
 * 0 (the image has none). */
static int scan_data_relocs(struct rw_image *img, struct rw_maps *m)
{
	if (!has_link_relocs(img))
		return 0;
	for (unsigned i = 0; i < img->nscn; i++) {
		const struct rw_scn *r = &img->scns[i];
		size_t esz = rel_entsize(r);
		for (size_t o = 0; esz && o + esz <= r->size; o += esz) {
			uint32_t off = le32(img->buf + r->off + o);
			uint32_t type = le32(img->buf + r->off + o + 4) & 0xff;
			const struct rw_scn *d = data_scn_at(img, off);
			if (type == R_386_32 && d)
				data_word(img, m, le32(img->buf + d->off +
						      (off - d->addr)));
		}
	}
	return 1;
}

/* Without relocations, any aligned data word that equals an instruction
 * start (virtual, or physical for code run before paging) is taken for a
 * code address: safe, but in a large image many plain numbers match. */
static void scan_data(struct rw_image *img, struct rw_maps *m)
{
	if (scan_data_relocs(img, m))
		return;
	for (unsigned i = 0; i < img->nscn; i++) {
		const struct rw_scn *s = &img->scns[i];
		if (!(s->flags & SHF_ALLOC) || s->exec || s->type == SHT_NOBITS)
			continue;
		const uint8_t *p = img->buf + s->off;
		uint32_t skip = (4 - (s->addr & 3)) & 3;
		for (uint32_t o = skip; o + 4 <= s->size; o += 4)
			data_word(img, m, le32(p + o));
	}
}

/* Branch destinations and every code address embedded in code bytes. */
static void scan_code(struct rw_image *img, struct rw_maps *m)
{
	for (size_t k = 0; k < img->ninsns; k++) {
		const struct rw_insn *in = &img->insns[k];
		if (in->branch >= RW_BR_CALL && in->branch <= RW_BR_OTHER_REL)
			rw_maps_set(img, m, in->target, 1, RW_MAP_TARGET | RW_MAP_REF);
		/* 32-bit immediates and displacements sit at the end of an
		 * instruction, or before an imm8/imm16/imm32 or a far
		 * pointer's selector. */
		static const uint8_t from_end[] = { 4, 5, 6, 8 };
		const uint8_t *p = rw_bytes_at(img, in->addr, in->len);
		for (unsigned j = 0; p && j < sizeof from_end; j++)
			if (in->len >= from_end[j] + 1)
				data_word(img, m, le32(p + in->len -
						       from_end[j]));
	}
}

/* Symbols are targets.  Linux's static-call trampolines (__SCT__*,
 * arch/x86/kernel/static_call.c) are rewritten at run time: pinned. */
static void scan_syms(struct rw_image *img, struct rw_maps *m)
{
	for (unsigned i = 0; i < img->nsyms; i++) {
		const struct rw_sym *s = &img->syms[i];
		rw_maps_set(img, m, s->addr, 1, RW_MAP_TARGET);
		if (!strncmp(s->name, "__SCT__", 7))
			rw_maps_set(img, m, s->addr, s->size, RW_MAP_PINNED);
	}
	rw_maps_set(img, m, img->entry, 1, RW_MAP_TARGET | RW_MAP_REF);
}

/*
 * Linux 6.1 i386 address tables, each entry a run of s32 fields relative
 * to the field's own address (arch/x86/include/asm/extable.h,
 * jump_label.h, alternative.h).  Fields: pin N bytes, or mark a target.
 */
struct rw_reltab {
	const char *section;
	unsigned entsize;
	int8_t pin_off, pin_len_off;   /* pinned insn; len byte (-1: 1 byte) */
	int8_t pin2_off, pin2_len_off; /* second pinned range, -1 none */
	int8_t target_off;             /* landing pad, -1 none */
	uint8_t pin_len;               /* fixed length when no len byte */
};

static const struct rw_reltab rw_linux_tables[] = {
	/* struct jump_entry { s32 code, target; long key; }: 2 or 5 bytes */
	{ "__jump_table", 12, 0, -1, -1, -1, 4, 5 },
};

static uint32_t rel_field(const struct rw_image *img, const struct rw_scn *s,
			  uint32_t o)
{
	return s->addr + o + le32(img->buf + s->off + o);
}

static void scan_reltab(struct rw_image *img, struct rw_maps *m,
			const struct rw_reltab *t)
{
	const struct rw_scn *s = rw_scn_named(img, t->section);
	if (!s || s->type == SHT_NOBITS || !(s->flags & SHF_ALLOC)) return;
	const uint8_t *p = img->buf + s->off;
	for (uint32_t o = 0; o + t->entsize <= s->size; o += t->entsize) {
		uint32_t len = t->pin_len_off >= 0 ? p[o + t->pin_len_off]
						   : t->pin_len;
		rw_maps_set(img, m, rel_field(img, s, o + t->pin_off), len,
			    RW_MAP_PINNED);
		if (t->pin2_off >= 0)
			rw_maps_set(img, m, rel_field(img, s, o + t->pin2_off),
				    p[o + t->pin2_len_off], RW_MAP_PINNED);
		if (t->target_off >= 0)
			rw_maps_set(img, m, rel_field(img, s, o + t->target_off),
				    1, RW_MAP_TARGET | RW_MAP_REF);
	}
}

/* __ex_table { int insn, fixup, data; }: both ends may move with it. */
static void scan_extable(struct rw_image *img, struct rw_maps *m)
{
	const struct rw_scn *s = rw_scn_named(img, "__ex_table");
	if (!s || s->type == SHT_NOBITS || !(s->flags & SHF_ALLOC)) return;
	for (uint32_t o = 0; o + 12 <= s->size; o += 12) {
		rw_maps_set(img, m, rel_field(img, s, o), 1,
			    RW_MAP_TABLE | RW_MAP_REF);
		rw_maps_set(img, m, rel_field(img, s, o + 4), 1,
			    RW_MAP_TABLE | RW_MAP_REF);
	}
}

static int alt_cmp(const void *a, const void *b)
{
	const struct rw_alt *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * .altinstructions (struct alt_instr { s32 instr, repl; u16 cpuid; u8
 * instrlen, replacementlen; }): the replacement is copied over the
 * original at boot, so the replacement never moves (PINNED) and the
 * original may move only whole, with its entry (ALT, rw_tables.c).
 */
static int scan_alts(struct rw_image *img, struct rw_maps *m)
{
	const struct rw_scn *s = rw_scn_named(img, ".altinstructions");
	if (!s || s->type == SHT_NOBITS || !(s->flags & SHF_ALLOC)) return 0;
	const uint8_t *p = img->buf + s->off;
	m->alts = calloc(s->size / 12 + 1, sizeof *m->alts);
	if (!m->alts) return rw_err(img, "out of memory");
	for (uint32_t o = 0; o + 12 <= s->size; o += 12) {
		uint32_t ins = rel_field(img, s, o), ilen = p[o + 10];
		rw_maps_set(img, m, ins, ilen, RW_MAP_ALT | RW_MAP_REF);
		rw_maps_set(img, m, rel_field(img, s, o + 4), p[o + 11],
			    RW_MAP_PINNED);
		m->alts[m->nalts++] = (struct rw_alt){ ins, ilen };
	}
	qsort(m->alts, m->nalts, sizeof *m->alts, alt_cmp);
	return 0;
}

/* Existing sites are patched at run time: they never move. */
static void scan_sites(struct rw_image *img, struct rw_maps *m)
{
	for (unsigned i = 0; i < img->nsites; i++)
		if (img->sites[i].addr)
			rw_maps_set(img, m, img->sites[i].addr,
				    img->sites[i].len, RW_MAP_PINNED);
}

int rw_maps_build(struct rw_image *img, struct rw_maps *m)
{
	m->n = img->nscn;
	m->scn = calloc(img->nscn + 1, sizeof *m->scn);
	if (!m->scn) return rw_err(img, "out of memory");
	for (unsigned i = 0; i < img->nscn; i++)
		if (img->scns[i].exec &&
		    !(m->scn[i] = calloc(1, img->scns[i].size)))
			return rw_err(img, "out of memory");
	collect_v2p(img);
	scan_syms(img, m);
	scan_code(img, m);
	scan_data(img, m);
	for (size_t t = 0; t < sizeof rw_linux_tables /
				  sizeof rw_linux_tables[0]; t++)
		scan_reltab(img, m, &rw_linux_tables[t]);
	scan_extable(img, m);
	scan_sites(img, m);
	return scan_alts(img, m);
}

void rw_maps_free(struct rw_maps *m)
{
	for (unsigned i = 0; m->scn && i < m->n; i++)
		free(m->scn[i]);
	free(m->scn);
	free(m->alts);
	m->scn = NULL;
	m->alts = NULL;
}
