/*
 * tlb.c - the hosted backend's guest memory: guest-physical RAM in a
 * memfd, the wedge (shared page and stubs) at 0xFC000000, and the software
 * TLB that maps guest virtual pages on demand at the same host virtual
 * addresses from the guest's page tables.  Runs: hosted process.
 *
 * A page is mapped read-only until the guest's first write to it, so the
 * walker sets the dirty bit exactly when the CPU would.  CR3 loads and
 * flushes unmap every guest mapping; invlpg unmaps one page.  No guest
 * page-table write needs to be annotated: x86 already obliges the guest to
 * invalidate after changing a present entry.
 *
 * Kernel-half retention: a CR3 load must drop every translation, but the
 * kernel half (0xC0000000 up) is usually the same in every address space.
 * It is kept mapped across a CR3 load when (a) the new page directory's
 * kernel-half entries equal those of the last full flush and (b) no
 * kernel-half page table has been written since: such page-table pages are
 * mapped read-only wherever they appear, so a write is seen (and ends the
 * retention until the next full flush).  Otherwise everything is dropped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "ho.h"

#define PAGE 0x1000u
#define PROT_GUEST (PROT_READ | PROT_EXEC)

static void *map_fixed(uint32_t va, uint32_t len, int prot, int flags,
		       int fd, off_t off)
{
	return mmap((void *)(uintptr_t)va, len, prot, flags | MAP_FIXED, fd, off);
}

/* The stub page's code: ljmp *farptr (32-bit) -> 0x33:jmp64 -> jmp
 * *abs64 to ho_fast_enter (fast.S); the segment fast stubs at
 * HO_STUB_SEG.  The rest of the page is hlt. */
static void write_stub(uint8_t *p)
{
	uint32_t far_off = AB_WEDGE_STUBS + HO_STUB_JMP64;
	uint32_t far_ptr = AB_WEDGE_STUBS + HO_STUB_FARPTR;
	uint16_t sel = HO_SEL_CS64;
	uint64_t target = (uint64_t)(uintptr_t)ho_fast_enter;
	memset(p, 0xf4, AB_WEDGE_STUBS_SIZE);
	p[0] = 0xff; p[1] = 0x2d;                 /* ljmp *far_ptr */
	memcpy(p + 2, &far_ptr, 4);
	memcpy(p + HO_STUB_FARPTR, &far_off, 4);
	memcpy(p + HO_STUB_FARPTR + 4, &sel, 2);
	/* jmp *2(%rip): the target 8-byte aligned, so that the read cannot
	 * raise #AC when a signal-free entry still has the guest's AC set */
	p[HO_STUB_JMP64] = 0xff; p[HO_STUB_JMP64 + 1] = 0x25;
	p[HO_STUB_JMP64 + 2] = 2;
	memset(p + HO_STUB_JMP64 + 3, 0, 3);
	memcpy(p + HO_STUB_JMP64 + 8, &target, 8);
	/* position-independent but for the shared page: same in the alias */
	ab_patch_seg_stubs(p + HO_STUB_SEG, AB_WEDGE_STUBS + HO_STUB_SEG);
}

static int map_wedge(struct ab_vm *vm)
{
	void *sh = mmap((void *)(uintptr_t)AB_WEDGE_SHARED, PAGE,
			PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
			MAP_FIXED_NOREPLACE, -1, 0);
	void *st = mmap((void *)(uintptr_t)AB_WEDGE_STUBS, AB_WEDGE_STUBS_SIZE,
			PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
			MAP_FIXED_NOREPLACE, -1, 0);
	if (sh != (void *)(uintptr_t)AB_WEDGE_SHARED ||
	    st != (void *)(uintptr_t)AB_WEDGE_STUBS) {
		fprintf(stderr, "previrt-hosted: cannot map the wedge at "
			"0x%x: %s\n", AB_WEDGE_BASE, strerror(errno));
		return -1;
	}
	write_stub(st);
	mprotect(st, AB_WEDGE_STUBS_SIZE, PROT_READ | PROT_EXEC);
	(void)vm;
	return 0;
}

/* Nothing of the host may live below 4 GiB: the guest owns it. */
static int check_low_free(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int bad = 0;
	while (f && fgets(line, sizeof line, f)) {
		unsigned long long lo = strtoull(line, NULL, 16);
		if (lo < HO_LOW_END && lo != AB_WEDGE_SHARED &&
		    lo != AB_WEDGE_STUBS) {
			fprintf(stderr, "previrt-hosted: host mapping in the "
				"guest's low 4 GiB: %s", line);
			bad = 1;
		}
	}
	if (f)
		fclose(f);
	return bad ? -1 : 0;
}

int ho_tlb_init(struct ab_vm *vm, uint32_t mem_size)
{
	vm->mem_size = mem_size;
	vm->memfd = memfd_create("previrt-guest-ram", MFD_CLOEXEC);
	if (vm->memfd < 0 || ftruncate(vm->memfd, mem_size) < 0) {
		perror("previrt-hosted: guest RAM memfd");
		return -1;
	}
	if (check_low_free() < 0)
		return -1;
	vm->ram = mmap(NULL, mem_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       vm->memfd, 0);
	if (vm->ram == MAP_FAILED || (uintptr_t)vm->ram < HO_LOW_END) {
		fprintf(stderr, "previrt-hosted: cannot map guest RAM above "
			"4 GiB\n");
		return -1;
	}
	vm->ptpage = calloc(1, mem_size / PAGE / 8 + 1);
	if (!vm->ptpage)
		return -1;
	return map_wedge(vm);
}

static void map_alias(struct ab_vm *vm)
{
	if (!vm->paging && vm->stub_alias && !vm->alias_mapped) {
		void *p = mmap((void *)(uintptr_t)vm->stub_alias,
			       AB_WEDGE_STUBS_SIZE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (p != MAP_FAILED) {
			write_stub(p);
			mprotect(p, AB_WEDGE_STUBS_SIZE, PROT_GUEST);
			vm->alias_mapped = 1;
		}
	}
}

static int is_ptpage(struct ab_vm *vm, uint32_t gpa)
{
	uint32_t pfn = gpa >> 12;
	return gpa < vm->mem_size && (vm->ptpage[pfn >> 3] >> (pfn & 7)) & 1;
}

/* gpa holds a kernel-half page table: from now on map it read-only.  A
 * mapping made before may be writable: no retention until a full flush. */
static void note_ptpage(struct ab_vm *vm, uint32_t gpa)
{
	uint32_t pfn = gpa >> 12;
	if (gpa >= vm->mem_size || is_ptpage(vm, gpa))
		return;
	vm->ptpage[pfn >> 3] |= (uint8_t)(1u << (pfn & 7));
	vm->keep_ok = 0;
}

/* The kernel-half directory entries of the current CR3 into out[]. */
static int read_kpde(struct ab_vm *vm, uint32_t *out)
{
	uint32_t pd = vm->vcpu.sh->cr[3] & ~(PAGE - 1);
	const uint32_t *p = ab_backend_gpa(vm, pd + HO_KPDE_FIRST * 4,
					   HO_KPDE_N * 4);
	if (!p)
		return -1;
	memcpy(out, p, HO_KPDE_N * 4);
	return 0;
}

void ho_tlb_flush_all(struct ab_vm *vm)
{
	munmap((void *)(uintptr_t)PAGE, AB_WEDGE_BASE - PAGE);
	vm->alias_mapped = 0;
	vm->tlb_flushes++;
	vm->keep_ok = vm->paging && read_kpde(vm, vm->kpde) == 0;
	map_alias(vm);
}

/* CR3 load: drop the user half only, if the kernel half may be kept. */
static void flush_for_cr3(struct ab_vm *vm)
{
	uint32_t now[HO_KPDE_N];
	if (vm->paging && vm->keep_ok && read_kpde(vm, now) == 0 &&
	    !memcmp(now, vm->kpde, sizeof now)) {
		munmap((void *)(uintptr_t)PAGE, HO_USER_LIMIT - PAGE);
		vm->partial_flushes++;
		return;
	}
	ho_tlb_flush_all(vm);
}

/* Host protection for a guest page with effective flags f. */
static int prot_for(struct ab_vm *vm, uint32_t f)
{
	int w = (f & 2) || (vm->cpl == 0 && !(vm->vcpu.sh->cr[0] & 0x10000));
	return PROT_GUEST | (w && (f & 0x40) ? PROT_WRITE : 0);
}

/* May the neighbour page nva join a fill run for page, mapped with prot
 * from guest-physical ngpa?  Only pages the guest already accessed (A
 * set, under the same page-directory entry, so nothing needs updating),
 * of the same protection, physically contiguous, not a page-table page
 * kept read-only. */
static int joins(struct ab_vm *vm, uint32_t page, uint32_t nva,
		 uint32_t ngpa, int prot)
{
	uint32_t gpa, f;
	if (nva == 0 || nva >= AB_WEDGE_BASE || ngpa >= vm->mem_size ||
	    (nva >> 22) != (page >> 22) || is_ptpage(vm, ngpa) ||
	    ab_vcpu_peek(&vm->vcpu, nva, &gpa, &f) < 0 || gpa != ngpa ||
	    !(f & 0x20) || prot_for(vm, f) != prot)
		return 0;
	return 1;
}

#define HO_FAULT_AROUND 64

/* Map [va's page] and up to HO_FAULT_AROUND accessed neighbours on each
 * side that are physically contiguous, with one mmap. */
static int map_run(struct ab_vm *vm, uint32_t page, uint32_t gpa, int prot)
{
	uint32_t lo = page, hi = page + PAGE, glo = gpa;
	for (int i = 0; i < HO_FAULT_AROUND && lo >= PAGE &&
	     glo >= PAGE && joins(vm, page, lo - PAGE, glo - PAGE, prot); i++) {
		lo -= PAGE;
		glo -= PAGE;
	}
	for (int i = 0; i < HO_FAULT_AROUND &&
	     joins(vm, page, hi, glo + (hi - lo), prot); i++)
		hi += PAGE;
	if (map_fixed(lo, hi - lo, prot, MAP_SHARED, vm->memfd, glo)
	    == MAP_FAILED)
		return -1;
	vm->tlb_fills++;
	return 0;
}

/* A kernel-half page va is being mapped: its page table joins the
 * read-only set, and a directory entry that differs from the snapshot
 * (changed since the last full flush) ends the retention. */
static void note_kernel_pt(struct ab_vm *vm, uint32_t va)
{
	uint32_t pd = vm->vcpu.sh->cr[3] & ~(PAGE - 1), i = va >> 22;
	const uint32_t *pde = ab_backend_gpa(vm, pd + i * 4, 4);
	if (!pde || i < HO_KPDE_FIRST || i - HO_KPDE_FIRST >= HO_KPDE_N)
		return;
	if (*pde != vm->kpde[i - HO_KPDE_FIRST])
		vm->keep_ok = 0;
	if ((*pde & 1) && !((*pde & 0x80) && (vm->vcpu.sh->cr[4] & 0x10)))
		note_ptpage(vm, *pde & ~(PAGE - 1));
}

/* Paging off: all of RAM at once, identity (page 0 excepted). */
static int map_identity(struct ab_vm *vm)
{
	if (map_fixed(PAGE, vm->mem_size - PAGE, PROT_GUEST | PROT_WRITE,
		      MAP_SHARED, vm->memfd, PAGE) == MAP_FAILED)
		return -1;
	vm->tlb_fills++;
	return 1;
}

int ho_tlb_fill(struct ab_vm *vm, uint32_t va, int write, uint32_t *pf_err)
{
	struct ab_vcpu *v = &vm->vcpu;
	uint32_t gpa, f, page = va & ~(PAGE - 1);
	unsigned acc = (write ? AB_ACC_WRITE : 0) | (vm->cpl == 3 ? AB_ACC_USER : 0);
	if (page >= AB_WEDGE_BASE)
		return -1;
	if (ab_vcpu_translate(v, va, acc, &gpa, pf_err) < 0)
		return 0;
	gpa &= ~(PAGE - 1);
	if (gpa >= vm->mem_size || page == 0)  /* page 0: mmap_min_addr */
		return -1;
	if (!vm->paging)
		return map_identity(vm);
	if (ab_vcpu_peek(v, page, &gpa, &f) < 0)
		return -1;
	gpa &= ~(PAGE - 1);
	if (page >= HO_USER_LIMIT)
		note_kernel_pt(vm, page);
	int prot = prot_for(vm, f);
	if (is_ptpage(vm, gpa)) {
		if (write)
			vm->keep_ok = 0;         /* a kernel page table changes */
		else
			prot &= ~PROT_WRITE;
	}
	if (map_run(vm, page, gpa, prot) < 0)
		return -1;
	return 1;
}

/* ---- backend hooks: memory ------------------------------------------ */

void *ab_backend_gpa(struct ab_vm *vm, uint32_t gpa, uint32_t len)
{
	if (gpa >= vm->mem_size || len > vm->mem_size - gpa)
		return NULL;
	return vm->ram + gpa;
}

void ab_backend_load_cr3(struct ab_vm *vm, uint32_t cr3, int paging)
{
	int was = vm->paging;
	vm->paging = paging;
	if (paging && was) {
		flush_for_cr3(vm);
		ho_user_switch(vm, cr3);
	} else {
		ho_tlb_flush_all(vm);
		ho_user_flush(vm);
	}
}

void ab_backend_invlpg(struct ab_vm *vm, uint32_t va)
{
	uint32_t page = va & ~(PAGE - 1);
	if (page && page < AB_WEDGE_BASE &&
	    !(vm->alias_mapped && page - vm->stub_alias < AB_WEDGE_STUBS_SIZE))
		munmap((void *)(uintptr_t)page, PAGE);
	ho_user_invlpg(vm, page);
}

void ab_backend_flush(struct ab_vm *vm)
{
	ho_tlb_flush_all(vm);
	ho_user_flush(vm);
}

void *ab_backend_alloc(struct ab_vm *vm, size_t size)
{
	(void)vm;
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void ho_tlb_set_alias(struct ab_vm *vm, uint32_t alias)
{
	vm->stub_alias = alias;
	map_alias(vm);
}
