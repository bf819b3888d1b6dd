/*
 * ea.c - effective address of a faulting guest instruction (see ea.h).
 * Only 32-bit addressing; segment bases are taken as 0 (the guest's flat
 * segments).  Runs: monitor ring 0 and host tests; pure C.
 */
#include "ea.h"

static uint32_t reg(const struct ab_regs *r, unsigned n)
{
	switch (n & 7) {
	case 0: return r->eax;
	case 1: return r->ecx;
	case 2: return r->edx;
	case 3: return r->ebx;
	case 4: return r->esp;
	case 5: return r->ebp;
	case 6: return r->esi;
	default: return r->edi;
	}
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ModRM (+SIB, disp) at p; -1 if the operand is a register. */
static int modrm_ea(const struct ab_regs *r, const uint8_t *p, uint32_t *ea)
{
	unsigned mod = p[0] >> 6, rm = p[0] & 7;
	const uint8_t *q = p + 1;
	uint32_t a = 0;
	if (mod == 3)
		return -1;
	if (rm == 4) {
		unsigned sib = *q++, base = sib & 7, idx = (sib >> 3) & 7;
		if (idx != 4)
			a += reg(r, idx) << (sib >> 6);
		if (base == 5 && mod == 0) { a += le32(q); q += 4; }
		else a += reg(r, base);
	} else if (rm == 5 && mod == 0) {
		a = le32(q); q += 4;
	} else {
		a = reg(r, rm);
	}
	if (mod == 1) a += (uint32_t)(int8_t)*q;
	if (mod == 2) a += le32(q);
	*ea = a;
	return 0;
}

static int has_modrm(unsigned op)
{
	return (op < 0x40 && (op & 7) <= 3) || op == 0x62 || op == 0x63 ||
		op == 0x69 || op == 0x6b || (op >= 0x80 && op <= 0x8f) ||
		op == 0xc0 || op == 0xc1 || op == 0xc6 || op == 0xc7 ||
		(op >= 0xd0 && op <= 0xd3) || (op >= 0xd8 && op <= 0xdf) ||
		op == 0xf6 || op == 0xf7 || op == 0xfe || op == 0xff;
}

/* Does one-byte opcode op store through its ModRM operand? */
static int stores(unsigned op, unsigned regf)
{
	if (op < 0x40 && (op & 7) <= 1)
		return (op & 0x38) != 0x38;       /* ALU r/m, r (not cmp) */
	if (op >= 0x80 && op <= 0x83)
		return regf != 7;
	return op == 0x88 || op == 0x89 || op == 0xc6 || op == 0xc7 ||
		op == 0x86 || op == 0x87 || op == 0x8c ||
		((op == 0xfe || op == 0xff) && regf <= 1) ||
		(op >= 0xc0 && op <= 0xd3 && op != 0xc2 && op != 0xc3 &&
		 (op <= 0xc1 || op >= 0xd0));
}

int bm_ea_bytes(const uint8_t *b, const struct ab_regs *r, struct bm_ea *ea)
{
	unsigned i = 0, osz = 4;
	for (; i < 4; i++) {
		if (b[i] == 0x66) osz = 2;
		else if (b[i] == 0x67) return -1;
		else if (!(b[i] == 0xf0 || b[i] == 0xf2 || b[i] == 0xf3 ||
			   b[i] == 0x26 || b[i] == 0x2e || b[i] == 0x36 ||
			   b[i] == 0x3e || b[i] == 0x64 || b[i] == 0x65))
			break;
	}
	unsigned op = b[i];
	ea->size = (uint8_t)((op & 1) ? osz : 1);
	if (op >= 0xa0 && op <= 0xa3) {           /* mov moffs */
		ea->addr = le32(b + i + 1);
		ea->write = op >= 0xa2;
		return 0;
	}
	if (op >= 0xa4 && op <= 0xaf && op != 0xa8 && op != 0xa9) {
		int dst = op == 0xa4 || op == 0xa5 || op == 0xaa || op == 0xab;
		ea->addr = dst ? r->edi : r->esi;
		ea->write = (uint8_t)dst;
		return 0;
	}
	if (!has_modrm(op) || op == 0x8d)
		return -1;
	ea->write = (uint8_t)stores(op, (b[i + 1] >> 3) & 7);
	return modrm_ea(r, b + i + 1, &ea->addr);
}
