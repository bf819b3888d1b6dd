/*
 * ea.h - the memory operand of the guest instruction that raised #GP(0):
 * enough of an IA-32 decoder (ModRM/SIB, moffs, string ops) to tell
 * "the guest touched the monitor's region beyond its segment limit" from
 * other #GPs.  Runs: monitor ring 0 and host (criterion tests).
 */
#ifndef BM_EA_H
#define BM_EA_H

#include <stdint.h>
#include "previrt/backend.h"

struct bm_ea {
	uint32_t addr;    /* linear address (guest segments have base 0) */
	uint8_t size;     /* operand bytes */
	uint8_t write;    /* 1: the instruction stores to it */
};

/* Decode the instruction in b[0..15] (as at r->eip); 0 with *ea filled,
 * or -1 when it has no (decodable) memory operand.  Pure C (host tests). */
int bm_ea_bytes(const uint8_t *b, const struct ab_regs *r, struct bm_ea *ea);

#endif
