/*
 * uinsn.h - declares uinsn.c: whether a guest user instruction writes
 * the page it faulted on.  Runs: hosted process; tests.
 */
#ifndef HO_UINSN_H
#define HO_UINSN_H
#include <stdint.h>

/* What the decision needs besides the bytes: the faulting page and the
 * registers of the implicit operands. */
struct ho_uctx { uint32_t fpage, esp, esi, edi; };

/* 1 if the instruction in b[0..n) (32-bit code) certainly writes page
 * c->fpage, 0 if it may not. */
int ho_insn_writes(const uint8_t *b, unsigned n, const struct ho_uctx *c);

#endif
