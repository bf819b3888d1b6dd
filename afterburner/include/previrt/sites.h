/*
 * sites.h - the site-table ABI shared by the compiler pass, the rewriter,
 * the afterburner and the backends.  Runs: everywhere (host tools, guest
 * ring, monitor ring 0); plain C99, no libc beyond <stdint.h>.
 *
 * A "site" is one sensitive instruction followed by NOP (0x90) padding up
 * to its class's pad length.  Every site is recorded by one 8-byte entry
 * in the non-allocated ELF section PV_SITES_SECTION.  The linker resolves
 * the R_386_32 relocation of each entry's addr, so a linked 32-bit image
 * carries the link-time virtual address of every site.  The section is not
 * loaded: loaders read it from the ELF file through the section headers.
 * See docs/site-abi.md.
 */
#ifndef PREVIRT_SITES_H
#define PREVIRT_SITES_H

#include <stdint.h>

#define PV_SITES_SECTION   ".previrt.sites"
#define PV_SITES_ALIGN     4
#define PV_SITE_MIN_LEN    5      /* a call rel32 / jmp rel32 always fits */
#define PV_NOP             0x90   /* the only padding byte */

/* Classes: PV_CLASS_CLI ... PV_CLASS_COUNT, in classes.def order. */
enum pv_class {
#define PV_CLASS(id, name, group, pad, depriv) PV_CLASS_##id,
#include "previrt/classes.def"
#undef PV_CLASS
	PV_CLASS_COUNT
};

enum pv_group { PV_GROUP_IRQ, PV_GROUP_CPU, PV_GROUP_MMU, PV_GROUP_IO,
		PV_GROUP_SEG, PV_GROUP_COUNT };

/* What a class's native instruction does when run deprivileged. */
enum pv_depriv { PV_DEPRIV_TRAPS, PV_DEPRIV_SILENT };

/* Who recorded a site (entry.origin). */
enum pv_origin {
	PV_ORIGIN_PASS = 1,      /* the compiler pass, from inline asm */
	PV_ORIGIN_REWRITER = 2,  /* a rewriter trampoline (padded copy) */
	PV_ORIGIN_TRAP = 3,      /* unpadded, traps when deprivileged: the
				    backend emulates it on the fault */
};

/* One site-table entry: 8 bytes, little-endian, 4-byte aligned. */
struct pv_site {
	uint32_t addr;      /* link-time virtual address of the first byte;
			       0 = tombstone (code discarded by the linker) */
	uint8_t  len;       /* site length: instruction + padding */
	uint8_t  insn_len;  /* length of the original instruction */
	uint8_t  cls;       /* enum pv_class */
	uint8_t  origin;    /* enum pv_origin */
};

struct pv_class_info {
	const char *name;
	uint8_t group;      /* enum pv_group */
	uint8_t pad;        /* minimum site length */
	uint8_t depriv;     /* enum pv_depriv */
};


static inline const struct pv_class_info *pv_class_info(unsigned cls)
{
	static const struct pv_class_info table[PV_CLASS_COUNT] = {
#define PV_CLASS(id, name, group, pad, depriv) \
		{ name, PV_GROUP_##group, pad, PV_DEPRIV_##depriv },
#include "previrt/classes.def"
#undef PV_CLASS
	};
	return cls < PV_CLASS_COUNT ? &table[cls] : 0;
}

/* Minimum length of a site holding an instruction of insn_len bytes. */
static inline unsigned pv_site_len(unsigned cls, unsigned insn_len)
{
	const struct pv_class_info *ci = pv_class_info(cls);
	unsigned pad = ci ? ci->pad : PV_SITE_MIN_LEN;
	return insn_len > pad ? insn_len : pad;
}

static inline const char *pv_group_name(unsigned g)
{
	static const char *const names[PV_GROUP_COUNT] =
		{ "irq", "cpu", "mmu", "io", "seg" };
	return g < PV_GROUP_COUNT ? names[g] : "?";
}

#endif
