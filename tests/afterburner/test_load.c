/*
 * test_load.c - criterion tests of the loader: a synthetic ELF32 image
 * (one PT_LOAD at 0xC0100000/0x100000, the PVH note, .previrt.sites)
 * built in memory; segment placement, entry, site table reading and
 * validation, start info.  Runs: host.
 */
#include <criterion/criterion.h>
#include <elf.h>
#include <string.h>
#include <xen/arch-x86/hvm/start_info.h>
#include "fake_backend.h"

static uint8_t img[8192];

/* Layout: ehdr | 2 phdrs @64 | note @0x100 | code @0x200 (0x100 bytes)
 * | sites @0x400 | shstrtab @0x500 | 3 shdrs @0x600 */
static size_t build(const struct pv_site *sites, unsigned nsites)
{
	memset(img, 0, sizeof img);
	Elf32_Ehdr *eh = (Elf32_Ehdr *)img;
	memcpy(eh->e_ident, ELFMAG, 4);
	eh->e_ident[EI_CLASS] = ELFCLASS32; eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_type = ET_EXEC; eh->e_machine = EM_386; eh->e_version = 1;
	eh->e_phoff = 64; eh->e_phentsize = 32; eh->e_phnum = 2;
	eh->e_shoff = 0x600; eh->e_shentsize = 40; eh->e_shnum = 3;
	eh->e_shstrndx = 2; eh->e_ehsize = 52;
	Elf32_Phdr *ph = (Elf32_Phdr *)(img + 64);
	ph[0] = (Elf32_Phdr){ PT_LOAD, 0x200, 0xC0100000, 0x100000, 0x100,
			      0x2000, 5, 0x1000 };
	ph[1] = (Elf32_Phdr){ PT_NOTE, 0x100, 0, 0, 20, 20, 4, 4 };
	uint32_t note[5] = { 4, 4, 18, 0x006e6558, 0x100010 };
	memcpy(img + 0x100, note, sizeof note);
	memset(img + 0x200, 0x90, 0x100);
	img[0x210] = 0xfa;                          /* cli site at +0x10 */
	img[0x220] = 0xcf;                          /* iret site at +0x20 */
	memcpy(img + 0x400, sites, nsites * sizeof *sites);
	memcpy(img + 0x501, ".previrt.sites\0.shstrtab", 25);
	Elf32_Shdr *sh = (Elf32_Shdr *)(img + 0x600);
	sh[1] = (Elf32_Shdr){ .sh_name = 1, .sh_type = SHT_PROGBITS,
		.sh_offset = 0x400, .sh_size = nsites * 8, .sh_addralign = 4 };
	sh[2] = (Elf32_Shdr){ .sh_name = 16, .sh_type = SHT_STRTAB,
		.sh_offset = 0x500, .sh_size = 26 };
	return 0x600 + 3 * 40;
}

static const struct pv_site good[] = {
	{ 0xC0100020, 5, 1, PV_CLASS_IRET, 1 },
	{ 0, 5, 1, PV_CLASS_IRET, 1 },                 /* tombstone */
	{ 0xC0100010, 8, 1, PV_CLASS_CLI, 1 },
};

TestSuite(load, .init = fb_reset);

Test(load, segments_entry_sites)
{
	size_t n = build(good, 3);
	cr_assert_eq(ab_load_elf(&fb_vcpu, img, n), 0, "%s", fb_vcpu.err);
	cr_assert_eq(fb_vcpu.img.entry, 0x100010);
	cr_assert_eq(fb_vcpu.img.phys_offset, 0xC0000000u);
	cr_assert_eq(fb_vcpu.img.end_paddr, 0x102000);
	cr_assert_eq(fb_vm.ram[0x100010], 0xfa);
	cr_assert_eq(fb_vm.ram[0x101000], 0, "bss zeroed");
	cr_assert_eq(fb_vcpu.img.nsites, 2, "tombstone dropped");
	cr_assert_eq(fb_vcpu.img.sites[0].addr, 0xC0100010, "sorted");
	cr_assert_eq(ab_patch_all(&fb_vcpu), 0, "%s", fb_vcpu.err);
	cr_assert_eq(fb_vm.ram[0x100010], 0xc6, "cli patched inline");
	cr_assert_eq(fb_vm.ram[0x100020], 0xe8, "iret patched to call");
}

Test(load, bad_sites_refused_with_address)
{
	struct pv_site bad[] = { { 0xC0100010, 8, 1, 99, 1 } };
	size_t n = build(bad, 1);
	cr_assert_eq(ab_load_elf(&fb_vcpu, img, n), -1);
	cr_assert(strstr(fb_vcpu.err, "0xc0100010"), "%s", fb_vcpu.err);
	struct pv_site outside[] = { { 0xC0200000, 5, 1, PV_CLASS_HLT, 1 } };
	n = build(outside, 1);
	cr_assert_eq(ab_load_elf(&fb_vcpu, img, n), -1);
	struct pv_site overlap[] = { { 0xC0100010, 8, 1, PV_CLASS_CLI, 1 },
				     { 0xC0100014, 5, 1, PV_CLASS_HLT, 1 } };
	n = build(overlap, 2);
	cr_assert_eq(ab_load_elf(&fb_vcpu, img, n), -1);
	cr_assert(strstr(fb_vcpu.err, "overlap"), "%s", fb_vcpu.err);
	struct pv_site wrong[] = { { 0xC0100020, 8, 1, PV_CLASS_CLI, 1 } };
	n = build(wrong, 1);
	cr_assert_eq(ab_load_elf(&fb_vcpu, img, n), 0);
	cr_assert_eq(ab_patch_all(&fb_vcpu), -1, "iret bytes recorded as cli");
	cr_assert(strstr(fb_vcpu.err, "0xc0100020"), "%s", fb_vcpu.err);
}

Test(load, not_elf_and_no_note)
{
	cr_assert_eq(ab_load_elf(&fb_vcpu, "hello", 5), -1);
	cr_assert(strstr(fb_vcpu.err, "not an ELF"));
	size_t n = build(good, 3);
	((Elf32_Phdr *)(img + 64))[1].p_type = PT_NULL;
	cr_assert_eq(ab_load_elf(&fb_vcpu, img, n), -1);
	cr_assert(strstr(fb_vcpu.err, "PVH"), "%s", fb_vcpu.err);
}

/* Hostile or malformed images the loader must refuse with a message
 * naming what is wrong (issue 13). */
Test(load, type_wedge_wrap_nobits_refused)
{
	size_t n = build(good, 3);
	((Elf32_Ehdr *)img)->e_type = ET_DYN;
	cr_assert_eq(ab_load_elf(&fb_vcpu, img, n), -1);
	cr_assert(strstr(fb_vcpu.err, "ELF type 3"), "%s", fb_vcpu.err);
	n = build(good, 3);
	((Elf32_Phdr *)(img + 64))[0].p_vaddr = 0xFC000000;
	cr_assert_eq(ab_load_elf(&fb_vcpu, img, n), -1);
	cr_assert(strstr(fb_vcpu.err, "wedge"), "%s", fb_vcpu.err);
	n = build(good, 3);
	((Elf32_Phdr *)(img + 64))[0].p_vaddr = 0xFFFFF000;
	cr_assert_eq(ab_load_elf(&fb_vcpu, img, n), -1, "vaddr+memsz wraps");
	n = build(good, 3);
	((Elf32_Shdr *)(img + 0x600))[1].sh_type = SHT_NOBITS;
	cr_assert_eq(ab_load_elf(&fb_vcpu, img, n), -1);
	cr_assert(strstr(fb_vcpu.err, "NOBITS"), "%s", fb_vcpu.err);
}

Test(load, start_info)
{
	struct ab_regs r;
	static const char mod[] = "module-bytes";
	struct ab_module m = { mod, sizeof mod, "modarg" };
	build(good, 3);
	cr_assert_eq(ab_load_elf(&fb_vcpu, img, sizeof img), 0);
	cr_assert_eq(ab_load_start(&fb_vcpu, FB_MEM, "console=ttyS0", &m, 1, &r), 0,
		     "%s", fb_vcpu.err);
	struct hvm_start_info *si = (void *)(fb_vm.ram + r.ebx);
	cr_assert_eq(si->magic, XEN_HVM_START_MAGIC_VALUE);
	cr_assert_eq(si->version, 1);
	cr_assert_str_eq((char *)fb_vm.ram + si->cmdline_paddr, "console=ttyS0");
	cr_assert_eq(si->memmap_entries, 3);
	struct hvm_memmap_table_entry *mm = (void *)(fb_vm.ram + si->memmap_paddr);
	cr_assert_eq(mm[2].addr + mm[2].size, FB_MEM);
	cr_assert_eq(si->nr_modules, 1);
	struct hvm_modlist_entry *ml = (void *)(fb_vm.ram + si->modlist_paddr);
	cr_assert(ml->paddr >= 0x102000, "module above the kernel");
	cr_assert_str_eq((char *)fb_vm.ram + ml->paddr, "module-bytes");
	cr_assert_str_eq((char *)fb_vm.ram + ml->cmdline_paddr, "modarg");
	cr_assert_eq(r.eip, 0x100010);
	cr_assert_eq(fb_shared.cr[0] & 0x80000001u, 1, "PE on, PG off");
	cr_assert(!ab_vcpu_if(&fb_vcpu));
}

/* Header tables at offsets not 4-aligned (real linkers never write them;
 * reading them would be misaligned accesses): refused. */
Test(load, misaligned_tables_refused)
{
	size_t n = build(good, 3);
	Elf32_Ehdr *eh = (Elf32_Ehdr *)img;
	memmove(img + 65, img + 64, 2 * 32);
	eh->e_phoff = 65;
	cr_assert_eq(ab_load_elf(&fb_vcpu, img, n), -1);
	cr_assert(strstr(fb_vcpu.err, "misaligned"), "%s", fb_vcpu.err);
}

/* A segment over the start-info page (0x6000) or the scratch stack
 * below it would be overwritten by ab_load_start: refused. */
Test(load, segment_over_start_info_refused)
{
	size_t n = build(good, 3);
	Elf32_Phdr *ph = (Elf32_Phdr *)(img + 64);
	ph[0].p_paddr = 0x5800;
	ph[0].p_vaddr = 0xC0005800;
	cr_assert_eq(ab_load_elf(&fb_vcpu, img, n), -1);
	cr_assert(strstr(fb_vcpu.err, "start-info"), "%s", fb_vcpu.err);
}

/* build() plus .previrt.text (0xC0101000, 16 bytes: inside the PT_LOAD)
 * and a .note.previrt @0x800 holding the given notes; 5 section headers
 * @0x700. */
static size_t build_with_notes(const uint8_t *notes, uint32_t len)
{
	build(good, 3);
	memcpy(img + 0x51a, ".previrt.text\0.note.previrt", 28);
	Elf32_Shdr *sh = (Elf32_Shdr *)(img + 0x700);
	memcpy(sh, img + 0x600, 3 * 40);
	sh[2].sh_size = 26 + 28;
	sh[3] = (Elf32_Shdr){ .sh_name = 26, .sh_type = SHT_PROGBITS,
		.sh_flags = SHF_ALLOC | SHF_EXECINSTR, .sh_addr = 0xC0101000,
		.sh_offset = 0x200, .sh_size = 16 };
	sh[4] = (Elf32_Shdr){ .sh_name = 40, .sh_type = SHT_NOTE,
		.sh_offset = 0x800, .sh_size = len, .sh_addralign = 4 };
	memcpy(img + 0x800, notes, len);
	Elf32_Ehdr *eh = (Elf32_Ehdr *)img;
	eh->e_shoff = 0x700;
	eh->e_shnum = 5;
	return 0x800 + len;
}

/* One "previrt" note of type t with string s (NUL included) at p. */
static uint32_t put_note(uint8_t *p, uint32_t t, const char *s, uint32_t dl)
{
	uint32_t hdr[3] = { 8, dl, t };
	memcpy(p, hdr, 12);
	memcpy(p + 12, "previrt", 8);
	memcpy(p + 20, s, dl);
	return 20 + ((dl + 3) & ~3u);
}

/* The image's boot arguments go before the user's; its trampoline
 * segment is reserved in the memory map. */
Test(load, boot_args_and_tramp_reserved)
{
	uint8_t notes[128] = { 0 };
	uint32_t n = put_note(notes, PV_NOTE_ARGS_BACKEND, "reservetop=64M", 15);
	n += put_note(notes + n, PV_NOTE_ARGS_ALWAYS, "memmap=4K$0x101000", 19);
	size_t size = build_with_notes(notes, n);
	struct ab_regs r;
	cr_assert_eq(ab_load_elf(&fb_vcpu, img, size), 0, "%s", fb_vcpu.err);
	cr_assert_str_eq(fb_vcpu.img.boot_args,
			 "memmap=4K$0x101000 reservetop=64M");
	cr_assert_eq(ab_load_start(&fb_vcpu, FB_MEM, "console=ttyS0", NULL, 0,
				   &r), 0, "%s", fb_vcpu.err);
	struct hvm_start_info *si = (void *)(fb_vm.ram + r.ebx);
	cr_assert_str_eq((char *)fb_vm.ram + si->cmdline_paddr,
			 "memmap=4K$0x101000 reservetop=64M console=ttyS0");
	cr_assert_eq(si->memmap_entries, 5);
	struct hvm_memmap_table_entry *mm = (void *)(fb_vm.ram + si->memmap_paddr);
	cr_assert_eq(mm[3].addr, 0x101000);
	cr_assert_eq(mm[3].size, 0x1000);
	cr_assert_eq(mm[3].type, XEN_HVM_MEMMAP_TYPE_RESERVED);
	cr_assert_eq(mm[2].addr + mm[2].size, 0x101000);
	cr_assert_eq(mm[4].addr, 0x102000);
	cr_assert_eq(mm[4].addr + mm[4].size, FB_MEM);
}

/* The TSC note: its parameter with the backend's rate (the fake backend
 * says 1234567 kHz), after the other fragments. */
Test(load, tsc_rate_appended_to_its_parameter)
{
	uint8_t notes[128] = { 0 };
	uint32_t n = put_note(notes, PV_NOTE_ARGS_TSC, "tsc_early_khz=", 15);
	n += put_note(notes + n, PV_NOTE_ARGS_BACKEND, "reservetop=64M", 15);
	size_t size = build_with_notes(notes, n);
	cr_assert_eq(ab_load_elf(&fb_vcpu, img, size), 0, "%s", fb_vcpu.err);
	cr_assert_str_eq(fb_vcpu.img.boot_args,
			 "reservetop=64M tsc_early_khz=1234567");
}

/* Many notes of one type must not run past the loader's buffer (the
 * monitor's loader runs in ring 0): refused with a message. */
Test(load, too_many_boot_arg_notes_refused)
{
	static uint8_t notes[2048];
	char frag[100];
	memset(frag, 'm', sizeof frag);
	frag[sizeof frag - 1] = 0;
	uint32_t n = 0;
	for (int i = 0; i < 6; i++)
		n += put_note(notes + n, PV_NOTE_ARGS_ALWAYS, frag, sizeof frag);
	size_t size = build_with_notes(notes, n);
	cr_assert_eq(ab_load_elf(&fb_vcpu, img, size), -1);
	cr_assert(strstr(fb_vcpu.err, "longer than"), "%s", fb_vcpu.err);
}

/* A fragment that is not one string, or a command line that no longer
 * fits with the image's arguments, is refused with a message. */
Test(load, bad_boot_args_refused)
{
	uint8_t notes[512] = { 0 };
	put_note(notes, PV_NOTE_ARGS_ALWAYS, "memmap=4K", 9);  /* no NUL */
	size_t size = build_with_notes(notes, 32);
	cr_assert_eq(ab_load_elf(&fb_vcpu, img, size), -1);
	cr_assert(strstr(fb_vcpu.err, ".note.previrt"), "%s", fb_vcpu.err);

	char big[PV_NOTE_ARGS_MAX + 8];
	memset(big, 'a', sizeof big);
	big[sizeof big - 1] = 0;
	fb_reset();
	size = build_with_notes(notes, put_note(notes, PV_NOTE_ARGS_ALWAYS,
						big, sizeof big));
	cr_assert_eq(ab_load_elf(&fb_vcpu, img, size), -1, "too long");

	static char line[0x800];
	struct ab_regs r;
	memset(line, 'x', sizeof line - 8);
	fb_reset();
	size = build_with_notes(notes, put_note(notes, PV_NOTE_ARGS_ALWAYS,
						"memmap=4K$0x101000", 19));
	cr_assert_eq(ab_load_elf(&fb_vcpu, img, size), 0, "%s", fb_vcpu.err);
	cr_assert_eq(ab_load_start(&fb_vcpu, FB_MEM, line, NULL, 0, &r), -1);
	cr_assert(strstr(fb_vcpu.err, "command line"), "%s", fb_vcpu.err);
}

/* Random corruption of a valid image: the loader and patcher must answer
 * 0 or -1 with a message, never crash or write outside guest RAM. */
Test(load, corrupted_images_never_crash)
{
	static uint8_t orig[8192];
	size_t n = build(good, 3);
	memcpy(orig, img, sizeof img);
	unsigned seed = 12345, loaded = 0, refused = 0;
	for (int round = 0; round < 3000; round++) {
		memcpy(img, orig, sizeof img);
		int flips = 1 + round % 8;
		for (int k = 0; k < flips; k++) {
			seed = seed * 1103515245u + 12345u;
			unsigned pos = (seed >> 8) % n;
			seed = seed * 1103515245u + 12345u;
			img[pos] = (uint8_t)(seed >> 16);
		}
		fb_reset();
		if (ab_load_elf(&fb_vcpu, img, n) == 0 &&
		    ab_patch_all(&fb_vcpu) == 0) {
			loaded++;
		} else {
			cr_assert(fb_vcpu.err[0], "a refusal has a message");
			refused++;
		}
	}
	cr_assert(loaded > 0 && refused > 0, "loaded %u refused %u", loaded,
		  refused);
}
