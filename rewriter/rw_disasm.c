/*
 * rw_disasm.c - linear-sweep disassembly of every executable section with
 * LLVM's MC disassembler (LLVM-C, triple i386-pc-none-elf): LLVM gives the
 * instruction boundaries and text; pv_insn_decode gives the sensitive
 * class; the relative branch forms (call/jmp/jcc rel8/rel32, loop, jcxz)
 * are recognised from their opcode bytes here so the planner can re-encode
 * them.  Decoding restarts at each symbol.  Runs: host tool
 * (previrt-rewrite).
 */
#include <llvm-c/Disassembler.h>
#include <llvm-c/Target.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "previrt/insn.h"
#include "rw.h"

static LLVMDisasmContextRef rw_dc;

int rw_disasm_init(void)
{
	if (rw_dc) return 0;
	LLVMInitializeX86TargetInfo();
	LLVMInitializeX86TargetMC();
	LLVMInitializeX86Disassembler();
	rw_dc = LLVMCreateDisasm("i386-pc-none-elf", NULL, 0, NULL, NULL);
	if (!rw_dc) return -1;
	LLVMSetDisasmOptions(rw_dc, LLVMDisassembler_Option_PrintImmHex);
	return 0;
}

/* Length of the instruction at p (0 if undecodable); text optional. */
int rw_disasm_one(const uint8_t *p, size_t avail, uint32_t addr,
		  char *text, size_t textlen)
{
	char dummy[128];
	if (!text) { text = dummy; textlen = sizeof dummy; }
	text[0] = 0;
	return (int)LLVMDisasmInstruction(rw_dc, (uint8_t *)p, avail, addr,
					  text, textlen);
}

static int is_prefix(uint8_t b)
{
	return b == 0xf0 || b == 0xf2 || b == 0xf3 || b == 0x2e ||
	       b == 0x36 || b == 0x3e || b == 0x26 || b == 0x64 ||
	       b == 0x65 || b == 0x66 || b == 0x67;
}

static int32_t rel_at(const uint8_t *p, unsigned n)
{
	if (n == 1) return (int8_t)p[0];
	return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 |
			 (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}

/* Fill in->branch/target from the bytes of a decoded instruction. */
static void classify_branch(const uint8_t *p, struct rw_insn *in)
{
	unsigned i = 0, opsz16 = 0, adsz16 = 0, rel = 0;
	while (i < in->len && is_prefix(p[i])) {
		opsz16 |= p[i] == 0x66;
		adsz16 |= p[i] == 0x67;
		i++;
	}
	if (i >= in->len) return;
	uint8_t op = p[i];
	if (op == 0xe8) { in->branch = RW_BR_CALL; rel = 4; }
	else if (op == 0xe9) { in->branch = RW_BR_JMP; rel = 4; }
	else if (op == 0xeb) { in->branch = RW_BR_JMP; rel = 1; }
	else if (op >= 0x70 && op <= 0x7f) { in->branch = RW_BR_JCC; rel = 1; }
	else if (op >= 0xe0 && op <= 0xe3) {
		in->branch = RW_BR_OTHER_REL; rel = 1;
	} else if (op == 0x0f && i + 1 < in->len &&
		   p[i + 1] >= 0x80 && p[i + 1] <= 0x8f) {
		in->branch = RW_BR_JCC; rel = 4;
	}
	if (!rel) return;
	if (opsz16 && rel == 4) rel = 2;
	if (opsz16 || adsz16) in->branch = RW_BR_OTHER_REL;
	if (rel > in->len) { in->branch = RW_BR_BAD; return; }
	int32_t d = rel == 2 ? (int16_t)(p[in->len - 2] | p[in->len - 1] << 8)
		  : rel_at(p + in->len - rel, rel);
	in->target = in->addr + in->len + (uint32_t)d;
	if (opsz16) in->target &= 0xffff;
}

/* First symbol of section si at or after address a (or the end). */
static uint32_t next_sym(const struct rw_image *img, unsigned si,
			 uint32_t a, size_t *k)
{
	const struct rw_scn *s = &img->scns[si];
	while (*k < img->nsyms && img->syms[*k].addr < a) (*k)++;
	for (size_t j = *k; j < img->nsyms; j++) {
		if (img->syms[j].addr >= s->addr + s->size) break;
		if (img->syms[j].shndx == s->idx && img->syms[j].addr > a - 1)
			return img->syms[j].addr;
	}
	return s->addr + s->size;
}

static struct rw_insn *new_insn(struct rw_image *img, size_t *cap)
{
	if (img->ninsns == *cap) {
		*cap = *cap ? *cap * 2 : 4096;
		void *n = realloc(img->insns, *cap * sizeof *img->insns);
		if (!n) return NULL;
		img->insns = n;
	}
	return &img->insns[img->ninsns++];
}

/*
 * Sweep one section, appending to img->insns.  Decoding restarts at every
 * symbol of the section (as objdump does), so data or padding between
 * functions cannot desynchronise the next function; bytes that do not
 * form an instruction before the next symbol become 1-byte "bad" ones.
 */
static int sweep(struct rw_image *img, unsigned si, size_t *cap)
{
	const struct rw_scn *s = &img->scns[si];
	const uint8_t *base = img->buf + s->off;
	size_t k = 0;
	uint32_t stop = next_sym(img, si, s->addr + 1, &k);
	for (uint32_t o = 0; o < s->size;) {
		uint32_t a = s->addr + o;
		if (a >= stop) stop = next_sym(img, si, a + 1, &k);
		struct rw_insn *in = new_insn(img, cap);
		if (!in) return rw_err(img, "out of memory");
		size_t avail = stop - a;
		int len = rw_disasm_one(base + o, avail, a, NULL, 0);
		*in = (struct rw_insn){ .addr = a, .len = len ? len : 1,
			.cls = PV_CLASS_COUNT, .scn = (uint16_t)si };
		if (!len) in->branch = RW_BR_BAD;
		else classify_branch(base + o, in);
		struct pv_insn pi;
		if (len && pv_insn_decode(base + o, in->len, &pi) ==
		    PV_INSN_SENSITIVE)
			in->cls = pi.cls;
		o += in->len;
	}
	return 0;
}

static int insn_cmp(const void *a, const void *b)
{
	const struct rw_insn *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

int rw_disasm_image(struct rw_image *img)
{
	if (rw_disasm_init() < 0)
		return rw_err(img, "LLVM i386 disassembler unavailable");
	size_t cap = 0;
	free(img->insns);
	img->insns = NULL;
	img->ninsns = 0;
	for (unsigned i = 0; i < img->nscn; i++)
		if (img->scns[i].exec && sweep(img, i, &cap) < 0)
			return -1;
	qsort(img->insns, img->ninsns, sizeof *img->insns, insn_cmp);
	return 0;
}

/* Index of the first instruction at or after addr (ninsns if none). */
size_t rw_insn_from(const struct rw_image *img, uint32_t addr)
{
	size_t lo = 0, hi = img->ninsns;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (img->insns[mid].addr < addr) lo = mid + 1;
		else hi = mid;
	}
	return lo;
}

/* Index of the instruction starting at addr, or (size_t)-1. */
size_t rw_insn_index(const struct rw_image *img, uint32_t addr)
{
	size_t i = rw_insn_from(img, addr);
	return i < img->ninsns && img->insns[i].addr == addr ? i : (size_t)-1;
}
