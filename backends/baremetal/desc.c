/*
 * desc.c - descriptor encode/decode, demotion and selector translation
 * (see desc.h).  Runs: monitor ring 0 and host tests; pure C.
 */
#include "desc.h"

void bm_desc_decode(uint64_t d, struct bm_seg *s)
{
	uint32_t lo = (uint32_t)d, hi = (uint32_t)(d >> 32);
	uint32_t lim = (lo & 0xffff) | (hi & 0x000f0000);
	s->base = (lo >> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000);
	s->type = (hi >> 8) & 0xf;
	s->s = (hi >> 12) & 1;
	s->dpl = (hi >> 13) & 3;
	s->p = (hi >> 15) & 1;
	s->avl = (hi >> 20) & 1;
	s->db = (hi >> 22) & 1;
	s->limit = (hi & (1u << 23)) ? (lim << 12) | 0xfff : lim;
}

/* Encodes exactly when the byte limit fits 20 bits, else with 4 KiB
 * granularity (rounding a non-page-aligned limit DOWN). */
uint64_t bm_desc_encode(const struct bm_seg *s)
{
	uint32_t lim = s->limit, g = 0;
	if (lim > 0xfffff) {
		g = 1;
		lim = (lim & 0xfff) == 0xfff ? lim >> 12 : (lim >> 12) - 1;
	}
	uint32_t lo = (lim & 0xffff) | (s->base << 16);
	uint32_t hi = ((s->base >> 16) & 0xff) | (s->base & 0xff000000) |
		(lim & 0x000f0000) | ((uint32_t)(s->type & 0xf) << 8) |
		((uint32_t)(s->s & 1) << 12) | ((uint32_t)(s->dpl & 3) << 13) |
		((uint32_t)(s->p & 1) << 15) | ((uint32_t)(s->avl & 1) << 20) |
		((uint32_t)(s->db & 1) << 22) | (g << 23);
	return ((uint64_t)hi << 32) | lo;
}

/* A present 32-bit code/data (s = 1) or system (s = 0) descriptor. */
uint64_t bm_desc_seg(uint32_t base, uint32_t limit, unsigned type,
		     unsigned dpl, int s)
{
	struct bm_seg d = { base, limit, (uint8_t)type, (uint8_t)s,
			    (uint8_t)dpl, 1, 0, (uint8_t)(s ? 1 : 0) };
	return bm_desc_encode(&d);
}

/* A present 32-bit interrupt (trap = 0) or trap gate. */
uint64_t bm_desc_gate(uint32_t off, uint16_t sel, unsigned dpl, int trap)
{
	uint32_t lo = (off & 0xffff) | ((uint32_t)sel << 16);
	uint32_t hi = (off & 0xffff0000) | 0x8000 | ((dpl & 3) << 13) |
		((trap ? 0xfu : 0xeu) << 8);
	return ((uint64_t)hi << 32) | lo;
}

static uint64_t not_present(uint64_t g)
{
	return g & ~(1ull << 47);
}

static int demote_system(uint64_t g, uint64_t *real, const char **why)
{
	struct bm_seg s;
	bm_desc_decode(g, &s);
	*real = not_present(g);
	switch (s.type) {
	case 0x1: case 0x3: case 0x9: case 0xb:   /* TSS */
	case 0x2:                                 /* LDT */
		return BM_DESC_HIDDEN;
	case 0x4: case 0xc:
		*why = "call gate";
		return BM_DESC_REFUSED;
	default:
		*why = "gate or reserved system descriptor";
		return BM_DESC_REFUSED;
	}
}

int bm_desc_demote(uint64_t g, uint32_t end, uint64_t *real,
		   const char **why)
{
	struct bm_seg s;
	*why = 0;
	bm_desc_decode(g, &s);
	if (!s.s)
		return s.p ? demote_system(g, real, why)
			   : (*real = g, BM_DESC_OK);
	if (s.dpl == 0)
		s.dpl = 1;
	if (!(s.type & BM_TYPE_CODE) && (s.type & BM_TYPE_EXPDOWN)) {
		*why = "expand-down data segment reaches the monitor";
		s.p = 0;
		*real = bm_desc_encode(&s);
		return BM_DESC_REFUSED;
	}
	if (s.base >= end) {
		*why = "segment based in the monitor's region";
		s.p = 0;
		s.base = 0;
		s.limit = 0;
		*real = bm_desc_encode(&s);
		return BM_DESC_REFUSED;
	}
	if (s.limit > end - 1 - s.base)
		s.limit = end - 1 - s.base;
	*real = bm_desc_encode(&s);
	return BM_DESC_OK;
}

uint16_t bm_sel_to_real(uint16_t sel)
{
	if ((sel & ~3u) == 0)
		return sel;
	return (sel & 3) == 0 ? sel | 1 : sel;
}

uint16_t bm_sel_to_guest(uint16_t sel)
{
	if ((sel & ~3u) == 0)
		return sel;
	return (sel & 3) == 1 ? sel & ~3u : sel;
}
