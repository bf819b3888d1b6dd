/*
 * insn.c - decode the sensitive subset of IA-32 (see previrt/insn.h).
 * Runs: everywhere; freestanding C, no libc.
 * Facts from the Intel SDM vol. 2, opcode map (appendix A) and the ModRM /
 * SIB encoding tables (section 2.1); 32-bit code segments only.
 */
#include "previrt/insn.h"

#define NONE PV_CLASS_COUNT

/* How an opcode's operands are encoded. */
enum shape {
	SH_NONE,      /* opcode only */
	SH_IMM8,      /* ib */
	SH_IMM16,     /* iw */
	SH_FARPTR,    /* ptr16:32 (ptr16:16 with 0x66) */
	SH_MODRM,     /* ModRM, register or memory */
	SH_MODRM_MEM, /* ModRM, memory form only (mod 3 is another insn) */
};

struct opinfo { uint8_t cls; uint8_t shape; };

/* One-byte opcodes that are sensitive regardless of ModRM.reg. */
static struct opinfo one_byte(uint8_t op)
{
	switch (op) {
	case 0x06: case 0x0e: case 0x16: case 0x1e:
		return (struct opinfo){ PV_CLASS_SEG_READ, SH_NONE };
	case 0x07: case 0x17: case 0x1f:
		return (struct opinfo){ PV_CLASS_SEG_LOAD, SH_NONE };
	case 0x6c: case 0x6d: case 0x6e: case 0x6f:
		return (struct opinfo){ PV_CLASS_IO_STRING, SH_NONE };
	case 0x8c: return (struct opinfo){ PV_CLASS_SEG_READ, SH_MODRM };
	case 0x8e: return (struct opinfo){ PV_CLASS_SEG_LOAD, SH_MODRM };
	case 0x9a: case 0xea:
		return (struct opinfo){ PV_CLASS_FAR_XFER, SH_FARPTR };
	case 0x9c: return (struct opinfo){ PV_CLASS_PUSHF, SH_NONE };
	case 0x9d: return (struct opinfo){ PV_CLASS_POPF, SH_NONE };
	case 0xc4: case 0xc5:   /* mod 3 is a VEX prefix, not les/lds */
		return (struct opinfo){ PV_CLASS_SEG_LOAD_FAR, SH_MODRM_MEM };
	case 0xca: return (struct opinfo){ PV_CLASS_LRET, SH_IMM16 };
	case 0xcb: return (struct opinfo){ PV_CLASS_LRET, SH_NONE };
	case 0xcd: return (struct opinfo){ PV_CLASS_INT, SH_IMM8 };
	case 0xcf: return (struct opinfo){ PV_CLASS_IRET, SH_NONE };
	case 0xe4: case 0xe5: case 0xe6: case 0xe7:
		return (struct opinfo){ PV_CLASS_IO, SH_IMM8 };
	case 0xec: case 0xed: case 0xee: case 0xef:
		return (struct opinfo){ PV_CLASS_IO, SH_NONE };
	case 0xf4: return (struct opinfo){ PV_CLASS_HLT, SH_NONE };
	case 0xfa: return (struct opinfo){ PV_CLASS_CLI, SH_NONE };
	case 0xfb: return (struct opinfo){ PV_CLASS_STI, SH_NONE };
	case 0xff: return (struct opinfo){ NONE, SH_MODRM }; /* by reg */
	default:   return (struct opinfo){ NONE, SH_NONE };
	}
}

/* Two-byte opcodes 0F xx. */
static struct opinfo two_byte(uint8_t op)
{
	switch (op) {
	case 0x00: case 0x01:
		return (struct opinfo){ NONE, SH_MODRM };  /* by reg */
	case 0x02: case 0x03:
		return (struct opinfo){ PV_CLASS_SEG_QUERY, SH_MODRM };
	case 0x06: return (struct opinfo){ PV_CLASS_CLTS, SH_NONE };
	case 0x08: case 0x09:
		return (struct opinfo){ PV_CLASS_CACHE, SH_NONE };
	case 0x20: return (struct opinfo){ PV_CLASS_MOV_FROM_CR, SH_MODRM };
	case 0x22: return (struct opinfo){ PV_CLASS_MOV_TO_CR, SH_MODRM };
	case 0x21: case 0x23:
		return (struct opinfo){ PV_CLASS_MOV_DR, SH_MODRM };
	case 0x30: case 0x32:
		return (struct opinfo){ PV_CLASS_MSR, SH_NONE };
	case 0x34: return (struct opinfo){ PV_CLASS_SYSENTER, SH_NONE };
	case 0x35: return (struct opinfo){ PV_CLASS_SYSEXIT, SH_NONE };
	case 0xa0: case 0xa8:
		return (struct opinfo){ PV_CLASS_SEG_READ, SH_NONE };
	case 0xa1: case 0xa9:
		return (struct opinfo){ PV_CLASS_SEG_LOAD, SH_NONE };
	case 0xa2: return (struct opinfo){ PV_CLASS_CPUID, SH_NONE };
	case 0xb2: case 0xb4: case 0xb5:
		return (struct opinfo){ PV_CLASS_SEG_LOAD_FAR, SH_MODRM_MEM };
	default:   return (struct opinfo){ NONE, SH_NONE };
	}
}

/* Group opcodes: the class depends on ModRM.reg (and sometimes mod). */
static uint8_t group_class(const struct pv_insn *in)
{
	static const uint8_t grp6[8] = {     /* 0F 00 /r */
		PV_CLASS_STORE_TR_LDT, PV_CLASS_STORE_TR_LDT,
		PV_CLASS_LOAD_TR_LDT, PV_CLASS_LOAD_TR_LDT,
		PV_CLASS_SEG_QUERY, PV_CLASS_SEG_QUERY, NONE, NONE };
	static const uint8_t grp7[8] = {     /* 0F 01 /r, memory forms */
		PV_CLASS_STORE_DT, PV_CLASS_STORE_DT,
		PV_CLASS_LOAD_DT, PV_CLASS_LOAD_DT,
		PV_CLASS_SMSW, NONE, PV_CLASS_LMSW, PV_CLASS_INVLPG };

	if (!in->two_byte)   /* FF: /3 lcall m16:32, /5 ljmp m16:32 */
		return in->mod != 3 && (in->reg == 3 || in->reg == 5)
			? PV_CLASS_FAR_XFER : NONE;
	if (in->op == 0x00)
		return grp6[in->reg];
	if (in->mod != 3)
		return grp7[in->reg];
	/* 0F 01 with mod 3: only smsw r and lmsw r are ours. */
	return in->reg == 4 ? PV_CLASS_SMSW
	     : in->reg == 6 ? PV_CLASS_LMSW : NONE;
}

static int is_prefix(uint8_t b)
{
	switch (b) {
	case 0xf0: case 0xf2: case 0xf3: case 0x2e: case 0x36: case 0x3e:
	case 0x26: case 0x64: case 0x65: case 0x66: case 0x67:
		return 1;
	default:
		return 0;
	}
}

static void note_prefix(struct pv_insn *in, uint8_t b)
{
	if (b == 0x66) in->opsize16 = 1;
	else if (b == 0x67) in->addr16 = 1;
	else if (b == 0xf0) in->lock = 1;
	else if (b == 0xf2 || b == 0xf3) in->rep = b;
	else in->seg = b;
}

static int32_t read_le(const uint8_t *p, unsigned n)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint32_t)p[i] << (8 * i);
	if (n == 1) return (int8_t)v;
	if (n == 2) return (int16_t)v;
	return (int32_t)v;
}

/* ModRM (+SIB, +displacement) at p[*pos]; advances *pos. 0 or -1. */
static int decode_modrm(const uint8_t *p, size_t avail, size_t *pos,
			struct pv_insn *in)
{
	if (*pos >= avail) return -1;
	uint8_t m = p[(*pos)++];
	in->has_modrm = 1;
	in->mod = m >> 6; in->reg = (m >> 3) & 7; in->rm = m & 7;
	if (in->mod == 3) return 0;
	if (in->addr16) {
		in->disp_len = in->mod == 1 ? 1 : in->mod == 2 ? 2
			     : in->rm == 6 ? 2 : 0;
	} else {
		if (in->rm == 4) {
			if (*pos >= avail) return -1;
			uint8_t s = p[(*pos)++];
			in->has_sib = 1;
			in->scale = s >> 6; in->index = (s >> 3) & 7;
			in->base = s & 7;
		}
		in->disp_len = in->mod == 1 ? 1 : in->mod == 2 ? 4
			: (in->rm == 5 || (in->has_sib && in->base == 5)) ? 4 : 0;
	}
	if (*pos + in->disp_len > avail) return -1;
	in->disp = in->disp_len ? read_le(p + *pos, in->disp_len) : 0;
	*pos += in->disp_len;
	return 0;
}

static int decode_imm(const uint8_t *p, size_t avail, size_t *pos,
		      struct pv_insn *in, enum shape sh)
{
	unsigned off_len = in->opsize16 ? 2 : 4;
	in->imm_len = sh == SH_IMM8 ? 1 : sh == SH_IMM16 ? 2
		    : sh == SH_FARPTR ? off_len + 2 : 0;
	if (*pos + in->imm_len > avail) return -1;
	if (sh == SH_FARPTR) {
		in->imm = (uint32_t)read_le(p + *pos, off_len);
		if (off_len == 2) in->imm &= 0xffff;
		in->imm_sel = (uint16_t)read_le(p + *pos + off_len, 2);
	} else if (in->imm_len) {
		in->imm = (uint32_t)read_le(p + *pos, in->imm_len);
		in->imm &= in->imm_len == 1 ? 0xffu : 0xffffu;
	}
	*pos += in->imm_len;
	return 0;
}

int pv_insn_decode(const uint8_t *p, size_t avail, struct pv_insn *in)
{
	size_t pos = 0;
	*in = (struct pv_insn){ .cls = NONE };
	if (avail > PV_INSN_MAX_LEN) avail = PV_INSN_MAX_LEN;
	while (pos < avail && is_prefix(p[pos]))
		note_prefix(in, p[pos++]);
	if (pos >= avail) return PV_INSN_BAD;
	in->npfx = (uint8_t)pos;
	struct opinfo oi;
	if (p[pos] == 0x0f) {
		if (++pos >= avail) return PV_INSN_BAD;
		in->two_byte = 1;
		in->op = p[pos++];
		oi = two_byte(in->op);
	} else {
		in->op = p[pos++];
		oi = one_byte(in->op);
	}
	int grouped = oi.cls == NONE && oi.shape == SH_MODRM;
	if (oi.cls == NONE && !grouped) return PV_INSN_OTHER;
	if (oi.shape == SH_MODRM || oi.shape == SH_MODRM_MEM) {
		if (decode_modrm(p, avail, &pos, in) < 0) return PV_INSN_BAD;
		if (oi.shape == SH_MODRM_MEM && in->mod == 3)
			return PV_INSN_OTHER;
	}
	in->cls = grouped ? group_class(in) : oi.cls;
	if (in->cls == NONE) return PV_INSN_OTHER;
	if (decode_imm(p, avail, &pos, in, (enum shape)oi.shape) < 0)
		return PV_INSN_BAD;
	in->len = (uint8_t)pos;
	return PV_INSN_SENSITIVE;
}

unsigned pv_insn_class(const uint8_t *p, size_t avail)
{
	struct pv_insn in;
	return pv_insn_decode(p, avail, &in) == PV_INSN_SENSITIVE
		? in.cls : PV_CLASS_COUNT;
}

/* ---- the length of any instruction (pv_insn_length) ---------------- */

/* Operand encodings of the length decoder: ModRM present, immediate size
 * (z: 4, or 2 with 0x66). */
enum { L_BAD = 0xff, L_M = 0x80, L_I8 = 1, L_I16 = 2, L_IZ = 3,
       L_I16_8 = 4, L_MOFFS = 5, L_FAR = 6 };

/* One-byte opcode map (SDM vol. 2, table A-2), 32-bit mode. */
static uint8_t len_one(uint8_t op)
{
	if (op < 0x40) {
		switch (op & 7) {
		case 0: case 1: case 2: case 3: return L_M;   /* ALU r/m */
		case 4: return L_I8;                          /* AL, ib */
		case 5: return L_IZ;                          /* eAX, iz */
		default: return 0;   /* push/pop seg, daa.. (0x0f elsewhere) */
		}
	}
	if (op < 0x62 || (op >= 0x90 && op <= 0x99) || (op >= 0x9b &&
	    op <= 0x9f) || (op >= 0xa4 && op <= 0xa7) || (op >= 0xaa &&
	    op <= 0xaf) || (op >= 0x6c && op <= 0x6f) || (op >= 0xf4 &&
	    op <= 0xf5) || (op >= 0xf8 && op <= 0xfd) || (op >= 0xec &&
	    op <= 0xef))
		return 0;
	if ((op >= 0x70 && op <= 0x7f) || (op >= 0xb0 && op <= 0xb7) ||
	    (op >= 0xe0 && op <= 0xe7))
		return L_I8;
	if (op >= 0xb8 && op <= 0xbf)
		return L_IZ;
	if ((op >= 0x84 && op <= 0x8f) || (op >= 0xd0 && op <= 0xd3) ||
	    (op >= 0xd8 && op <= 0xdf) || op == 0x62 || op == 0x63 ||
	    op == 0xc4 || op == 0xc5 || op == 0xfe || op == 0xff)
		return L_M;
	switch (op) {
	case 0x68: case 0xa9: case 0xe8: case 0xe9: return L_IZ;
	case 0x69: case 0x81: case 0xc7: return L_M | L_IZ;
	case 0x6a: case 0xa8: case 0xcd: case 0xd4: case 0xd5: case 0xeb:
		return L_I8;
	case 0x6b: case 0x80: case 0x82: case 0x83: case 0xc0: case 0xc1:
	case 0xc6:
		return L_M | L_I8;
	case 0xa0: case 0xa1: case 0xa2: case 0xa3: return L_MOFFS;
	case 0x9a: case 0xea: return L_FAR;
	case 0xc2: case 0xca: return L_I16;
	case 0xc8: return L_I16_8;
	case 0xc3: case 0xc9: case 0xcb: case 0xcc: case 0xce: case 0xcf:
	case 0xd6: case 0xd7: case 0xf1:
		return 0;
	case 0xf6: case 0xf7: return L_M;      /* test's immediate: by reg */
	default: return L_BAD;                 /* prefixes, 0x0f */
	}
}

/* Two-byte opcode map (table A-3): ModRM everywhere but these. */
static uint8_t len_two(uint8_t op)
{
	switch (op) {
	case 0x05: case 0x06: case 0x07: case 0x08: case 0x09: case 0x0b:
	case 0x0e: case 0x30: case 0x31: case 0x32: case 0x33: case 0x34:
	case 0x35: case 0x37: case 0x77: case 0xa0: case 0xa1: case 0xa2:
	case 0xa8: case 0xa9: case 0xaa:
		return 0;
	case 0x04: case 0x0a: case 0x0c: case 0x25: case 0x27: case 0x36:
	case 0x39: case 0x3b: case 0x3c: case 0x3d: case 0x3e: case 0x3f:
	case 0x7a: case 0x7b:
		return L_BAD;
	case 0x0f: case 0x70: case 0x71: case 0x72: case 0x73: case 0xa4:
	case 0xac: case 0xba: case 0xc2: case 0xc4: case 0xc5: case 0xc6:
	case 0x3a:
		return L_M | L_I8;
	default:
		if (op >= 0x80 && op <= 0x8f) return L_IZ;   /* jcc rel */
		if (op >= 0xc8 && op <= 0xcf) return 0;     /* bswap */
		return L_M;
	}
}

int pv_insn_length(const uint8_t *p, size_t avail)
{
	struct pv_insn in = { 0 };
	size_t pos = 0;
	uint8_t enc;
	if (avail > PV_INSN_MAX_LEN) avail = PV_INSN_MAX_LEN;
	while (pos < avail && is_prefix(p[pos]))
		note_prefix(&in, p[pos++]);
	if (pos >= avail) return -1;
	if (p[pos] == 0x0f) {
		if (++pos >= avail) return -1;
		uint8_t op = p[pos++];
		if (op == 0x38 || op == 0x3a) {     /* three-byte maps */
			if (pos++ >= avail) return -1;
		}
		enc = len_two(op);
	} else {
		uint8_t op = p[pos++];
		enc = len_one(op);
		/* C4/C5 with mod 3 are VEX prefixes: not IA-32 code here. */
		if ((op == 0xc4 || op == 0xc5) && (pos >= avail ||
						   p[pos] >= 0xc0))
			return -1;
		if ((op == 0xf6 || op == 0xf7) && pos < avail &&
		    ((p[pos] >> 3) & 7) < 2)
			enc = L_M | (op == 0xf6 ? L_I8 : L_IZ);
	}
	if (enc == L_BAD) return -1;
	if ((enc & L_M) && decode_modrm(p, avail, &pos, &in) < 0) return -1;
	unsigned z = in.opsize16 ? 2 : 4;
	switch (enc & 0x7f) {
	case L_I8: pos += 1; break;
	case L_I16: pos += 2; break;
	case L_IZ: pos += z; break;
	case L_I16_8: pos += 3; break;
	case L_MOFFS: pos += in.addr16 ? 2 : 4; break;
	case L_FAR: pos += z + 2; break;
	default: break;
	}
	return pos <= avail ? (int)pos : -1;
}
