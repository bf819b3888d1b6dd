/*
 * pvh.c - reads the Xen PVH struct hvm_start_info handed over in %ebx:
 * RAM ranges from the memory map (version >= 1; 128 MiB assumed without
 * one), the kernel command line and the module list.  Runs: guest kernel,
 * early, while the first 8 MiB are identity-mapped (the start info, its
 * memory map and command line must lie below 8 MiB; modules may be
 * anywhere in direct-mapped RAM and are reserved from the page allocator;
 * exec.c runs them as programs "module0", "module1", ...).
 */
#include <stdint.h>
#include <hvm/start_info.h>
#include "kernel.h"

#define EARLY_LIMIT (8u << 20)
#define DEFAULT_RAM (128u << 20)

static char cmdline[256];
static struct memrange modules[PVH_MAXMOD];   /* [start, end) physical */
static int nmodules;

/* A physical pointer usable before the direct map exists, or NULL. */
static const void *early_ptr(u64 pa, u32 len)
{
	if (pa == 0 || pa + len > EARLY_LIMIT)
		return NULL;
	return P2V((u32)pa);
}

static void clip_add(struct memrange *r, int *n, int max, u64 a, u64 e)
{
	if (e > DIRECTMAX)
		e = DIRECTMAX;
	if (a >= e || *n >= max)
		return;
	r[*n].start = (u32)a;
	r[*n].end = (u32)e;
	(*n)++;
}

static int pvh_memmap(const struct hvm_start_info *si, struct memrange *ram,
		      int maxram)
{
	const struct hvm_memmap_table_entry *m;
	int n = 0;
	u32 i;

	if (si->version < 1 || si->memmap_entries == 0)
		return 0;
	m = early_ptr(si->memmap_paddr, si->memmap_entries * sizeof(*m));
	if (!m)
		return 0;
	for (i = 0; i < si->memmap_entries; i++)
		if (m[i].type == XEN_HVM_MEMMAP_TYPE_RAM)
			clip_add(ram, &n, maxram, m[i].addr,
				 m[i].addr + m[i].size);
	return n;
}

static void pvh_cmdline_copy(const struct hvm_start_info *si)
{
	const char *c = early_ptr(si->cmdline_paddr, 1);
	u32 i;

	for (i = 0; c && i + 1 < sizeof(cmdline) &&
	     si->cmdline_paddr + i < EARLY_LIMIT && c[i]; i++)
		cmdline[i] = c[i];
	cmdline[i] = 0;
}

/* Modules become reserved ranges; returns how many were recorded. */
static int pvh_modules(const struct hvm_start_info *si,
		       struct memrange *resv, int maxresv)
{
	const struct hvm_modlist_entry *m;
	int n = 0;
	u32 i;

	m = early_ptr(si->modlist_paddr, si->nr_modules * sizeof(*m));
	for (i = 0; m && i < si->nr_modules; i++) {
		kprintf("pvh: module%u at %x, %u bytes\n", i,
			(u32)m[i].paddr, (u32)m[i].size);
		if (nmodules < PVH_MAXMOD &&
		    m[i].paddr + m[i].size <= DIRECTMAX) {
			modules[nmodules].start = (u32)m[i].paddr;
			modules[nmodules++].end = (u32)(m[i].paddr + m[i].size);
		}
		clip_add(resv, &n, maxresv, PGROUNDDOWN((u32)m[i].paddr),
			 PGROUNDUP((u32)(m[i].paddr + m[i].size)));
	}
	return n;
}

/*
 * Fill ram[] with usable RAM and resv[] (*nresv_out entries) with ranges
 * to keep out of the allocator.  Returns the number of RAM ranges; panics
 * on a bad magic.
 */
int pvh_parse(u32 start_info_pa, struct memrange *ram, int maxram,
	      struct memrange *resv, int maxresv, int *nresv_out)
{
	const struct hvm_start_info *si = early_ptr(start_info_pa, sizeof(*si));
	int nram, nresv;

	if (!si || si->magic != XEN_HVM_START_MAGIC_VALUE)
		panic("pvh: no start info at %x (need magic %x below 8 MiB)",
		      start_info_pa, XEN_HVM_START_MAGIC_VALUE);
	pvh_cmdline_copy(si);
	nram = pvh_memmap(si, ram, maxram);
	if (nram == 0) {
		kprintf("pvh: no memory map, assuming 128 MiB\n");
		ram[0].start = 0;
		ram[0].end = DEFAULT_RAM;
		nram = 1;
	}
	nresv = pvh_modules(si, resv, maxresv);
	if (nresv < maxresv) {
		resv[nresv].start = 0;
		resv[nresv++].end = PGROUNDUP(V2P(__kernel_end));
	}
	*nresv_out = nresv;
	return nram;
}

/* Physical range of module i (in PVH order); 0 if there is none. */
int pvh_module(int i, struct memrange *r)
{
	if (i < 0 || i >= nmodules)
		return 0;
	*r = modules[i];
	return 1;
}

const char *pvh_cmdline(void)
{
	return cmdline;
}

/* True if the command line holds word as a whole blank-separated item. */
int cmdline_has(const char *word)
{
	u32 n = strlen(word);
	const char *c = cmdline;

	while (*c) {
		while (*c == ' ')
			c++;
		if (strncmp(c, word, n) == 0 && (c[n] == ' ' || c[n] == 0))
			return 1;
		while (*c && *c != ' ')
			c++;
	}
	return 0;
}
