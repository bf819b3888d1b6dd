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

/*
 * Boot arguments an image needs, recorded by the rewriter for a kernel that
 * must be told how previrt uses memory (today: Linux, docs/site-abi.md).
 * A non-allocated SHT_NOTE section PV_NOTE_SECTION holds ELF notes named
 * PV_NOTE_NAME; each desc is one NUL-terminated command-line fragment of
 * at most PV_NOTE_ARGS_MAX bytes with the NUL.  previrt-run puts the
 * ALWAYS fragment on a native boot's command line; the afterburner's
 * loader puts both before the user's arguments on a backend.
 */
#define PV_NOTE_SECTION      ".note.previrt"
#define PV_NOTE_NAME         "previrt"
#define PV_NOTE_ARGS_ALWAYS  1    /* every boot, native too */
#define PV_NOTE_ARGS_BACKEND 2    /* only under a previrt backend */
/* desc: the kernel's parameter for the TSC rate, e.g. "tsc_early_khz=":
 * the loader appends the backend's measured rate in kHz (a kernel that
 * calibrates its TSC against the PIT fails to when each PIT read is an
 * exit, and falls back to the PIT as its clock).  Backends only. */
#define PV_NOTE_ARGS_TSC     4
/* desc: a 32-bit little-endian count, the sensitive instructions that the
 * rewriter's final check of this very file found outside every site
 * (previrt-rewrite writes PV_NOTE_UNCHECKED and stamps the count after
 * re-analysing its output).  0 lets loaders skip their own sweep. */
#define PV_NOTE_UNRESOLVED   3
#define PV_NOTE_UNCHECKED    0xffffffffu
#define PV_NOTE_ARGS_MAX     128

/* One ELF note of a note area (SHT_NOTE section or PT_NOTE segment). */
struct pv_note {
	uint32_t namesz, descsz, type;
	const uint8_t *name, *desc;
};

static inline uint32_t pv_le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The note at *pos of the area [p, p+size), and advance *pos past it; 0 at
 * the end or when a note's sizes run out of the area. */
static inline int pv_note_next(const uint8_t *p, uint32_t size,
			       uint32_t *pos, struct pv_note *n)
{
	uint32_t at = *pos;
	if (size < 12 || at > size - 12)
		return 0;
	n->namesz = pv_le32(p + at);
	n->descsz = pv_le32(p + at + 4);
	n->type = pv_le32(p + at + 8);
	uint64_t name = at + 12ull, desc = name + ((n->namesz + 3ull) & ~3ull);
	uint64_t end = desc + ((n->descsz + 3ull) & ~3ull);
	if (desc + n->descsz > size)
		return 0;
	n->name = p + name;
	n->desc = p + desc;
	*pos = end > size ? size : (uint32_t)end;
	return 1;
}

/* Is the note's owner exactly the string owner? */
static inline int pv_note_owner(const struct pv_note *n, const char *owner)
{
	uint32_t i = 0;
	for (; owner[i]; i++)
		if (i >= n->namesz || n->name[i] != (uint8_t)owner[i])
			return 0;
	return n->namesz == i + 1 && n->name[i] == 0;
}

/* Is the note's desc one NUL-terminated string a PV_NOTE_ARGS_* may be? */
static inline int pv_note_args_ok(const struct pv_note *n)
{
	if (!n->descsz || n->descsz > PV_NOTE_ARGS_MAX)
		return 0;
	for (uint32_t i = 0; i + 1 < n->descsz; i++)
		if (!n->desc[i])
			return 0;
	return n->desc[n->descsz - 1] == 0;
}

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
