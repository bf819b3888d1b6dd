/*
 * kalloc.c - physical page allocator: a bump pointer over the RAM ranges
 * (skipping reserved ones) plus a free list of returned pages, and a
 * per-frame reference count used by copy-on-write fork.  Pages are handed
 * out as direct-map (KERNBASE) addresses, zeroed.  Until vm_init has
 * mapped all RAM (kalloc_boot_done) only frames below BOOT_MAPPED, which
 * boot.S maps, are handed out: modules may fill the memory right after
 * the kernel.  Runs: guest kernel; callers need no lock, every entry
 * point disables interrupts itself.
 */
#include "kernel.h"
#include "x86.h"

#define MAXRANGES 16
#define MAXFRAMES (DIRECTMAX / PGSIZE)

static struct memrange ranges[MAXRANGES];
static int nranges, cur;           /* bump allocation in ranges[cur] */
static u32 bump;
static struct memrange reserved[MAXRANGES];
static int nreserved;
static void *freelist;
static u32 nfree_list;
static u8 refcnt[MAXFRAMES];
static u32 boot_limit = BOOT_MAPPED;   /* 0 once all RAM is mapped */

static int is_reserved(u32 pa)
{
	int i;

	for (i = 0; i < nreserved; i++)
		if (pa >= reserved[i].start && pa < reserved[i].end)
			return 1;
	return 0;
}

void kalloc_init(struct memrange *ram, int nram, struct memrange *resv,
		 int nresv)
{
	int i;

	for (i = 0; i < nram && i < MAXRANGES; i++) {
		ranges[i].start = PGROUNDUP(ram[i].start);
		ranges[i].end = PGROUNDDOWN(ram[i].end);
	}
	nranges = i;
	for (i = 0; i < nresv && i < MAXRANGES; i++)
		reserved[i] = resv[i];
	nreserved = i;
	cur = 0;
	bump = nranges ? ranges[0].start : 0;
}

static int frame_free(u32 pa)
{
	return !is_reserved(pa) && (pa / PGSIZE >= MAXFRAMES ||
				    !refcnt[pa / PGSIZE]);
}

/* While only the boot map exists: the lowest free frame below it. */
static u32 boot_next(void)
{
	int i;
	u32 pa;

	for (i = 0; i < nranges; i++)
		for (pa = ranges[i].start; pa < ranges[i].end &&
		     pa < boot_limit; pa += PGSIZE)
			if (pa && frame_free(pa))
				return pa;
	return 0;
}

/* Next never-used frame from the bump pointer (skipping those handed out
 * during boot), or 0 when RAM is gone. */
static u32 bump_next(void)
{
	if (boot_limit)
		return boot_next();
	while (cur < nranges) {
		if (bump < ranges[cur].start)
			bump = ranges[cur].start;
		while (bump < ranges[cur].end) {
			u32 pa = bump;
			bump += PGSIZE;
			if (frame_free(pa))
				return pa;
		}
		cur++;
	}
	return 0;
}

void kalloc_boot_done(void)
{
	boot_limit = 0;
}

/* A zeroed page (kernel virtual address) with refcount 1, or NULL. */
void *kalloc(void)
{
	u32 f = irq_save();
	void *va = freelist;
	u32 pa;

	if (va) {
		freelist = *(void **)va;
		nfree_list--;
		pa = V2P(va);
	} else {
		pa = bump_next();
		va = pa ? P2V(pa) : NULL;
	}
	if (va)
		refcnt[pa / PGSIZE] = 1;
	irq_restore(f);
	if (va)
		memset(va, 0, PGSIZE);
	return va;
}

/* Drop one reference; the page returns to the free list at zero. */
void kfree(void *va)
{
	u32 f = irq_save();
	u32 pfn = V2P(va) / PGSIZE;

	if ((u32)va & (PGSIZE - 1) || pfn >= MAXFRAMES || refcnt[pfn] == 0)
		panic("kfree: bad page %p", va);
	if (--refcnt[pfn] == 0) {
		*(void **)va = freelist;
		freelist = va;
		nfree_list++;
	}
	irq_restore(f);
}

void page_ref(u32 pa)
{
	u32 f = irq_save();
	if (++refcnt[pa / PGSIZE] == 0)
		panic("page_ref: overflow at %x", pa);
	irq_restore(f);
}

u32 page_refcount(u32 pa)
{
	return refcnt[pa / PGSIZE];
}

/* Free pages: the free list plus what the bump pointer has not reached. */
u32 kalloc_free_pages(void)
{
	u32 n = nfree_list, f = irq_save();
	int i;

	for (i = cur; i < nranges; i++) {
		u32 from = bump > ranges[i].start ? bump : ranges[i].start;
		if (from < ranges[i].end)
			n += (ranges[i].end - from) / PGSIZE;
	}
	irq_restore(f);
	return n;
}
