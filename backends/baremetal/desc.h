/*
 * desc.h - IA-32 segment descriptors and selectors as the monitor sees
 * them: encode/decode, demotion of the guest's descriptors (ring 0 -> 1,
 * limits clipped below the monitor) and selector translation.  Runs:
 * monitor ring 0 and host (criterion tests: tests/baremetal); pure C.
 */
#ifndef BM_DESC_H
#define BM_DESC_H

#include <stdint.h>

/* A decoded descriptor; limit is in BYTES (granularity applied). */
struct bm_seg {
	uint32_t base, limit;
	uint8_t type;     /* 4-bit type field */
	uint8_t s;        /* 1 = code/data, 0 = system */
	uint8_t dpl, p, avl, db;
};

#define BM_TYPE_CODE     0x8    /* code/data type bits (s = 1) */
#define BM_TYPE_CONFORM  0x4    /* code: conforming */
#define BM_TYPE_EXPDOWN  0x4    /* data: expand-down */
#define BM_TYPE_WRITE    0x2    /* data: writable; code: readable */

enum bm_demote {
	BM_DESC_OK = 0,       /* usable, demoted and clipped */
	BM_DESC_HIDDEN = 1,   /* TSS/LDT: the monitor emulates it; the real
				 entry is made not-present */
	BM_DESC_REFUSED = 2,  /* call/task/interrupt gate, expand-down or
				 based above the monitor: not-present */
};

void     bm_desc_decode(uint64_t d, struct bm_seg *s);
uint64_t bm_desc_encode(const struct bm_seg *s);
uint64_t bm_desc_seg(uint32_t base, uint32_t limit, unsigned type,
		     unsigned dpl, int s);
uint64_t bm_desc_gate(uint32_t off, uint16_t sel, unsigned dpl, int trap);

/* Demote guest descriptor g into *real, keeping guest segments below
 * `end` (AB_WEDGE_GUEST_END).  Returns enum bm_demote; *why names the
 * reason for a refusal (or NULL). */
int bm_desc_demote(uint64_t g, uint32_t end, uint64_t *real,
		   const char **why);

/* Guest RPL 0 <-> real RPL 1; null selectors stay null. */
uint16_t bm_sel_to_real(uint16_t guest_sel);
uint16_t bm_sel_to_guest(uint16_t real_sel);

#endif
