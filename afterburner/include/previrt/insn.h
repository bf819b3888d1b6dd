/*
 * insn.h - decoder for the sensitive subset of IA-32 instructions.
 * Runs: everywhere (rewriter host tool, afterburner in the hosted process
 * and in the monitor, tests).  Freestanding C: no libc.
 *
 * This is NOT a general x86 decoder.  Given bytes that start at an
 * instruction boundary (32-bit code), it answers "is this one of the
 * sensitive instructions of classes.def, and if so which class, how long,
 * with which operands?".  Prefix and opcode (plus ModRM.reg for group
 * opcodes) decide sensitivity; the length is computed only for sensitive
 * instructions.  Tools that need the length of arbitrary instructions use
 * LLVM's disassembler (rewriter) and call this on each decoded instruction;
 * pv_insn_length is the freestanding fallback for the afterburner.
 */
#ifndef PREVIRT_INSN_H
#define PREVIRT_INSN_H

#include <stddef.h>
#include <stdint.h>
#include "previrt/sites.h"

#define PV_INSN_MAX_LEN 15

enum pv_insn_result {
	PV_INSN_SENSITIVE = 0,   /* decoded: out->cls, out->len valid */
	PV_INSN_OTHER = 1,       /* not a sensitive instruction */
	PV_INSN_BAD = -1,        /* truncated, too long or malformed */
};

struct pv_insn {
	uint8_t len;         /* total length in bytes, prefixes included */
	uint8_t cls;         /* enum pv_class */
	uint8_t npfx;        /* number of prefix bytes */
	uint8_t two_byte;    /* 1: opcode is 0F op */
	uint8_t op;          /* opcode byte (the one after 0F if two_byte) */
	uint8_t opsize16;    /* 0x66 seen: 16-bit operand size */
	uint8_t addr16;      /* 0x67 seen: 16-bit addressing */
	uint8_t rep;         /* 0xF3 or 0xF2 if present, else 0 */
	uint8_t lock;        /* 0xF0 seen */
	uint8_t seg;         /* segment override prefix byte, or 0 */
	uint8_t has_modrm;
	uint8_t mod, reg, rm;    /* ModRM fields when has_modrm */
	uint8_t has_sib;
	uint8_t scale, index, base;  /* SIB fields when has_sib */
	uint8_t disp_len;    /* 0, 1, 2 or 4 */
	uint8_t imm_len;     /* 0, 1, 2, 4 or 6 (far pointer) */
	int32_t disp;        /* sign-extended displacement */
	uint32_t imm;        /* immediate; for far pointers the offset */
	uint16_t imm_sel;    /* selector of a far pointer immediate */
};

/* Decode at p (avail bytes readable).  Returns enum pv_insn_result. */
int pv_insn_decode(const uint8_t *p, size_t avail, struct pv_insn *out);

/* The class of the instruction at p, or PV_CLASS_COUNT if none/bad. */
unsigned pv_insn_class(const uint8_t *p, size_t avail);

/* The length of any IA-32 instruction at p (general-purpose, x87, MMX,
 * SSE; not VEX/EVEX), 1..15, or -1 when p does not start one (undefined
 * opcode, VEX, truncated).  For loaders sweeping code no rewriter
 * checked (load.c); the rewriter itself uses LLVM's disassembler. */
int pv_insn_length(const uint8_t *p, size_t avail);

#endif
