/*
 * vm.c - 32-bit non-PAE paging with 4 KiB pages only: the kernel page
 * directory (all RAM direct-mapped at KERNBASE, nothing at or above
 * KGUARD), per-process directories sharing the kernel's page tables,
 * copy-on-write fork, demand-zero faults and user copy helpers.  Runs:
 * guest kernel.  Uses CR3 reloads for address-space switches and invlpg
 * after changing one mapping of the current address space.
 */
#include "kernel.h"
#include "x86.h"

#define PDX(va) ((u32)(va) >> 22)
#define PTX(va) (((u32)(va) >> 12) & 0x3ff)
#define PTE_ADDR(e) ((e) & ~0xfffu)

static u32 *kpgdir;

u32 *vm_kpgdir(void)
{
	return kpgdir;
}

/* The PTE for va, allocating its page table if alloc; NULL otherwise. */
u32 *vm_walk(u32 *pgdir, u32 va, int alloc)
{
	u32 *pde = &pgdir[PDX(va)];
	u32 *pt;

	if (*pde & PTE_P) {
		pt = P2V(PTE_ADDR(*pde));
	} else {
		if (!alloc || !(pt = kalloc()))
			return NULL;
		*pde = V2P(pt) | PTE_P | PTE_W | (va < USERTOP ? PTE_U : 0);
	}
	return &pt[PTX(va)];
}

int vm_map(u32 *pgdir, u32 va, u32 pa, u32 flags)
{
	u32 *pte = vm_walk(pgdir, va, 1);

	if (!pte)
		return -1;
	*pte = PTE_ADDR(pa) | flags | PTE_P;
	return 0;
}

/* Map a fresh zero page at va (user flags given); -1 when out of RAM. */
int vm_alloc_zero(u32 *pgdir, u32 va, u32 flags)
{
	void *page = kalloc();

	if (!page)
		return -1;
	if (vm_map(pgdir, PGROUNDDOWN(va), V2P(page), flags) < 0) {
		kfree(page);
		return -1;
	}
	return 0;
}

/* Global pages if the CPU has them: the direct map never changes, so
 * CR3 loads need not flush it (what Linux does with PAGE_KERNEL). */
static u32 vm_global_flag(void)
{
	u32 a, b, c, d;

	cpuid(1, &a, &b, &c, &d);
	if (!(d & CPUID_PGE))
		return 0;
	write_cr4(read_cr4() | CR4_PGE);
	return PTE_G;
}

/* Build the kernel directory: RAM [0, ram_end) at KERNBASE, then load it.
 * The direct map is born accessed and dirty (as Linux's PAGE_KERNEL is):
 * nothing reads those bits, and the CPU need not set them. */
void vm_init(u32 ram_end)
{
	u32 pa, g = vm_global_flag();

	if (ram_end > DIRECTMAX)
		ram_end = DIRECTMAX;
	kpgdir = kalloc();
	if (!kpgdir)
		panic("vm_init: no page for the directory");
	for (pa = 0; pa < ram_end; pa += PGSIZE)
		if (vm_map(kpgdir, KERNBASE + pa, pa, PTE_W | PTE_A | PTE_D | g) < 0)
			panic("vm_init: out of memory at %x", pa);
	write_cr3(V2P(kpgdir));
	kalloc_boot_done();
}

/* A user directory sharing every kernel page table; NULL if no memory. */
u32 *vm_new_pgdir(void)
{
	u32 *pd = kalloc();
	u32 i;

	if (!pd)
		return NULL;
	for (i = PDX(KERNBASE); i < 1024; i++)
		pd[i] = kpgdir[i];
	return pd;
}

/* Share every user page of parent with child, both read-only + COW. */
int vm_fork(u32 *parent, u32 *child)
{
	u32 va, *pte, *cpte;

	for (va = 0; va < USERTOP; va += PGSIZE) {
		if (!(parent[PDX(va)] & PTE_P)) {
			va += (1u << 22) - PGSIZE;
			continue;
		}
		pte = vm_walk(parent, va, 0);
		if (!pte || !(*pte & PTE_P))
			continue;
		if (*pte & PTE_W)
			*pte = (*pte & ~PTE_W) | PTE_COW;
		if (!(cpte = vm_walk(child, va, 1)))
			return -1;
		*cpte = *pte;
		page_ref(PTE_ADDR(*pte));
	}
	write_cr3(read_cr3());      /* parent's write permissions changed */
	return 0;
}

/* Unmap and release the user pages in [start, end). */
void vm_unmap_range(u32 *pgdir, u32 start, u32 end)
{
	u32 va, *pte;
	int current = V2P(pgdir) == read_cr3();

	for (va = PGROUNDDOWN(start); va < end && va < USERTOP; va += PGSIZE) {
		if (!(pgdir[PDX(va)] & PTE_P)) {
			va = (va & ~((1u << 22) - 1)) + (1u << 22) - PGSIZE;
			continue;
		}
		pte = vm_walk(pgdir, va, 0);
		if (!pte || !(*pte & PTE_P))
			continue;
		kfree(P2V(PTE_ADDR(*pte)));
		*pte = 0;
		if (current)
			invlpg(va);
	}
}

/* Release a whole user address space and its directory. */
void vm_free(u32 *pgdir)
{
	u32 i;

	vm_unmap_range(pgdir, 0, USERTOP);
	for (i = 0; i < PDX(USERTOP); i++)
		if (pgdir[i] & PTE_P)
			kfree(P2V(PTE_ADDR(pgdir[i])));
	kfree(pgdir);
}

/* Make p's address space current and point the TSS at its kernel stack. */
void vm_switch(struct proc *p)
{
	tss_set_esp0((u32)p->kstack + KSTACK);
	write_cr3(V2P(p->pgdir));
}

static int in_region(struct proc *p, u32 va)
{
	int i;

	if (va >= p->brk_base && va < PGROUNDUP(p->brk))
		return 1;
	if (va >= USERTOP - STACKSIZE && va < USERTOP)
		return 1;
	for (i = 0; i < NMMAP; i++)
		if (va >= p->mmaps[i].start && va < p->mmaps[i].end)
			return 1;
	return 0;
}

/* Write fault on a COW page: take it over, or copy it if shared. */
static int vm_cow(struct proc *p, u32 va, u32 *pte)
{
	u32 pa = PTE_ADDR(*pte);
	void *copy;

	if (page_refcount(pa) == 1) {
		*pte = (*pte | PTE_W) & ~PTE_COW;
	} else {
		if (!(copy = kalloc()))
			return -1;
		memcpy(copy, P2V(pa), PGSIZE);
		*pte = V2P(copy) | (*pte & 0xfff & ~PTE_COW) | PTE_W;
		kfree(P2V(pa));
	}
	if (V2P(p->pgdir) == read_cr3())
		invlpg(va);
	return 0;
}

/*
 * Resolve a user fault at va: demand-zero in the heap, stack and mmap
 * regions, copy-on-write on writes.  Returns 0 if fixed, -1 for SIGSEGV.
 */
int vm_fault(struct proc *p, u32 va, int write)
{
	u32 *pte;

	if (va >= USERTOP)
		return -1;
	pte = vm_walk(p->pgdir, va, 0);
	if (pte && (*pte & PTE_P)) {
		if (write && (*pte & PTE_COW))
			return vm_cow(p, PGROUNDDOWN(va), pte);
		return -1;          /* protection fault on a real mapping */
	}
	if (!in_region(p, va))
		return -1;
	return vm_alloc_zero(p->pgdir, va, PTE_U | PTE_W);
}

/* Kernel address of user byte uva, faulting the page in first. */
static u8 *user_ptr(struct proc *p, u32 uva, int write)
{
	u32 *pte;

	if (uva >= USERTOP)
		return NULL;
	pte = vm_walk(p->pgdir, uva, 0);
	if (!pte || !(*pte & PTE_P) || (write && !(*pte & PTE_W))) {
		if (vm_fault(p, uva, write) < 0)
			return NULL;
		pte = vm_walk(p->pgdir, uva, 0);
	}
	if (!(*pte & PTE_U))
		return NULL;
	return (u8 *)P2V(PTE_ADDR(*pte)) + (uva & (PGSIZE - 1));
}

/* Copy n bytes between the kernel buffer k and user address uva of p,
 * page by page: to user space when out, else from it.  0, or -1 when a
 * user page cannot be faulted in (for writing, when out). */
static int copy_user(struct proc *p, u32 uva, u8 *k, u32 n, int out)
{
	while (n) {
		u8 *u = user_ptr(p, uva, out);
		u32 chunk = PGSIZE - (uva & (PGSIZE - 1));

		if (!u)
			return -1;
		if (chunk > n)
			chunk = n;
		if (out)
			memcpy(u, k, chunk);
		else
			memcpy(k, u, chunk);
		k += chunk;
		uva += chunk;
		n -= chunk;
	}
	return 0;
}

int copyout(struct proc *p, u32 uva, const void *src, u32 n)
{
	return copy_user(p, uva, (u8 *)src, n, 1);
}

int copyin(struct proc *p, void *dst, u32 uva, u32 n)
{
	return copy_user(p, uva, dst, n, 0);
}

/* Copy a NUL-terminated string of at most max bytes; its length or -1. */
int copyinstr(struct proc *p, char *dst, u32 uva, u32 max)
{
	u32 i;

	for (i = 0; i < max; i++) {
		if (copyin(p, &dst[i], uva + i, 1) < 0)
			return -1;
		if (dst[i] == 0)
			return (int)i;
	}
	return -1;
}
