/*
 * test_insn.c - criterion tests of the sensitive-instruction decoder
 * (afterburner/src/insn.c) against the assembler as oracle.
 * Runs: host.  Used by: meson test --suite abi (env PV_INSN_CORPUS = the
 * object assembled from tests/unit/insn-corpus.S).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "previrt/insn.h"

struct corpus { Elf_Data *text, *expect; Elf *elf; int fd; };

static Elf_Data *section_data(Elf *elf, const char *want)
{
	size_t shstrndx;
	elf_getshdrstrndx(elf, &shstrndx);
	for (Elf_Scn *s = NULL; (s = elf_nextscn(elf, s));) {
		GElf_Shdr sh;
		gelf_getshdr(s, &sh);
		if (!strcmp(elf_strptr(elf, shstrndx, sh.sh_name), want))
			return elf_getdata(s, NULL);
	}
	return NULL;
}

static struct corpus open_corpus(void)
{
	struct corpus c = { 0 };
	const char *path = getenv("PV_INSN_CORPUS");
	cr_assert_not_null(path, "PV_INSN_CORPUS not set");
	elf_version(EV_CURRENT);
	c.fd = open(path, O_RDONLY);
	cr_assert_geq(c.fd, 0, "cannot open %s", path);
	c.elf = elf_begin(c.fd, ELF_C_READ, NULL);
	c.text = section_data(c.elf, ".text");
	c.expect = section_data(c.elf, ".expect");
	cr_assert(c.text && c.expect, "corpus lacks .text or .expect");
	return c;
}

static unsigned class_by_name(const char *name)
{
	for (unsigned c = 0; c < PV_CLASS_COUNT; c++)
		if (!strcmp(pv_class_info(c)->name, name))
			return c;
	return PV_CLASS_COUNT;   /* "none" */
}

Test(insn, corpus_matches_assembler)
{
	struct corpus c = open_corpus();
	const uint8_t *text = c.text->d_buf;
	const char *e = c.expect->d_buf, *end = e + c.expect->d_size;
	unsigned n = 0, sensitive = 0;
	while (e < end) {
		uint32_t off; memcpy(&off, e, 4);
		unsigned len = (uint8_t)e[4];
		const char *name = e + 5;
		e = name + strlen(name) + 1;
		struct pv_insn in;
		int r = pv_insn_decode(text + off, c.text->d_size - off, &in);
		unsigned want = class_by_name(name);
		if (want == PV_CLASS_COUNT) {
			cr_expect_eq(r, PV_INSN_OTHER, "#%u at %#x: want none", n, off);
		} else {
			sensitive++;
			cr_expect_eq(r, PV_INSN_SENSITIVE, "#%u at %#x (%s): r=%d", n, off, name, r);
			cr_expect_eq(in.cls, want, "#%u at %#x: class %u want %s", n, off, in.cls, name);
			cr_expect_eq(in.len, len, "#%u at %#x (%s): len %u want %u", n, off, name, in.len, len);
		}
		n++;
	}
	cr_assert_gt(sensitive, 80, "corpus too small: %u", sensitive);
	elf_end(c.elf); close(c.fd);
}

/* pv_insn_length: every corpus instruction, sensitive or not, has the
 * assembler's length; only VEX-encoded ones (the AVX2 entries) are -1. */
Test(insn, length_matches_assembler)
{
	struct corpus c = open_corpus();
	const uint8_t *text = c.text->d_buf;
	const char *e = c.expect->d_buf, *end = e + c.expect->d_size;
	unsigned n = 0, vex = 0;
	while (e < end) {
		uint32_t off; memcpy(&off, e, 4);
		unsigned len = (uint8_t)e[4];
		e += 5 + strlen(e + 5) + 1;
		int r = pv_insn_length(text + off, c.text->d_size - off);
		unsigned p = off;
		while (text[p] == 0x66 || text[p] == 0x67 || text[p] == 0xf2 ||
		       text[p] == 0xf3 || text[p] == 0xf0)
			p++;
		if (r < 0 && (text[p] == 0xc4 || text[p] == 0xc5)) {
			vex++;
			continue;
		}
		cr_expect_eq(r, (int)len, "#%u at %#x: length %d want %u",
			     n, off, r, len);
		n++;
	}
	cr_assert_gt(n, 100, "corpus too small: %u", n);
	cr_expect_gt(vex, 0, "no VEX entry in the corpus to refuse");
	elf_end(c.elf); close(c.fd);
}

/* Truncated, undefined and VEX openings are -1, never a read past avail. */
Test(insn, length_refuses_what_is_not_ia32)
{
	static const uint8_t ud[] = { 0x0f, 0x04 }, vex[] = { 0xc5, 0xf8, 0x77 },
		trunc[] = { 0x81, 0x05, 0, 0, 0 }, pfx[15] = { [0 ... 14] = 0x66 };
	cr_expect_eq(pv_insn_length(ud, sizeof ud), -1);
	cr_expect_eq(pv_insn_length(vex, sizeof vex), -1);
	cr_expect_eq(pv_insn_length(trunc, sizeof trunc), -1);
	cr_expect_eq(pv_insn_length(pfx, sizeof pfx), -1);
	cr_expect_eq(pv_insn_length(trunc, 0), -1);
	static const uint8_t les[] = { 0xc4, 0x06 }, enter[] = { 0xc8, 1, 0, 2 },
		testb[] = { 0xf6, 0xc0, 0x01 }, notb[] = { 0xf6, 0xd0 };
	cr_expect_eq(pv_insn_length(les, sizeof les), 2);
	cr_expect_eq(pv_insn_length(enter, sizeof enter), 4);
	cr_expect_eq(pv_insn_length(testb, sizeof testb), 3);
	cr_expect_eq(pv_insn_length(notb, sizeof notb), 2);
}

Test(insn, every_class_in_corpus)
{
	struct corpus c = open_corpus();
	int seen[PV_CLASS_COUNT] = { 0 };
	const char *e = c.expect->d_buf, *end = e + c.expect->d_size;
	while (e < end) {
		unsigned cls = class_by_name(e + 5);
		if (cls < PV_CLASS_COUNT) seen[cls] = 1;
		e += 5 + strlen(e + 5) + 1;
	}
	for (unsigned i = 0; i < PV_CLASS_COUNT; i++)
		cr_expect(seen[i], "class %s has no corpus entry", pv_class_info(i)->name);
	elf_end(c.elf); close(c.fd);
}

Test(insn, truncated_is_bad_not_a_crash)
{
	static const uint8_t lgdt[] = { 0x0f, 0x01, 0x15, 0x78, 0x56, 0x34, 0x12 };
	struct pv_insn in;
	for (size_t n = 0; n < sizeof lgdt; n++)
		cr_expect_eq(pv_insn_decode(lgdt, n, &in), PV_INSN_BAD, "n=%zu", n);
	cr_expect_eq(pv_insn_decode(lgdt, sizeof lgdt, &in), PV_INSN_SENSITIVE);
	cr_expect_eq(in.disp, 0x12345678);
}

Test(insn, too_many_prefixes_is_bad)
{
	uint8_t p[20];
	memset(p, 0x66, sizeof p);
	p[19] = 0xfa;
	struct pv_insn in;
	cr_expect_eq(pv_insn_decode(p, sizeof p, &in), PV_INSN_BAD);
}

Test(insn, operands_decoded)
{
	static const uint8_t ljmp[] = { 0xea, 0x00, 0x00, 0x10, 0x00, 0x10, 0x00 };
	static const uint8_t out[] = { 0x66, 0xe7, 0x80 };
	static const uint8_t movcr3[] = { 0x0f, 0x22, 0xd8 };   /* mov %eax,%cr3 */
	struct pv_insn in;
	cr_assert_eq(pv_insn_decode(ljmp, sizeof ljmp, &in), PV_INSN_SENSITIVE);
	cr_expect_eq(in.imm, 0x100000); cr_expect_eq(in.imm_sel, 0x10);
	cr_assert_eq(pv_insn_decode(out, sizeof out, &in), PV_INSN_SENSITIVE);
	cr_expect(in.opsize16); cr_expect_eq(in.imm, 0x80); cr_expect_eq(in.len, 3);
	cr_assert_eq(pv_insn_decode(movcr3, sizeof movcr3, &in), PV_INSN_SENSITIVE);
	cr_expect_eq(in.reg, 3); cr_expect_eq(in.rm, 0); cr_expect_eq(in.mod, 3);
}

Test(insn, class_table_invariants)
{
	for (unsigned i = 0; i < PV_CLASS_COUNT; i++) {
		const struct pv_class_info *ci = pv_class_info(i);
		cr_expect_geq(ci->pad, PV_SITE_MIN_LEN, "%s pad", ci->name);
		cr_expect_lt(ci->group, PV_GROUP_COUNT);
	}
	cr_expect_null(pv_class_info(PV_CLASS_COUNT));
	cr_expect_eq(sizeof(struct pv_site), 8);
	cr_expect_eq(pv_site_len(PV_CLASS_CLI, 1), 8);
	cr_expect_eq(pv_site_len(PV_CLASS_LOAD_DT, 7), 7);
}
