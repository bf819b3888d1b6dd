/*
 * main.c - the monitor's C entry: checks the multiboot hand-off, finds the
 * guest ELF and extra modules, splits the command line, sets up the CPU
 * tables, the timer and the page pool, chooses the guard (trap.c), then
 * starts the guest (vm.c).
 * Runs: monitor ring 0, on the boot stack, once.
 */
#include "bm.h"
#include "x86.h"
#include "boot.h"

#define MB_BOOT_MAGIC 0x2BADB002
#define MBI_MEM     (1u << 0)
#define MBI_CMDLINE (1u << 2)
#define MBI_MODS    (1u << 3)

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
	uint32_t mods_count, mods_addr;
};

struct mb_mod {
	uint32_t start, end, string, reserved;
};

extern char __end[];
extern uint32_t bm_boot_pgdir[1024];

struct bm_boot bm_boot;

int bm_load_map;
static uint32_t load_map_end;          /* bytes mapped 1:1 from 0 */

/* A physical address as a pointer through the load map (or NULL). */
static const char *pa_str(uint32_t pa)
{
	return pa && pa < load_map_end ? (const char *)(uintptr_t)pa : "";
}

/* Copy a NUL-terminated string from physical memory, or stop. */
static void copy_str(char *dst, size_t n, uint32_t pa, const char *what)
{
	const char *s = pa_str(pa);
	size_t len = 0;
	while (s[len] && len < n)
		len++;
	if (len >= n)
		bm_panic("%s longer than %u bytes", what, (unsigned)n - 1);
	memcpy(dst, s, len + 1);
}

/* Map [0, mib MiB) 1:1 below the wedge, ring 0 only. */
static void load_map_init(uint32_t mib)
{
	uint32_t pdes = (mib + 3) / 4;
	if (pdes > (BM_LOAD_MAP_MAX >> 22))
		pdes = BM_LOAD_MAP_MAX >> 22;
	for (uint32_t i = 0; i < pdes; i++)
		bm_boot_pgdir[i] = (i << 22) | 0x83;   /* P|W|PS */
	write_cr3(read_cr3());
	load_map_end = pdes << 22;
	bm_load_map = 1;
}

void bm_load_map_drop(void)
{
	for (uint32_t i = 0; i < (BM_LOAD_MAP_MAX >> 22); i++)
		bm_boot_pgdir[i] = 0;
	write_cr3(read_cr3());
	load_map_end = 0;
	bm_load_map = 0;
}

/* Is the first word of the multiboot command line the monitor's own path?
 * QEMU puts it there, GRUB 2 does not: a word with no '=' that has a '/'
 * or ends in ".elf" is taken as the path (guest words with a '/', like
 * Linux's init=/bin/sh, are key=value). */
static int is_image_path(const char *w, size_t len)
{
	int slash = 0;
	for (size_t i = 0; i < len; i++) {
		if (w[i] == '=')
			return 0;
		slash |= w[i] == '/';
	}
	return slash || (len > 4 && !bm_strncmp(w + len - 4, ".elf", 4));
}

/* The words for the guest, without the image path; words starting "bm."
 * are the monitor's own options. */
static void split_cmdline(const char *s)
{
	size_t n = 0;
	int first = 1;
	while (*s) {
		while (*s == ' ')
			s++;
		const char *w = s;
		while (*s && *s != ' ')
			s++;
		size_t len = (size_t)(s - w);
		if (first && len) {
			first = 0;
			if (is_image_path(w, len))
				continue;
		}
		if (len >= 3 && !bm_strncmp(w, "bm.", 3)) {
			boot_option(w, len);
			continue;
		}
		if (!len)
			continue;
		if (n + len + 2 > sizeof bm_boot.guest_cmdline)
			bm_panic("guest command line longer than %u bytes",
				 (unsigned)sizeof bm_boot.guest_cmdline - 1);
		if (n)
			bm_boot.guest_cmdline[n++] = ' ';
		memcpy(bm_boot.guest_cmdline + n, w, len);
		n += len;
	}
	bm_boot.guest_cmdline[n] = 0;
}

static void take_modules(const struct mb_info *mi)
{
	if (!(mi->flags & MBI_MODS) || mi->mods_count == 0)
		bm_panic("no guest: pass the guest ELF as the first multiboot "
			 "module (QEMU -initrd guest.elf)");
	if (mi->mods_count > BM_MAX_MODS)
		bm_panic("%u multiboot modules, at most %u (the guest and %u "
			 "for it)", mi->mods_count, BM_MAX_MODS, BM_MAX_MODS - 1);
	const struct mb_mod *m = (const void *)pa_str(mi->mods_addr);
	if (!mi->mods_addr || mi->mods_addr >= load_map_end)
		bm_panic("multiboot module list at 0x%08x outside memory",
			 mi->mods_addr);
	uint32_t image_end = BM_V2P(__end);
	for (uint32_t i = 0; i < mi->mods_count; i++) {
		if (m[i].end < m[i].start || m[i].end > load_map_end ||
		    (m[i].start < image_end && m[i].end > BM_PHYS_LOAD))
			bm_panic("module %u at 0x%08x..0x%08x overlaps the "
				 "monitor or lies outside memory", i,
				 m[i].start, m[i].end);
		bm_boot.mods[i].pa = m[i].start;
		bm_boot.mods[i].len = m[i].end - m[i].start;
		copy_str(bm_boot.mods[i].name, BM_MOD_NAME, m[i].string,
			 "a module's string");
		bm_boot.nmods++;
	}
}

/* Keep the modules out of the page pool and guest RAM.  Boot loaders put
 * them where they like (QEMU right after the monitor), so when one lies
 * in [BM_POOL_PA, end of guest RAM) all move, in order, to the first
 * 4 MiB boundary above guest RAM and every module: no copy overwrites a
 * module still to be moved. */
static void place_modules(void)
{
	uint64_t guest_end = BM_GUEST_PA + ((uint64_t)bm_boot.mem_mib << 20);
	uint64_t top = guest_end, need = 0;
	int clash = 0;
	for (unsigned i = 0; i < bm_boot.nmods; i++) {
		const struct bm_module *md = &bm_boot.mods[i];
		uint64_t end = (uint64_t)md->pa + md->len;
		top = end > top ? end : top;
		clash |= md->pa < guest_end && end > BM_POOL_PA;
		need += (md->len + 0xfffu) & ~0xfffu;
	}
	if (!clash)
		return;
	uint64_t dst = (top + 0x3fffff) & ~0x3fffffull;
	if (dst + need > load_map_end)
		bm_panic("modules (%u KiB) do not fit above guest RAM: the "
			 "machine needs %u MiB, has %u", (uint32_t)(need >> 10),
			 (uint32_t)((dst + need + 0xfffff) >> 20),
			 load_map_end >> 20);
	bm_printf("monitor: %u module(s), %u KiB, moved to 0x%08x (above "
		  "guest RAM)\n", bm_boot.nmods, (uint32_t)(need >> 10),
		  (uint32_t)dst);
	for (unsigned i = 0; i < bm_boot.nmods; i++) {
		struct bm_module *md = &bm_boot.mods[i];
		memcpy((void *)(uintptr_t)dst, (void *)(uintptr_t)md->pa,
		       md->len);
		md->pa = (uint32_t)dst;
		dst += (md->len + 0xfffu) & ~0xfffu;
	}
}

void bm_main(uint32_t magic, uint32_t info_pa);
void bm_main(uint32_t magic, uint32_t info_pa)
{
	bm_serial_init();
	if (magic != MB_BOOT_MAGIC)
		bm_panic("not started by a multiboot loader (eax=%x)", magic);
	if (info_pa > BM_DIRECT_SIZE - sizeof(struct mb_info))
		bm_panic("multiboot information at 0x%08x above %u MiB",
			 info_pa, BM_DIRECT_SIZE >> 20);
	const struct mb_info *mi = BM_P2V(info_pa);
	if (!(mi->flags & MBI_MEM))
		bm_panic("the boot loader gave no memory size (multiboot "
			 "flag 0)");
	uint32_t have = (mi->mem_upper + 2047) / 1024;
	load_map_init(have);
	split_cmdline(mi->flags & MBI_CMDLINE ? pa_str(mi->cmdline) : "");
	uint32_t room = have > (BM_GUEST_PA >> 20) + 2 ?
		have - (BM_GUEST_PA >> 20) : 2;
	if (!bm_boot.mem_mib)          /* no bm.mem=: 128 MiB or what fits */
		bm_boot.mem_mib = room < BM_GUEST_MEM_DEF ? room :
			BM_GUEST_MEM_DEF;
	if (have < (BM_GUEST_PA >> 20) + bm_boot.mem_mib)
		bm_panic("guest RAM %u MiB does not fit: the machine has %u MiB, "
			 "the monitor needs %u MiB + guest RAM",
			 bm_boot.mem_mib, have, BM_GUEST_PA >> 20);
	take_modules(mi);
	place_modules();
	bm_cpu_init();
	bm_timer_init(BM_TIMER_HZ);
	bm_printf("previrt monitor: %u KiB RAM, tsc %u kHz, %u module(s), "
		  "guest \"%s\"\n", mi->mem_upper + 1024, bm_tsc_khz(),
		  bm_boot.nmods, bm_boot.mods[0].name);
	boot_guard();
	boot_selftest();
	bm_vm_start(&bm_boot);
}
