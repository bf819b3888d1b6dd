/*
 * test_rw_reader.c - criterion tests of the rewriter's ELF and site-table
 * reader (rewriter/rw_elf.c, rw_sites.c) on a good image and on corrupt
 * copies of it: each corruption gives its specific one-line error, the
 * command line exits 1, and nothing crashes (also under random byte
 * flips).  Runs: host.  Used by: meson test --suite rewriter (env
 * RW_E2E_ELF = the image from e2e.S, RW_BIN = previrt-rewrite).
 */
#include <criterion/criterion.h>
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "rw.h"

struct blob { uint8_t *buf; size_t size; };

static struct blob good_image(void)
{
	const char *path = getenv("RW_E2E_ELF");
	cr_assert_not_null(path, "RW_E2E_ELF not set");
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open %s", path);
	struct blob b = { malloc(1 << 20), 0 };
	b.size = fread(b.buf, 1, 1 << 20, f);
	fclose(f);
	cr_assert_gt(b.size, sizeof(Elf32_Ehdr));
	return b;
}

/* Load + read + validate; returns 0 or -1 and leaves the message. */
static int load_all(struct blob b, char *err)
{
	struct rw_image img;
	int r = rw_image_load_mem(&img, "img", b.buf, b.size);
	if (r == 0) r = rw_sites_read(&img);
	if (r == 0) r = rw_sites_validate(&img);
	if (r == 0) r = rw_disasm_image(&img);
	strcpy(err, img.err);
	rw_image_free(&img);
	return r;
}

static Elf32_Shdr *shdr_named(struct blob b, const char *name)
{
	Elf32_Ehdr *eh = (Elf32_Ehdr *)b.buf;
	Elf32_Shdr *sh = (Elf32_Shdr *)(b.buf + eh->e_shoff);
	const char *str = (const char *)b.buf + sh[eh->e_shstrndx].sh_offset;
	for (unsigned i = 1; i < eh->e_shnum; i++)
		if (!strcmp(str + sh[i].sh_name, name)) return &sh[i];
	cr_assert_fail("no section %s", name);
	return NULL;
}

static struct pv_site *site(struct blob b, unsigned i)
{
	return (struct pv_site *)(b.buf +
				  shdr_named(b, PV_SITES_SECTION)->sh_offset) + i;
}

#define EXPECT_ERR(b, text) do { \
	char err[RW_ERRLEN]; \
	cr_assert_eq(load_all(b, err), -1, "accepted, want '%s'", text); \
	cr_assert_not_null(strstr(err, text), "error '%s' lacks '%s'", \
			   err, text); \
	cr_assert_null(strchr(err, '\n'), "error is not one line"); \
} while (0)

Test(rw_reader, good_image_loads)
{
	struct blob b = good_image();
	char err[RW_ERRLEN];
	struct rw_image img;
	cr_assert_eq(load_all(b, err), 0, "%s", err);
	cr_assert_eq(rw_image_load_mem(&img, "img", b.buf, b.size), 0);
	cr_assert_eq(rw_sites_read(&img), 0);
	cr_assert_eq(img.nsites, 2);
	cr_assert_eq(rw_sites_validate(&img), 0);
	cr_assert_eq(img.sites[1].cls, PV_CLASS_CLI);   /* sorted; [0] tomb */
	rw_image_free(&img);
}

Test(rw_reader, not_elf)
{
	struct blob b = good_image();
	b.buf[1] = 'X';
	EXPECT_ERR(b, "not an ELF file");
}

Test(rw_reader, truncated)
{
	struct blob b = good_image();
	b.size = 40;
	EXPECT_ERR(b, "truncated ELF header");
	b = good_image();
	b.size = ((Elf32_Ehdr *)b.buf)->e_shoff + 8;
	EXPECT_ERR(b, "section header table");
}

Test(rw_reader, wrong_machine_and_class)
{
	struct blob b = good_image();
	((Elf32_Ehdr *)b.buf)->e_machine = EM_X86_64;
	EXPECT_ERR(b, "wrong machine 62");
	b = good_image();
	b.buf[EI_CLASS] = ELFCLASS64;
	EXPECT_ERR(b, "not ELFCLASS32");
	b = good_image();
	((Elf32_Ehdr *)b.buf)->e_type = ET_DYN;
	EXPECT_ERR(b, "not an executable");
}

Test(rw_reader, overlapping_sites)
{
	struct blob b = good_image();
	*site(b, 1) = *site(b, 0);    /* the tombstone becomes a duplicate */
	EXPECT_ERR(b, "overlaps site");
}

Test(rw_reader, site_outside_text)
{
	struct blob b = good_image();
	site(b, 0)->addr = 0x1000;
	EXPECT_ERR(b, "site 0x1000 (cli): not inside an executable section");
}

/* A site in a data section whose bytes are not its instruction is a
 * corrupt entry, not dormant code. */
Test(rw_reader, site_in_data_not_code)
{
	struct blob b = good_image();
	Elf32_Shdr *ro = shdr_named(b, ".rodata");
	site(b, 0)->addr = ro->sh_addr;
	EXPECT_ERR(b, "not inside an executable section");
}

Test(rw_reader, table_outside_file)
{
	struct blob b = good_image();
	shdr_named(b, PV_SITES_SECTION)->sh_offset = 0x7ffffff0;
	EXPECT_ERR(b, "section .previrt.sites: file range 0x7ffffff0+0x10 "
		      "outside the file");
}

/* A silent instruction (pushf, ...) recorded as a trap site: it would
 * run unnoticed when deprivileged; both backends refuse it, so must
 * --check (issue 13). */
Test(rw_reader, silent_class_as_trap_site)
{
	struct blob b = good_image();
	site(b, 0)->cls = PV_CLASS_PUSHF;
	site(b, 0)->origin = PV_ORIGIN_TRAP;
	EXPECT_ERR(b, "(pushf): a trap site, but pushf does not trap when "
		      "deprivileged");
}

/* .symtab's string table an SHT_NULL section whose range lies past the
 * file (SHT_NULL ranges are not checked): was a read out of bounds. */
Test(rw_reader, symtab_strtab_not_a_string_table)
{
	struct blob b = good_image();
	Elf32_Shdr *strtab = shdr_named(b, ".strtab");
	strtab->sh_type = SHT_NULL;
	strtab->sh_offset = 0x7ffffff0;
	EXPECT_ERR(b, "section .symtab: string table link");
}

Test(rw_reader, bad_table_size_and_entries)
{
	struct blob b = good_image();
	shdr_named(b, PV_SITES_SECTION)->sh_size = 12;
	EXPECT_ERR(b, "is not a multiple of 8");
	b = good_image();
	site(b, 0)->len = 3;
	EXPECT_ERR(b, "length 3, class needs 8");
	b = good_image();
	site(b, 0)->cls = PV_CLASS_HLT;
	EXPECT_ERR(b, "bytes are not a hlt instruction");
	b = good_image();
	site(b, 0)->cls = 200;
	EXPECT_ERR(b, "unknown class 200");
	b = good_image();
	site(b, 0)->origin = 9;
	EXPECT_ERR(b, "bad origin 9");
	b = good_image();
	site(b, 0)->len = 12;   /* runs over the jmp after the padding */
	EXPECT_ERR(b, "is 0xe9, not a NOP");
}

Test(rw_reader, misaligned_header_tables)
{
	struct blob b = good_image();
	((Elf32_Ehdr *)b.buf)->e_phoff += 2;
	EXPECT_ERR(b, "misaligned offsets");
	free(b.buf);
}

Test(rw_reader, command_line_exits_1_on_bad_input)
{
	struct blob b = good_image();
	((Elf32_Ehdr *)b.buf)->e_machine = EM_ARM;
	char path[] = "/tmp/rw-test-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, b.buf, b.size), (ssize_t)b.size);
	close(fd);
	char cmd[512];
	snprintf(cmd, sizeof cmd, "%s %s -o %s.out 2>&1", getenv("RW_BIN"),
		 path, path);
	FILE *p = popen(cmd, "r");
	char line[512] = "", more[512];
	cr_assert_not_null(fgets(line, sizeof line, p));
	cr_assert_null(fgets(more, sizeof more, p), "more than one line");
	int st = pclose(p);
	unlink(path);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1, "exit %d", st);
	cr_assert_not_null(strstr(line, "wrong machine 40"), "%s", line);
}

/* Random byte flips: every outcome is fine except a crash. */
Test(rw_reader, random_corruption_never_crashes)
{
	struct blob g = good_image();
	uint8_t *copy = malloc(g.size);
	srand(12345);
	for (int round = 0; round < 3000; round++) {
		memcpy(copy, g.buf, g.size);
		for (int k = 0; k < 1 + round % 8; k++)
			copy[rand() % (round % 2 ? 0x200 : g.size)] = rand();
		char err[RW_ERRLEN];
		load_all((struct blob){ copy, g.size }, err);
	}
	free(copy);
}

/* A loaded data section turned SHT_NULL with its range past the file:
 * an inactive header (the gABI leaves its other fields undefined), so
 * the planner's scan of data words must not read it (libFuzzer found
 * that read out of bounds, in rw_targets.c). */
Test(rw_reader, null_section_not_scanned_as_data)
{
	struct blob b = good_image();
	Elf32_Shdr *d = shdr_named(b, ".rodata");
	d->sh_type = SHT_NULL;
	d->sh_flags |= SHF_ALLOC;
	d->sh_offset = 0x7ffffff0;
	struct rw_image img;
	struct rw_plan pl;
	cr_assert_eq(rw_image_load_mem(&img, "img", b.buf, b.size), 0, "%s",
		     img.err);
	cr_assert_eq(rw_sites_read(&img), 0, "%s", img.err);
	cr_assert_eq(rw_sites_validate(&img), 0, "%s", img.err);
	cr_assert_eq(rw_disasm_image(&img), 0, "%s", img.err);
	cr_assert_eq(rw_plan_make(&img, &pl, NULL), 0, "%s", img.err);
	rw_plan_free(&pl);
	rw_image_free(&img);
}
