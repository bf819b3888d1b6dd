/*
 * shadow.h - shadow page tables: the real page directory the CPU uses
 * while the guest runs, built on demand from the guest's own tables.
 * Runs: monitor ring 0 and host (criterion tests); pure C, memory reached
 * only through struct bm_mmu_env so the tests can supply fake memory.
 *
 * Slots [0, BM_MMU_GUEST_PDES) of a shadow directory mirror the guest
 * (4 KiB shadow PTEs whatever the guest uses); the slots above are the
 * monitor's (wedge page table + direct map), copied into every shadow
 * directory.  Guest paging off = identity map of guest RAM.  Accessed and
 * dirty bits are set in the guest's entries when a shadow entry is filled;
 * a clean page is shadowed read-only so its first write faults and sets
 * the guest's D bit.  A CR3 load keeps only what a TLB may keep: GLOBAL
 * translations (guest G bit with guest CR4.PGE; the guest must invlpg or
 * flush them, as on hardware) survive it.  The shadow tables that hold
 * only non-global entries are not lost: they are set aside for the guest
 * address space they belong to (a bounded cache of SPACES, keyed by the
 * guest's page-directory frame, least recently used evicted), and when
 * the guest loads that CR3 again each kept table is RESYNCED against the
 * guest's tables as they are then: a slot whose guest PDE changed is
 * dropped, and every kept entry that is not exactly what a fill would
 * make now (frame, rights, accessed, dirty, guard) is cleared.  What is
 * left is what a flushed TLB refilled would hold, so no write protection
 * of the guest's tables is needed.  Tables that hold both kinds lose
 * their non-global entries; without guest CR4.PGE a CR3 load drops
 * everything.  What is kept besides per guest address space is a short
 * list of HINTS (addresses that faulted while it was current), and a CR3
 * load refills the blocks around them from the guest's tables as they are
 * then (only entries the guest has already accessed, as fault-around
 * does): a speculative TLB fill, never a stale one.
 */
#ifndef BM_SHADOW_H
#define BM_SHADOW_H

#include <stdint.h>

#define BM_MMU_GUEST_PDES 1008           /* 0xFC000000 >> 22 */
#define BM_MMU_STUB_PAGES 3
#define BM_MMU_AROUND     256            /* fault-around block (pages): an
					    exit costs far more than a scan */

struct bm_mmu_env {
	void *(*table)(uint32_t pa);        /* pointer to a pool page */
	uint32_t (*alloc)(void);            /* zeroed pool page PA, 0 = none */
	void (*free)(uint32_t pa);
	void *(*gpa)(uint32_t gpa, uint32_t len);  /* guest RAM or NULL */
};

#define BM_MMU_CLEAN      32             /* zeroed shadow tables kept */
#define BM_MMU_PROT       17             /* guarded frames (a 64 KiB GDT) */
#define BM_MMU_UNPROT     8              /* addresses written since */
#define BM_MMU_HINT_AS    8              /* address spaces with hints */
#define BM_MMU_HINTS      8              /* hinted blocks per space */

#define BM_MMU_SPACES     8              /* address spaces with kept tables */
#define BM_MMU_SPACE_PTS  12             /* kept tables per space */

/* A shadow table set aside at a CR3 load, for its space's return. */
struct bm_mmu_kept {
	uint32_t pt;                     /* host PA of the shadow table */
	uint32_t gpde;                   /* the guest PDE it was made from */
	uint16_t slot, lo, hi;           /* PDE slot, entries ever written */
	uint8_t around;                  /* fault-around blocks scanned */
};

struct bm_mmu_space {
	uint32_t gcr3;                   /* guest CR3 (frame) */
	uint32_t used;                   /* 1: gcr3 is valid */
	uint32_t stamp;                  /* last CR3 load of it (LRU) */
	uint32_t n;                      /* kept tables */
	struct bm_mmu_kept t[BM_MMU_SPACE_PTS];
};

struct bm_mmu_hints {
	uint32_t gcr3;                   /* guest CR3 (frame) */
	uint32_t used;                   /* 1: gcr3 is valid */
	uint32_t va[BM_MMU_HINTS];       /* a faulting address per block */
	uint32_t n, next;                /* used slots, next to replace */
};

struct bm_mmu {
	const struct bm_mmu_env *env;
	uint32_t ram_hpa, ram_size;      /* guest-physical 0 is host ram_hpa */
	uint32_t high_pdes[1024 - BM_MMU_GUEST_PDES];  /* the monitor's */
	uint32_t stub_alias;             /* VA of the stubs alias while guest
					    paging is off, 0 = none */
	uint32_t stub_hpa;               /* host PA of the stub pages */
	int paging, pse, wp, pge;        /* guest CR0.PG, CR4.PSE, CR0.WP,
					    CR4.PGE */
	uint32_t gcr3;                   /* guest CR3 (guest-physical) */
	uint32_t root;                   /* host PA of the shadow directory */
	uint32_t gpde[BM_MMU_GUEST_PDES];/* guest PDE each shadow PT came from */
	uint32_t fills, drops;           /* counters */
	/* Shadow tables in use: their PDE slots (a CR3 load visits only
	 * these) and per slot the range of entries ever written, so a
	 * dropped table is cleaned by zeroing that range and kept for reuse
	 * instead of zeroing a whole pool page. */
	uint16_t live[BM_MMU_GUEST_PDES];
	uint32_t nlive;
	uint16_t lo[BM_MMU_GUEST_PDES], hi[BM_MMU_GUEST_PDES];
	/* Per slot, the fault-around blocks already scanned (bit b: block
	 * b of 1024 / BM_MMU_AROUND): a block is scanned once per table
	 * life; what the guest accesses later faults through us anyway. */
	uint8_t around[BM_MMU_GUEST_PDES];
	/* Per slot: whether its table holds a non-global entry (local) and
	 * a global one (global).  At a CR3 load a table with no global entry
	 * is dropped, one with both loses its non-global entries, one with
	 * only global entries is kept as it is. */
	uint8_t local[BM_MMU_GUEST_PDES], global[BM_MMU_GUEST_PDES];
	/* Per slot, the range of non-global entries ever written (a mixed
	 * table's are resynced at a CR3 load, not dropped). */
	uint16_t llo[BM_MMU_GUEST_PDES], lhi[BM_MMU_GUEST_PDES];
	uint32_t clean[BM_MMU_CLEAN];    /* zeroed tables (host PA) */
	uint32_t nclean;
	struct bm_mmu_hints hints[BM_MMU_HINT_AS];
	struct bm_mmu_hints *cur;        /* the current space's, or NULL */
	uint32_t hint_next;              /* next slot to take over */
	uint32_t prefills;               /* entries made by CR3-load refill */
	uint32_t kept;                   /* tables kept across CR3 loads */
	/* Non-global tables set aside per guest address space (see top). */
	struct bm_mmu_space spaces[BM_MMU_SPACES];
	uint32_t clock;                  /* CR3 loads, for LRU */
	uint32_t resynced, reused, stale, evicted;  /* counters: entries
					    checked, kept ones that were
					    right, cleared; spaces evicted */
	/* Guarded guest frames (the guest's GDT): shadowed read-only, so the
	 * guest's first write to one faults.  That write is let through
	 * (its address made writable and listed) and prot_written set, until
	 * bm_mmu_reguard takes the listed addresses back. */
	uint32_t prot[BM_MMU_PROT];      /* guest-physical frame numbers */
	uint32_t nprot;
	uint32_t unprot[BM_MMU_UNPROT];  /* writable addresses of them */
	uint32_t nunprot;
	int prot_written;                /* 1: a guarded frame was written */
};

enum bm_pf {
	BM_PF_FILLED = 0,    /* shadow entry made: retry the access */
	BM_PF_GUEST = 1,     /* a fault the guest would take: reflect it */
	BM_PF_MONITOR = 2,   /* the guest touched the monitor's region */
	BM_PF_BADFRAME = 3,  /* the guest's tables point outside its RAM */
	BM_PF_NOMEM = 4,     /* the monitor's page pool is exhausted */
};

/* Set up m; returns 0 or -1 (no pool page for the root). */
int  bm_mmu_init(struct bm_mmu *m, const struct bm_mmu_env *env,
		 uint32_t ram_hpa, uint32_t ram_size,
		 const uint32_t *high_pdes);
/* New guest CR3 / paging mode: removes every non-global shadow entry
 * from the active shadow (every entry when paging is switched on or off),
 * setting non-global tables aside for the old space (guest PGE on); puts
 * back and resyncs the new space's kept tables; then refills its hinted
 * blocks (paging on). */
void bm_mmu_load_cr3(struct bm_mmu *m, uint32_t cr3, int paging);
/* Guest invlpg: drop the shadow entry of va (or its whole shadow table
 * if the guest's PDE changed).  The caller flushes the real TLB. */
void bm_mmu_invlpg(struct bm_mmu *m, uint32_t va);
void bm_mmu_flush(struct bm_mmu *m);
/* A real #PF at va with hardware error code err while the guest ran.
 * On BM_PF_GUEST, *gerr is the error code the guest should see. */
int  bm_mmu_fault(struct bm_mmu *m, uint32_t va, uint32_t err,
		  uint32_t *gerr);
/* Guard guest frames fr[0..n) (replacing the last set): drops every
 * shadow table, so no writable mapping of them is left.  n = 0: none. */
void bm_mmu_guard(struct bm_mmu *m, const uint32_t *fr, unsigned n);
/* Make the guarded frames read-only again after prot_written: drops the
 * listed shadow entries and stores their addresses in va[] (the caller
 * invalidates them in the real TLB); returns how many, or -1 if the list
 * overflowed and every shadow table was dropped (flush the whole TLB). */
int  bm_mmu_reguard(struct bm_mmu *m, uint32_t *va);
/* Walk the guest's tables for va (user/write access as given).  Returns
 * BM_PF_FILLED with *gpa set, or a fault code with *gerr.  set_ad: mark
 * accessed (and dirty on write) in the guest's entries. */
int  bm_mmu_walk(struct bm_mmu *m, uint32_t va, int write, int user,
		 int set_ad, uint32_t *gpa, uint32_t *gerr);

#endif
