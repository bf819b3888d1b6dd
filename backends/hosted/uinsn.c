/*
 * uinsn.c - does a guest user instruction write the page it faulted on?
 * The host reports a page fault in the user stub as "not mapped" without
 * saying read or write (user.c, user_pf); this answers from the
 * instruction's bytes, and only when certain: 1 if its memory operand is
 * a destination and its only memory access, or a stack, string or moffs
 * store that lands on the faulting page while its other access cannot.
 * 0 (taken as a read, which only costs the guest a second fault) for
 * everything else.  Runs: hosted process (kernel side); unit-tested by
 * tests/hosted/test_uinsn.c.
 */
#include "uinsn.h"

#define PAGE_MASK 0xfffff000u

static int is_prefix(uint8_t b)
{
	/* no 0x64/0x65 (FS/GS: their bases make the address unknown here),
	 * no 0x67 (16-bit addressing) */
	return b == 0x66 || b == 0xf0 || b == 0xf2 || b == 0xf3 ||
	       b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e;
}

/* 0F xx: setcc, cmpxchg, xadd, bts/btr/btc r/m,r, SSE/MMX stores. */
static int twobyte_writes(uint8_t op2, int mem)
{
	return mem && ((op2 >= 0x90 && op2 <= 0x9f) || op2 == 0xb0 ||
		       op2 == 0xb1 || op2 == 0xc0 || op2 == 0xc1 ||
		       op2 == 0xab || op2 == 0xb3 || op2 == 0xbb ||
		       op2 == 0x11 || op2 == 0x29 || op2 == 0x7f ||
		       op2 == 0xe7 || op2 == 0xd6);
}

int ho_insn_writes(const uint8_t *b, unsigned n, const struct ho_uctx *c)
{
	unsigned i = 0;
	while (i < n && is_prefix(b[i]))
		i++;
	if (i >= n)
		return 0;
	/* ModRM: without one (truncated bytes) no r/m form may say write */
	uint8_t op = b[i], modrm = i + 1 < n ? b[i + 1] : 0xc0;
	int mem = (modrm >> 6) != 3, reg = modrm >> 3 & 7;
	int on_stack = c->fpage == ((c->esp - 4) & PAGE_MASK);
	if (op == 0x0f)
		return i + 2 < n && twobyte_writes(b[i + 1], (b[i + 2] >> 6) != 3);
	if (op < 0x40 && (op & 7) <= 1 && (op & 0x38) != 0x38)
		return mem;                       /* ALU r/m, r (not cmp) */
	switch (op) {
	case 0x88: case 0x89: case 0xc6: case 0xc7:         /* mov */
	case 0x86: case 0x87:                               /* xchg */
	case 0xc0: case 0xc1: case 0xd0: case 0xd1: case 0xd2: case 0xd3:
		return mem;
	case 0x80: case 0x81: case 0x83:
		return mem && reg != 7;           /* not cmp */
	case 0xf6: case 0xf7:
		return mem && (reg == 2 || reg == 3);           /* not, neg */
	case 0xfe:
		return mem && reg <= 1;           /* inc, dec */
	case 0xff:
		if (mem)
			return reg <= 1;          /* inc, dec (not call/push r/m) */
		return (reg == 2 || reg == 6) && on_stack;
	case 0xa2: case 0xa3:                 /* mov moffs, al/eax */
	case 0xaa: case 0xab:                 /* stos */
		return 1;
	case 0xa4: case 0xa5:                 /* movs: reads esi, writes edi */
		return c->fpage == (c->edi & PAGE_MASK) &&
		       c->fpage != (c->esi & PAGE_MASK);
	case 0x68: case 0x6a: case 0xe8:      /* push imm, call rel */
		return on_stack;
	default:
		return op >= 0x50 && op <= 0x57 && on_stack;   /* push r32 */
	}
}
