/*
 * rw.h - the post-link rewriter's shared types and module interfaces.
 * Runs: host tool.  Used by: previrt-rewrite IN.elf -o OUT.elf
 * [--report R.json] [--check], its unit tests and the fuzz target.
 *
 * Modules (one prefix, rw_, one file each):
 *   rw_elf.c     load and validate a 32-bit i386 ET_EXEC image
 *   rw_sites.c   read and validate .previrt.sites
 *   rw_disasm.c  LLVM-C disassembly: instruction boundaries and branches
 *   rw_targets.c branch targets and pinned bytes (what may not move)
 *   rw_plan.c    classify sensitive instructions, build trampolines
 *   rw_tables.c  rewrite address tables (Linux __ex_table) after moves
 *   rw_bootargs.c boot arguments the image needs (.note.previrt)
 *   rw_write.c   write the rewritten image
 *   rw_report.c  JSON report and stderr summary
 *   rw_main.c    command line
 */
#ifndef PREVIRT_RW_H
#define PREVIRT_RW_H

#include <stddef.h>
#include <stdint.h>
#include "previrt/sites.h"

#define RW_ERRLEN 512
#define RW_HDR_RESERVE 512   /* new segment: room for moved phdrs */

/* One section header, as read (file-order index kept). */
struct rw_scn {
	const char *name;
	unsigned idx;
	uint32_t type, flags, addr, off, size, align, link, entsize;
	int exec;            /* SHF_ALLOC|SHF_EXECINSTR with file bytes */
};

struct rw_sym {
	uint32_t addr, size;
	const char *name;
	uint8_t type;        /* STT_* */
	uint16_t shndx;      /* st_shndx */
};

/* An instruction found by the linear sweep of an executable section. */
struct rw_insn {
	uint32_t addr;
	uint8_t len;
	uint8_t cls;         /* enum pv_class, or PV_CLASS_COUNT */
	uint8_t branch;      /* enum rw_branch */
	uint8_t state;       /* enum rw_state */
	uint32_t target;     /* for relative branches */
	uint16_t scn;        /* index into img->scns */
	uint16_t site_origin;/* origin of the covering site, 0 if none */
};

enum rw_branch {
	RW_BR_NONE, RW_BR_CALL, RW_BR_JMP, RW_BR_JCC,
	RW_BR_OTHER_REL,     /* loop/jcxz/16-bit: never relocated */
	RW_BR_BAD,           /* undecodable byte */
};

enum rw_state {
	RW_ST_PLAIN, RW_ST_COVERED, RW_ST_TRAMPOLINE, RW_ST_TRAP,
	RW_ST_UNRESOLVED, RW_ST_MOVED,
};

/* A loaded image.  buf owns the file bytes; everything points into it. */
struct rw_image {
	const char *path;
	uint8_t *buf;
	size_t size;
	void *elf;                       /* Elf * (libelf handle) */
	unsigned phnum;
	uint32_t entry, phoff, shoff;
	struct rw_phdr { uint32_t type, off, vaddr, paddr, filesz, memsz,
			 flags, align; } *phdrs;
	unsigned nscn, shstrndx;
	struct rw_scn *scns;
	struct rw_sym *syms;             /* sorted by addr */
	unsigned nsyms;
	int sites_scn;                   /* index in scns, -1 if none */
	struct pv_site *sites;           /* copy of the table */
	unsigned nsites;
	unsigned ndormant;               /* sites in non-code sections, made
					    tombstones (rw_sites.c) */
	uint32_t dormant_first;          /* the first one's address */
	struct rw_insn *insns;           /* all executable sections, by addr */
	size_t ninsns;
	char err[RW_ERRLEN];
};

/* rw_elf.c */
int rw_image_load_mem(struct rw_image *img, const char *path,
		      uint8_t *buf, size_t size);
int rw_image_load(struct rw_image *img, const char *path);
void rw_image_free(struct rw_image *img);
int rw_err(struct rw_image *img, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
struct rw_scn *rw_scn_at(struct rw_image *img, uint32_t addr);
struct rw_scn *rw_scn_named(struct rw_image *img, const char *name);
uint8_t *rw_bytes_at(struct rw_image *img, uint32_t addr, uint32_t len);
const struct rw_sym *rw_sym_for(const struct rw_image *img, uint32_t addr);
int rw_v2p_offset(const struct rw_image *img, uint32_t addr, uint32_t *off);

/* rw_sites.c */
int rw_sites_read(struct rw_image *img);
int rw_sites_validate(struct rw_image *img);
int rw_site_find(const struct rw_image *img, uint32_t addr);

/* rw_disasm.c */
int rw_disasm_init(void);
int rw_disasm_one(const uint8_t *p, size_t avail, uint32_t addr,
		  char *text, size_t textlen);
int rw_disasm_image(struct rw_image *img);
size_t rw_insn_index(const struct rw_image *img, uint32_t addr);
size_t rw_insn_from(const struct rw_image *img, uint32_t addr);

/* rw_targets.c: one byte of flags per byte of executable section. */
enum { RW_MAP_TARGET = 1,   /* something may jump to this byte */
       RW_MAP_PINNED = 2,   /* this byte may not move */
       RW_MAP_USED = 4,     /* already part of a window */
       RW_MAP_TABLE = 8,    /* named by __ex_table (insn or fixup): may
			       move if the table is updated (rw_tables.c) */
       RW_MAP_ALT = 16,     /* in a Linux alternative's original range:
			       may move only as a whole (rw_plan.c) */
       RW_MAP_REF = 32 };   /* referenced by code, data or a table (not
			       just by a symbol) */
struct rw_alt { uint32_t start, len; };   /* an alternative's original */
struct rw_maps {
	uint8_t **scn;          /* per img->scns index; NULL if not exec */
	unsigned n;
	struct rw_alt *alts;    /* sorted by start */
	size_t nalts;
};
int rw_maps_build(struct rw_image *img, struct rw_maps *m);
void rw_maps_free(struct rw_maps *m);
int rw_maps_get(const struct rw_image *img, const struct rw_maps *m,
		uint32_t a);
void rw_maps_set(struct rw_image *img, struct rw_maps *m, uint32_t a,
		 uint32_t len, int flag);

/* rw_plan.c */
struct rw_tramp_area {
	uint32_t vaddr, paddr, cap;      /* cap: max bytes, 0 = unbounded */
	uint8_t *code;
	uint32_t len, alloc;
	int in_hole;                     /* placed in __previrt_tramp_* */
};
struct rw_counts {
	unsigned cls[PV_CLASS_COUNT][5]; /* [class][origin 1..3, 4=unres] */
	unsigned total[5];
	unsigned windows, bytes_added;
	unsigned into_padding;           /* windows ending in dead padding */
	unsigned via_island;             /* short windows: jmp rel8 + island */
	unsigned donors;                 /* windows made only for islands */
};
struct rw_move { uint32_t from, to, len; };  /* an insn's new home, size */
struct rw_span { uint32_t addr, len; };  /* dead window fill (islands) */
struct rw_plan {
	struct rw_tramp_area area;
	struct rw_span *islands;
	unsigned nislands;
	struct rw_move *moves;           /* in increasing .from order */
	size_t nmoves, cap_moves;
	struct pv_site *new_sites;       /* full output table */
	unsigned n_new_sites, cap_sites;
	struct rw_counts counts;
};
/* Explicit placement of the trampoline segment (--tramp-at V[:SIZE]). */
struct rw_place { uint32_t vaddr, size; int set; };
int rw_plan_make(struct rw_image *img, struct rw_plan *plan,
		 const struct rw_place *at);
void rw_plan_free(struct rw_plan *plan);
void rw_count(const struct rw_image *img, struct rw_counts *c);

/* rw_tables.c */
int rw_tables_update(struct rw_image *img, const struct rw_plan *plan);

/* rw_bootargs.c: PV_NOTE_ARGS_* fragments, "" when none. */
struct rw_bootargs { char always[PV_NOTE_ARGS_MAX], backend[PV_NOTE_ARGS_MAX],
		     tsc[PV_NOTE_ARGS_MAX]; };
/* What the rewritten image will need (1), or nothing (0: not Linux). */
int rw_bootargs_make(const struct rw_image *img, const struct rw_plan *pl,
		     struct rw_bootargs *a);
/* Read the notes back: 1 found, 0 none, -1 malformed. */
int rw_bootargs_read(const struct rw_image *img, struct rw_bootargs *a);
/* Encode the notes into p (NULL: only measure); returns their size. */
size_t rw_bootargs_notes(const struct rw_bootargs *a, uint8_t *p);
/* Stamp PV_NOTE_UNRESOLVED in the written file path (analysed as img):
 * 0 done, 1 the file has no such note (an image an older previrt-rewrite
 * wrote, copied as it is: loaders sweep it), -1 cannot write the file. */
int rw_note_stamp(const struct rw_image *img, const char *path,
		  uint32_t unresolved);

/* rw_write.c */
int rw_write(struct rw_image *img, struct rw_plan *plan, const char *out);

/* rw_report.c */
int rw_report_json(const struct rw_image *img, const struct rw_counts *c,
		   unsigned bytes_added, const char *path);
void rw_report_summary(const struct rw_image *img,
		       const struct rw_counts *c, unsigned bytes_added);

#endif
