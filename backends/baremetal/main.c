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

static const char *pa_str(uint32_t pa)
{
	return pa && pa < BM_DIRECT_SIZE ? BM_P2V(pa) : "";
}

/* Skip the first word (the image name); the rest is for the guest,
 * except words starting "bm." which are the monitor's own options. */
static void split_cmdline(const char *s)
{
	size_t n = 0;
	while (*s && *s != ' ')
		s++;
	while (*s) {
		while (*s == ' ')
			s++;
		const char *w = s;
		while (*s && *s != ' ')
			s++;
		size_t len = (size_t)(s - w);
		if (len >= 3 && !bm_strncmp(w, "bm.", 3)) {
			boot_option(w, len);
			continue;
		}
		if (!len || n + len + 2 > sizeof bm_boot.guest_cmdline)
			continue;
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
	const struct mb_mod *m = BM_P2V(mi->mods_addr);
	uint32_t low = BM_V2P(__end);
	for (uint32_t i = 0; i < mi->mods_count && i < BM_MAX_MODS; i++) {
		if (m[i].start < low || m[i].end > BM_POOL_PA ||
		    m[i].end < m[i].start)
			bm_panic("module %u at 0x%08x..0x%08x outside [0x%08x, 0x%08x)", i,
				 m[i].start, m[i].end, low, BM_POOL_PA);
		bm_boot.mods[i].pa = m[i].start;
		bm_boot.mods[i].len = m[i].end - m[i].start;
		bm_boot.mods[i].name = pa_str(m[i].string);
		bm_boot.nmods++;
	}
}

void bm_main(uint32_t magic, uint32_t info_pa);
void bm_main(uint32_t magic, uint32_t info_pa)
{
	bm_serial_init();
	if (magic != MB_BOOT_MAGIC)
		bm_panic("not started by a multiboot loader (eax=%x)", magic);
	const struct mb_info *mi = BM_P2V(info_pa);
	split_cmdline(mi->flags & MBI_CMDLINE ? pa_str(mi->cmdline) : "");
	uint32_t have = mi->flags & MBI_MEM ? (mi->mem_upper + 2047) / 1024 : 0;
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
	bm_cpu_init();
	bm_boot_pgdir[0] = 0;              /* drop the boot identity map */
	write_cr3(read_cr3());
	bm_timer_init(BM_TIMER_HZ);
	bm_printf("previrt monitor: %u KiB RAM, tsc %u kHz, %u module(s), "
		  "guest \"%s\"\n", mi->mem_upper + 1024, bm_tsc_khz(),
		  bm_boot.nmods, bm_boot.mods[0].name);
	boot_guard();
	boot_selftest();
	bm_vm_start(&bm_boot);
}
