/*
 * test_shadow.c - criterion tests of the shadow page tables
 * (backends/baremetal/shadow.c, compiled for the host) against fake
 * memory: a pool of monitor pages and 4 MiB of guest RAM.
 * Runs: host, `meson test --suite baremetal`.
 */
#include <criterion/criterion.h>
#include <string.h>
#include "shadow.h"

#define POOL_PA   0x00800000u
#define POOL_N    64
#define RAM_HPA   0x01000000u
#define RAM_SIZE  0x00400000u
#define STUB_HPA  0x00105000u

static uint32_t pool[POOL_N][1024];
static uint8_t used[POOL_N];
static int nused;
static uint8_t *ram;

static void *t_table(uint32_t pa)
{
	cr_assert(pa >= POOL_PA && pa < POOL_PA + POOL_N * 4096);
	return pool[(pa - POOL_PA) / 4096];
}

static uint32_t t_alloc(void)
{
	for (int i = 0; i < POOL_N; i++)
		if (!used[i]) {
			used[i] = 1;
			nused++;
			memset(pool[i], 0, 4096);
			return POOL_PA + i * 4096;
		}
	return 0;
}

static void t_free(uint32_t pa)
{
	unsigned i = (pa - POOL_PA) / 4096;
	cr_assert(used[i], "double free of %x", pa);
	used[i] = 0;
	nused--;
}

static void *t_gpa(uint32_t gpa, uint32_t len)
{
	return gpa < RAM_SIZE && len <= RAM_SIZE - gpa ? ram + gpa : NULL;
}

static const struct bm_mmu_env env = { t_table, t_alloc, t_free, t_gpa };
static struct bm_mmu mmu;
static uint32_t high[1024 - BM_MMU_GUEST_PDES];

static uint32_t *gmem(uint32_t gpa) { return (uint32_t *)(ram + gpa); }

/* Guest tables: PD at 0x1000, PT at 0x2000 covering 0x400000..0x7fffff. */
#define GPD 0x1000u
#define GPT 0x2000u

static void setup(void)
{
	memset(used, 0, sizeof used);
	nused = 0;
	ram = calloc(1, RAM_SIZE);
	for (unsigned i = 0; i < 1024 - BM_MMU_GUEST_PDES; i++)
		high[i] = 0xfd000083u + i * 0x400000u;
	cr_assert_eq(bm_mmu_init(&mmu, &env, RAM_HPA, RAM_SIZE, high), 0);
	mmu.wp = 1;
	gmem(GPD)[1] = GPT | 0x007;                 /* va 0x400000 */
}

static void teardown(void) { free(ram); }

static uint32_t spte(uint32_t va)
{
	uint32_t *pd = t_table(mmu.root);
	if (!(pd[va >> 22] & 1))
		return 0;
	return ((uint32_t *)t_table(pd[va >> 22] & ~0xfffu))[(va >> 12) & 1023];
}

TestSuite(shadow, .init = setup, .fini = teardown);

Test(shadow, monitor_pdes_in_every_shadow)
{
	uint32_t *pd = t_table(mmu.root);
	for (unsigned i = BM_MMU_GUEST_PDES; i < 1024; i++)
		cr_assert_eq(pd[i], high[i - BM_MMU_GUEST_PDES]);
	bm_mmu_load_cr3(&mmu, GPD, 1);
	for (unsigned i = BM_MMU_GUEST_PDES; i < 1024; i++)
		cr_assert_eq(pd[i], high[i - BM_MMU_GUEST_PDES]);
}

Test(shadow, paging_off_is_identity)
{
	uint32_t gerr;
	cr_assert_eq(bm_mmu_fault(&mmu, 0x3456, 0, &gerr), BM_PF_FILLED);
	cr_assert_eq(spte(0x3456), (RAM_HPA + 0x3000) | 0x3);
	cr_assert_eq(bm_mmu_fault(&mmu, RAM_SIZE + 0x10, 2, &gerr),
		     BM_PF_BADFRAME);
}

Test(shadow, fill_sets_accessed_then_dirty)
{
	uint32_t gerr;
	gmem(GPT)[5] = 0x9000 | 0x007;              /* va 0x405000, clean */
	bm_mmu_load_cr3(&mmu, GPD, 1);
	cr_assert_eq(bm_mmu_fault(&mmu, 0x405010, 0, &gerr), BM_PF_FILLED);
	cr_assert_eq(gmem(GPT)[5], 0x9000 | 0x027);  /* A, not D */
	cr_assert_eq(gmem(GPD)[1] & 0x20, 0x20);     /* PDE accessed */
	cr_assert_eq(spte(0x405010), (RAM_HPA + 0x9000) | 0x5);  /* RO */
	cr_assert_eq(bm_mmu_fault(&mmu, 0x405010, 3, &gerr), BM_PF_FILLED);
	cr_assert_eq(gmem(GPT)[5], 0x9000 | 0x067);  /* now dirty */
	cr_assert_eq(spte(0x405010), (RAM_HPA + 0x9000) | 0x7);
}

Test(shadow, dirty_page_shadowed_writable_on_read)
{
	uint32_t gerr;
	gmem(GPT)[6] = 0xa000 | 0x047;              /* already dirty */
	bm_mmu_load_cr3(&mmu, GPD, 1);
	cr_assert_eq(bm_mmu_fault(&mmu, 0x406000, 0, &gerr), BM_PF_FILLED);
	cr_assert_eq(spte(0x406000) & 0x2, 0x2);
}

Test(shadow, guest_faults_reflected)
{
	uint32_t gerr;
	bm_mmu_load_cr3(&mmu, GPD, 1);
	cr_assert_eq(bm_mmu_fault(&mmu, 0x407000, 6, &gerr), BM_PF_GUEST);
	cr_assert_eq(gerr, 6);                       /* not present, U|W */
	cr_assert_eq(bm_mmu_fault(&mmu, 0x00c00000, 0, &gerr), BM_PF_GUEST);
	cr_assert_eq(gerr, 0);                       /* PDE not present */
	gmem(GPT)[8] = 0xb000 | 0x003;              /* supervisor page */
	cr_assert_eq(bm_mmu_fault(&mmu, 0x408000, 4, &gerr), BM_PF_GUEST);
	cr_assert_eq(gerr, 5);                       /* protection, user */
	gmem(GPT)[9] = 0xc000 | 0x005;              /* read-only user */
	cr_assert_eq(bm_mmu_fault(&mmu, 0x409000, 6, &gerr), BM_PF_GUEST);
	cr_assert_eq(gerr, 7);
	cr_assert_eq(bm_mmu_fault(&mmu, 0x409000, 2, &gerr), BM_PF_GUEST);
	cr_assert_eq(gerr, 3);                       /* kernel, CR0.WP=1 */
	mmu.wp = 0;
	cr_assert_eq(bm_mmu_fault(&mmu, 0x409000, 2, &gerr), BM_PF_FILLED);
	cr_assert_eq(gmem(GPT)[9] & 0x60, 0x60);
}

Test(shadow, frames_outside_ram_refused)
{
	uint32_t gerr;
	gmem(GPT)[10] = (RAM_SIZE + 0x1000) | 0x003;
	bm_mmu_load_cr3(&mmu, GPD, 1);
	cr_assert_eq(bm_mmu_fault(&mmu, 0x40a000, 0, &gerr), BM_PF_BADFRAME);
	bm_mmu_load_cr3(&mmu, RAM_SIZE + 0x2000, 1);    /* CR3 outside RAM */
	cr_assert_eq(bm_mmu_fault(&mmu, 0x40a000, 0, &gerr), BM_PF_BADFRAME);
}

Test(shadow, invlpg_drops_one_entry)
{
	uint32_t gerr;
	gmem(GPT)[5] = 0x9000 | 0x007;
	gmem(GPT)[6] = 0xa000 | 0x007;
	bm_mmu_load_cr3(&mmu, GPD, 1);
	bm_mmu_fault(&mmu, 0x405000, 0, &gerr);
	bm_mmu_fault(&mmu, 0x406000, 0, &gerr);
	gmem(GPT)[5] = 0xd000 | 0x007;               /* guest remaps */
	cr_assert_eq(spte(0x405000) & ~0xfffu, RAM_HPA + 0x9000); /* stale */
	bm_mmu_invlpg(&mmu, 0x405000);
	cr_assert_eq(spte(0x405000), 0);
	cr_assert_neq(spte(0x406000), 0);
	bm_mmu_fault(&mmu, 0x405000, 0, &gerr);
	cr_assert_eq(spte(0x405000) & ~0xfffu, RAM_HPA + 0xd000);
}

Test(shadow, invlpg_after_pde_change_drops_table)
{
	uint32_t gerr;
	gmem(GPT)[5] = 0x9000 | 0x007;
	gmem(GPT)[6] = 0xa000 | 0x007;
	bm_mmu_load_cr3(&mmu, GPD, 1);
	bm_mmu_fault(&mmu, 0x405000, 0, &gerr);
	bm_mmu_fault(&mmu, 0x406000, 0, &gerr);
	int before = nused;
	gmem(GPD)[1] = 0x3000 | 0x007;               /* new page table */
	bm_mmu_invlpg(&mmu, 0x405000);
	cr_assert_eq(spte(0x406000), 0);             /* whole table gone */
	cr_assert_eq(nused - (int)mmu.nclean, before - 1, "table released");
}

Test(shadow, cr3_load_drops_everything)
{
	uint32_t gerr;
	int base = nused;
	gmem(GPT)[5] = 0x9000 | 0x007;
	bm_mmu_load_cr3(&mmu, GPD, 1);
	bm_mmu_fault(&mmu, 0x405000, 0, &gerr);
	bm_mmu_fault(&mmu, 0x00001000, 0, &gerr);    /* PDE 0 not present */
	cr_assert_eq(nused, base + 1);
	bm_mmu_load_cr3(&mmu, 0x5000, 1);            /* another, empty space */
	cr_assert_eq(nused - (int)mmu.nclean, base);
	cr_assert_eq(mmu.nlive, 0);
	cr_assert_eq(spte(0x405000), 0);
	bm_mmu_load_cr3(&mmu, 0, 0);                 /* paging off again */
	cr_assert_eq(bm_mmu_fault(&mmu, 0x305000, 0, &gerr), BM_PF_FILLED);
	cr_assert_eq(spte(0x305000) & ~0xfffu, RAM_HPA + 0x305000);
}

Test(shadow, large_pages_with_pse)
{
	uint32_t gerr;
	gmem(GPD)[2] = 0x00000000 | 0x087;           /* 4 MiB at 0 */
	mmu.pse = 1;
	bm_mmu_load_cr3(&mmu, GPD, 1);
	cr_assert_eq(bm_mmu_fault(&mmu, 0x00812345, 2, &gerr), BM_PF_FILLED);
	cr_assert_eq(spte(0x00812345), (RAM_HPA + 0x12000) | 0x7);
	cr_assert_eq(gmem(GPD)[2] & 0x60, 0x60);
}

Test(shadow, monitor_region_and_stub_alias)
{
	uint32_t gerr;
	cr_assert_eq(bm_mmu_fault(&mmu, 0xFD100000, 2, &gerr), BM_PF_MONITOR);
	cr_assert_eq(bm_mmu_fault(&mmu, 0xFC001000, 4, &gerr), BM_PF_GUEST);
	mmu.stub_alias = 0x3C001000;
	mmu.stub_hpa = STUB_HPA;
	cr_assert_eq(bm_mmu_fault(&mmu, 0x3C002010, 0, &gerr), BM_PF_FILLED);
	cr_assert_eq(spte(0x3C002010), (STUB_HPA + 0x1000) | 0x1);
	cr_assert_eq(bm_mmu_fault(&mmu, 0x3C001000, 2, &gerr), BM_PF_MONITOR);
	cr_assert_eq(bm_mmu_fault(&mmu, 0x3C001000, 4, &gerr), BM_PF_BADFRAME);
	bm_mmu_load_cr3(&mmu, GPD, 1);              /* paging on: alias gone */
	cr_assert_eq(spte(0x3C002010), 0);
	cr_assert_eq(bm_mmu_fault(&mmu, 0x3C002010, 0, &gerr), BM_PF_GUEST);
}

Test(shadow, walk_without_side_effects)
{
	uint32_t gpa, gerr;
	gmem(GPT)[5] = 0x9000 | 0x007;
	bm_mmu_load_cr3(&mmu, GPD, 1);
	cr_assert_eq(bm_mmu_walk(&mmu, 0x405abc, 0, 0, 0, &gpa, &gerr),
		     BM_PF_FILLED);
	cr_assert_eq(gpa, 0x9abc);
	cr_assert_eq(gmem(GPT)[5], 0x9007);          /* untouched */
}

Test(shadow, fault_around_only_accessed_neighbours)
{
	uint32_t gerr;
	gmem(GPT)[0x10] = 0x10000 | 0x007;          /* the faulting page */
	gmem(GPT)[0x11] = 0x11000 | 0x027;          /* accessed, clean */
	gmem(GPT)[0x12] = 0x12000 | 0x067;          /* accessed, dirty */
	gmem(GPT)[0x13] = 0x13000 | 0x007;          /* never accessed */
	gmem(GPT)[BM_MMU_AROUND] = 0x20000 | 0x027; /* next block */
	bm_mmu_load_cr3(&mmu, GPD, 1);
	cr_assert_eq(bm_mmu_fault(&mmu, 0x410000, 0, &gerr), BM_PF_FILLED);
	cr_assert_eq(spte(0x411000), (RAM_HPA + 0x11000) | 0x5);
	cr_assert_eq(spte(0x412000), (RAM_HPA + 0x12000) | 0x7);
	cr_assert_eq(spte(0x413000), 0);
	cr_assert_eq(gmem(GPT)[0x13], 0x13000 | 0x007);  /* A untouched */
	cr_assert_eq(spte(0x400000 + BM_MMU_AROUND * 4096), 0);
}

Test(shadow, fault_around_identity_when_paging_off)
{
	uint32_t gerr;
	cr_assert_eq(bm_mmu_fault(&mmu, 0x23456, 0, &gerr), BM_PF_FILLED);
	uint32_t end = BM_MMU_AROUND * 4096;        /* block of 0x23456 */
	cr_assert_eq(spte(0x0), RAM_HPA | 0x3);
	cr_assert_eq(spte(end - 4096), (RAM_HPA + end - 4096) | 0x3);
	cr_assert_eq(spte(end), 0);
}

/* Hints: returning to an address space refills the blocks that faulted
 * there, from the guest's tables as they are at the CR3 load. */
Test(shadow, cr3_load_refills_hinted_blocks)
{
	uint32_t gerr;
	gmem(GPT)[0x10] = 0x10000 | 0x007;
	gmem(GPT)[0x11] = 0x11000 | 0x027;          /* accessed neighbour */
	gmem(GPT)[0x12] = 0x12000 | 0x007;          /* never accessed */
	gmem(0x5000)[1] = GPT | 0x007;               /* second space */
	bm_mmu_load_cr3(&mmu, GPD, 1);
	cr_assert_eq(bm_mmu_fault(&mmu, 0x410000, 0, &gerr), BM_PF_FILLED);
	bm_mmu_load_cr3(&mmu, 0x5000, 1);            /* away: nothing hinted */
	cr_assert_eq(spte(0x410000), 0);
	cr_assert_eq(mmu.prefills, 0);
	gmem(GPT)[0x11] = 0x31000 | 0x027;          /* remapped while away */
	bm_mmu_load_cr3(&mmu, GPD, 1);               /* back */
	cr_assert_eq(spte(0x410000), (RAM_HPA + 0x10000) | 0x5);
	cr_assert_eq(spte(0x411000), (RAM_HPA + 0x31000) | 0x5, "not stale");
	cr_assert_eq(spte(0x412000), 0);
	cr_assert_eq(gmem(GPT)[0x12], 0x12000 | 0x007, "A not set by refill");
	cr_assert_eq(mmu.prefills, 2);
}

Test(shadow, cr3_refill_skips_unmapped_and_bad_frames)
{
	uint32_t gerr;
	gmem(GPT)[0x10] = 0x10000 | 0x007;
	gmem(GPT)[0x40] = 0x40000 | 0x007;
	bm_mmu_load_cr3(&mmu, GPD, 1);
	bm_mmu_fault(&mmu, 0x410000, 0, &gerr);
	bm_mmu_fault(&mmu, 0x440000, 0, &gerr);      /* same block: one hint */
	cr_assert_eq(mmu.hints[0].n, 1);
	gmem(GPT)[0x10] = 0;                         /* unmapped meanwhile */
	gmem(GPT)[0x40] = 0;
	bm_mmu_load_cr3(&mmu, GPD, 1);
	cr_assert_eq(spte(0x410000), 0);
	cr_assert_eq(spte(0x440000), 0);
	gmem(GPT)[0x10] = (RAM_SIZE + 0x1000) | 0x027;  /* outside RAM */
	bm_mmu_load_cr3(&mmu, GPD, 1);
	cr_assert_eq(spte(0x410000), 0);
	cr_assert_eq(mmu.prefills, 0);
}

Test(shadow, hints_kept_for_several_spaces)
{
	uint32_t gerr;
	gmem(GPT)[0x10] = 0x10000 | 0x007;
	for (uint32_t as = 0; as < BM_MMU_HINT_AS; as++) {
		uint32_t pd = 0x8000 + as * 0x1000;
		gmem(pd)[1] = GPT | 0x007;
		bm_mmu_load_cr3(&mmu, pd, 1);
		bm_mmu_fault(&mmu, 0x410000, 0, &gerr);
	}
	bm_mmu_load_cr3(&mmu, 0x8000, 1);            /* the first one again */
	cr_assert_neq(spte(0x410000), 0);
	bm_mmu_load_cr3(&mmu, 0, 0);                 /* paging off: no hints */
	cr_assert_eq(spte(0x410000), 0);
}

/* A dropped shadow table is kept for reuse with every entry it held
 * zeroed (only its written range is cleaned). */
Test(shadow, dropped_table_reused_clean)
{
	uint32_t gerr;
	for (unsigned k = 0; k < 1024; k++)
		gmem(GPT)[k] = (0x100000 + (k & 0xff) * 4096) | 0x027;
	bm_mmu_load_cr3(&mmu, GPD, 1);
	bm_mmu_fault(&mmu, 0x410000, 0, &gerr);      /* block 0x400000.. */
	bm_mmu_fault(&mmu, 0x7ff000, 0, &gerr);      /* last block */
	uint32_t *pd = t_table(mmu.root), pt = pd[1] & ~0xfffu;
	cr_assert_eq(mmu.lo[1], 0);
	cr_assert_eq(mmu.hi[1], 1023);
	int before = nused;
	bm_mmu_load_cr3(&mmu, 0x5000, 1);
	cr_assert_eq(mmu.nclean, 1);
	uint32_t *e = t_table(pt);
	for (unsigned k = 0; k < 1024; k++)
		cr_assert_eq(e[k], 0, "entry %u", k);
	gmem(0x5000)[2] = GPT | 0x007;               /* va 0x800000 */
	bm_mmu_fault(&mmu, 0x800000, 0, &gerr);
	cr_assert_eq(((uint32_t *)t_table(mmu.root))[2] & ~0xfffu, pt, "reused");
	cr_assert_eq(nused, before, "no pool page taken");
	cr_assert_eq(mmu.nclean, 0);
}

Test(shadow, fault_around_scans_a_block_once)
{
	uint32_t gerr;
	gmem(GPT)[0x10] = 0x10000 | 0x007;
	bm_mmu_load_cr3(&mmu, GPD, 1);
	cr_assert_eq(bm_mmu_fault(&mmu, 0x410000, 0, &gerr), BM_PF_FILLED);
	gmem(GPT)[0x11] = 0x11000 | 0x027;          /* accessed afterwards */
	gmem(GPT)[0x12] = 0x12000 | 0x007;
	cr_assert_eq(bm_mmu_fault(&mmu, 0x412000, 0, &gerr), BM_PF_FILLED);
	cr_assert_eq(spte(0x411000), 0, "block already scanned");
	bm_mmu_load_cr3(&mmu, GPD, 1);               /* new table: scan again */
	cr_assert_eq(bm_mmu_fault(&mmu, 0x410000, 0, &gerr), BM_PF_FILLED);
	cr_assert_eq(spte(0x411000), (RAM_HPA + 0x11000) | 0x5);
}

/* Guest kernel page at 0xc0000000 (PDE 768, PT at 0x3000). */
#define KPT 0x3000u
static void map_kernel(uint32_t gpd, uint32_t flags)
{
	gmem(gpd)[768] = KPT | 0x003;
	gmem(KPT)[0] = 0x20000 | flags;
}

Test(shadow, global_translations_survive_cr3_load_with_pge)
{
	uint32_t gerr;
	map_kernel(GPD, 0x163);                      /* G A D W P */
	map_kernel(0x5000, 0x163);
	gmem(GPT)[5] = 0x9000 | 0x067;               /* user, not global */
	mmu.pge = 1;
	bm_mmu_load_cr3(&mmu, GPD, 1);
	bm_mmu_fault(&mmu, 0xc0000000, 0, &gerr);
	bm_mmu_fault(&mmu, 0x405000, 0, &gerr);
	uint32_t k = spte(0xc0000000);
	cr_assert_eq(k & ~0xfffu, RAM_HPA + 0x20000);
	bm_mmu_load_cr3(&mmu, 0x5000, 1);
	cr_assert_eq(spte(0xc0000000), k, "global entry kept");
	cr_assert_eq(spte(0x405000), 0, "non-global table dropped");
	bm_mmu_invlpg(&mmu, 0xc0000000);             /* the guest flushes it */
	cr_assert_eq(spte(0xc0000000), 0);
	bm_mmu_fault(&mmu, 0xc0000000, 0, &gerr);
	bm_mmu_load_cr3(&mmu, 0, 0);                 /* paging off: all go */
	cr_assert_eq(spte(0xc0000000), 0);
}

Test(shadow, no_global_kept_without_pge_or_g)
{
	uint32_t gerr;
	/* 0x5000: a space without the kernel page (so no hinted refill) */
	map_kernel(GPD, 0x163);
	bm_mmu_load_cr3(&mmu, GPD, 1);               /* guest CR4.PGE clear */
	bm_mmu_fault(&mmu, 0xc0000000, 0, &gerr);
	bm_mmu_load_cr3(&mmu, 0x5000, 1);
	cr_assert_eq(spte(0xc0000000), 0);
	mmu.pge = 1;
	map_kernel(GPD, 0x063);                      /* PGE, but no G */
	bm_mmu_load_cr3(&mmu, GPD, 1);
	bm_mmu_fault(&mmu, 0xc0000000, 0, &gerr);
	bm_mmu_load_cr3(&mmu, 0x5000, 1);
	cr_assert_eq(spte(0xc0000000), 0);
	map_kernel(GPD, 0x163);                      /* mixed table: scrubbed */
	gmem(KPT)[1] = 0x21000 | 0x063;
	bm_mmu_load_cr3(&mmu, GPD, 1);
	bm_mmu_fault(&mmu, 0xc0000000, 0, &gerr);
	bm_mmu_fault(&mmu, 0xc0001000, 0, &gerr);
	cr_assert_neq(spte(0xc0001000), 0);
	uint32_t k = spte(0xc0000000);
	bm_mmu_load_cr3(&mmu, 0x5000, 1);
	cr_assert_eq(spte(0xc0000000), k, "the global entry stays");
	cr_assert_eq(spte(0xc0001000), 0, "the non-global one goes");
	gmem(KPT)[2] = 0x22000 | 0x163;              /* accessed since */
	bm_mmu_load_cr3(&mmu, GPD, 1);
	bm_mmu_fault(&mmu, 0xc0001000, 0, &gerr);
	cr_assert_neq(spte(0xc0002000), 0, "scrubbed block scanned again");
}

Test(shadow, guarded_frame_read_only_until_written)
{
	uint32_t gerr, fr = 0x9, va[BM_MMU_UNPROT];
	gmem(GPT)[5] = 0x9000 | 0x067;               /* dirty, writable */
	gmem(GPT)[6] = 0x9000 | 0x067;               /* an alias of it */
	bm_mmu_load_cr3(&mmu, GPD, 1);
	bm_mmu_guard(&mmu, &fr, 1);
	cr_assert_eq(bm_mmu_fault(&mmu, 0x405000, 0, &gerr), BM_PF_FILLED);
	cr_assert_eq(spte(0x405000) & 2, 0, "guarded: read-only");
	cr_assert_eq(spte(0x406000) & 2, 0, "fault-around too");
	cr_assert_eq(mmu.prot_written, 0);
	cr_assert_eq(bm_mmu_fault(&mmu, 0x405000, 3, &gerr), BM_PF_FILLED);
	cr_assert_eq(spte(0x405000) & 2, 2, "the write goes through");
	cr_assert_eq(mmu.prot_written, 1);
	cr_assert_eq(bm_mmu_reguard(&mmu, va), 1);
	cr_assert_eq(va[0], 0x405000);
	cr_assert_eq(spte(0x405000), 0);
	cr_assert_eq(mmu.prot_written, 0);
	bm_mmu_fault(&mmu, 0x405000, 0, &gerr);
	cr_assert_eq(spte(0x405000) & 2, 0, "guarded again");
}

Test(shadow, guard_list_overflow_flushes)
{
	uint32_t gerr, fr = 0x9, va[BM_MMU_UNPROT];
	for (unsigned k = 0; k <= BM_MMU_UNPROT; k++)
		gmem(GPT)[0x20 + k] = 0x9000 | 0x067;
	bm_mmu_load_cr3(&mmu, GPD, 1);
	bm_mmu_guard(&mmu, &fr, 1);
	for (unsigned k = 0; k <= BM_MMU_UNPROT; k++)
		bm_mmu_fault(&mmu, 0x420000 + k * 4096, 3, &gerr);
	cr_assert_eq(bm_mmu_reguard(&mmu, va), -1);
	cr_assert_eq(mmu.nlive, 0, "every table dropped");
	cr_assert_eq(mmu.prot_written, 0);
}

/* ---- kept tables per address space (issue 16) ---------------------------
 * Spaces GPD and 0x5000 each map user va 0x400000.. through their own
 * page table; the kernel page is global in both (guest CR4.PGE). */
#define GPT2 0x6000u
static void two_spaces(void)
{
	mmu.pge = 1;
	map_kernel(GPD, 0x163);
	map_kernel(0x5000, 0x163);
	gmem(0x5000)[1] = GPT2 | 0x007;
	gmem(GPT)[5] = 0x9000 | 0x067;               /* dirty: writable */
	gmem(GPT)[6] = 0xa000 | 0x007;               /* clean: read-only */
	gmem(GPT2)[5] = 0xb000 | 0x067;
}

Test(shadow, space_tables_reused_after_a_switch_back)
{
	uint32_t gerr;
	two_spaces();
	bm_mmu_load_cr3(&mmu, GPD, 1);
	bm_mmu_fault(&mmu, 0x405000, 2, &gerr);
	bm_mmu_fault(&mmu, 0x406000, 0, &gerr);
	uint32_t a5 = spte(0x405000), a6 = spte(0x406000);
	cr_assert_neq(a5, 0);
	cr_assert_neq(a6, 0);
	bm_mmu_load_cr3(&mmu, 0x5000, 1);
	cr_assert_eq(spte(0x405000), 0, "other space: not visible");
	bm_mmu_fault(&mmu, 0x405000, 0, &gerr);
	cr_assert_eq(spte(0x405000) & ~0xfffu, RAM_HPA + 0xb000);
	uint32_t fills = mmu.fills;
	bm_mmu_load_cr3(&mmu, GPD, 1);
	cr_assert_eq(spte(0x405000), a5, "kept entry back as it was");
	cr_assert_eq(spte(0x406000), a6);
	cr_assert_eq(mmu.fills, fills, "no refill needed");
	cr_assert_eq(mmu.reused, 2);
	cr_assert_eq(mmu.stale, 0);
	bm_mmu_load_cr3(&mmu, 0x5000, 1);
	cr_assert_eq(spte(0x405000) & ~0xfffu, RAM_HPA + 0xb000);
}

Test(shadow, space_resync_drops_what_changed_while_away)
{
	uint32_t gerr;
	two_spaces();
	gmem(GPT)[7] = 0xc000 | 0x067;
	gmem(GPT)[8] = 0xd000 | 0x067;
	bm_mmu_load_cr3(&mmu, GPD, 1);
	for (uint32_t va = 0x405000; va <= 0x408000; va += 0x1000)
		bm_mmu_fault(&mmu, va, 0, &gerr);
	uint32_t a6 = spte(0x406000);
	bm_mmu_load_cr3(&mmu, 0x5000, 1);
	gmem(GPT)[5] = 0xe000 | 0x067;               /* remapped */
	gmem(GPT)[7] &= ~0x20u;                      /* A cleared (aging) */
	gmem(GPT)[8] &= ~0x40u;                      /* D cleared (writeback) */
	bm_mmu_load_cr3(&mmu, GPD, 1);
	cr_assert_eq(spte(0x405000), 0, "remapped: not stale");
	cr_assert_eq(spte(0x406000), a6, "unchanged: kept");
	cr_assert_eq(spte(0x407000), 0, "A clear: the next access sets it");
	cr_assert_eq(spte(0x408000), 0, "D clear: the next write sets it");
	cr_assert_eq(mmu.stale, 3);
	bm_mmu_fault(&mmu, 0x407000, 0, &gerr);
	cr_assert_eq(gmem(GPT)[7] & 0x20u, 0x20u, "A set again");
	bm_mmu_fault(&mmu, 0x405000, 0, &gerr);
	cr_assert_eq(spte(0x405000) & ~0xfffu, RAM_HPA + 0xe000);
}

Test(shadow, space_directory_frame_reused_as_another_directory)
{
	uint32_t gerr;
	two_spaces();
	bm_mmu_load_cr3(&mmu, GPD, 1);
	bm_mmu_fault(&mmu, 0x405000, 0, &gerr);
	bm_mmu_load_cr3(&mmu, 0x5000, 1);
	/* GPD freed and reused: a new directory whose slot 1 is GPT2 */
	gmem(GPD)[1] = GPT2 | 0x007;
	bm_mmu_load_cr3(&mmu, GPD, 1);
	cr_assert_neq(spte(0x405000) & ~0xfffu, RAM_HPA + 0x9000,
		      "the old table is not taken back");
	bm_mmu_fault(&mmu, 0x405000, 0, &gerr);
	cr_assert_eq(spte(0x405000) & ~0xfffu, RAM_HPA + 0xb000);
	/* GPD reused as data (a zeroed page), then loaded: nothing kept */
	bm_mmu_load_cr3(&mmu, 0x5000, 1);
	memset(gmem(GPD), 0, 4096);
	map_kernel(GPD, 0x163);
	bm_mmu_load_cr3(&mmu, GPD, 1);
	cr_assert_eq(spte(0x405000), 0);
	cr_assert_eq(bm_mmu_fault(&mmu, 0x405000, 0, &gerr), BM_PF_GUEST);
}

Test(shadow, spaces_evicted_least_recently_used)
{
	uint32_t gerr;
	two_spaces();
	/* BM_MMU_SPACES + 1 directories sharing GPT in slot 1 */
	for (uint32_t s = 0; s <= BM_MMU_SPACES; s++) {
		uint32_t pd = 0x100000 + s * 0x1000;
		map_kernel(pd, 0x163);
		gmem(pd)[1] = GPT | 0x007;
	}
	for (uint32_t s = 0; s <= BM_MMU_SPACES; s++) {
		bm_mmu_load_cr3(&mmu, 0x100000 + s * 0x1000, 1);
		bm_mmu_fault(&mmu, 0x405000, 0, &gerr);
	}
	bm_mmu_load_cr3(&mmu, 0x5000, 1);
	cr_assert_geq(mmu.evicted, 1);
	uint32_t reused = mmu.reused;
	bm_mmu_load_cr3(&mmu, 0x100000, 1);          /* the oldest: evicted */
	cr_assert_eq(spte(0x405000), 0);
	cr_assert_eq(mmu.reused, reused);
	bm_mmu_load_cr3(&mmu, 0x100000 + BM_MMU_SPACES * 0x1000, 1);
	cr_assert_neq(spte(0x405000), 0, "the newest: kept");
	cr_assert_eq(mmu.reused, reused + 1);
	/* every kept table is accounted for: in use, kept or clean */
	bm_mmu_load_cr3(&mmu, 0, 0);
	for (unsigned i = 0; i < BM_MMU_SPACES; i++)
		cr_assert_leq(mmu.spaces[i].n, BM_MMU_SPACE_PTS);
}

Test(shadow, pool_exhaustion_reclaims_kept_tables)
{
	uint32_t gerr;
	two_spaces();
	bm_mmu_load_cr3(&mmu, GPD, 1);
	bm_mmu_fault(&mmu, 0x405000, 0, &gerr);
	bm_mmu_load_cr3(&mmu, 0x5000, 1);            /* GPD's table kept */
	mmu.nclean = 0;
	while (t_alloc())
		;                                    /* the pool is empty */
	gmem(0x5000)[2] = GPT | 0x007;               /* va 0x800000.. */
	cr_assert_eq(bm_mmu_fault(&mmu, 0x805000, 0, &gerr), BM_PF_FILLED,
		     "a kept table was given back for the new one");
	cr_assert_eq(mmu.evicted, 1);
}

/* A mixed kernel table (global entries and one non-global, as Linux's
 * head code leaves them): across a CR3 load to a space with the same
 * kernel PDE, the non-global entry stays while the new space's tables
 * still make it, and goes once they do not. */
Test(shadow, mixed_table_local_entry_resynced_not_dropped)
{
	uint32_t gerr;
	two_spaces();
	gmem(KPT)[1] = 0x21000 | 0x063;              /* non-global */
	bm_mmu_load_cr3(&mmu, GPD, 1);
	bm_mmu_fault(&mmu, 0xc0000000, 0, &gerr);
	bm_mmu_fault(&mmu, 0xc0001000, 0, &gerr);
	uint32_t k1 = spte(0xc0001000);
	cr_assert_neq(k1, 0);
	bm_mmu_load_cr3(&mmu, 0x5000, 1);            /* same kernel PDE */
	cr_assert_eq(spte(0xc0001000), k1, "still what a fill would make");
	gmem(KPT)[1] = 0x22000 | 0x063;              /* remapped */
	bm_mmu_load_cr3(&mmu, GPD, 1);
	cr_assert_eq(spte(0xc0001000), 0, "remapped: dropped");
	cr_assert_neq(spte(0xc0000000), 0, "the global entry stays");
}
