/*
 * boot.h - what the multiboot hand-off gives the rest of the monitor
 * (modules, the guest's command line, monitor options) and the entry
 * points between main.c, trap.c and vm.c.  Runs: monitor ring 0.
 */
#ifndef BM_BOOT_H
#define BM_BOOT_H

#include "bm.h"

#define BM_MAX_MODS  8
#define BM_TIMER_HZ  1000

#define BM_MOD_NAME  256     /* a module's string (path and args) */
#define BM_CMDLINE   2048    /* the guest's command line, with the NUL */

struct bm_module {
	uint32_t pa, len;      /* where it is now (place_modules may move
				  it); read through the load map */
	char name[BM_MOD_NAME];
};

struct bm_boot {
	struct bm_module mods[BM_MAX_MODS];   /* [0] = the guest ELF */
	unsigned nmods;
	char guest_cmdline[BM_CMDLINE];
	const char *selftest;                  /* bm.selftest=NAME */
	int stats;                             /* bm.stats */
	int trace;                             /* bm.trace: heartbeat */
	uint32_t mem_mib;                      /* bm.mem=N: guest RAM, MiB */
	unsigned win_slots;                    /* bm.winslots=N (test) */
	int guard;                             /* bm.guard=: BM_GUARD_* */
};

/* How the monitor keeps the ring-1 guest out of its region: segment
 * limits (desc.c, seg.c clip every guest limit below the wedge's end),
 * and, where the CPU does not check limits (QEMU TCG), also CR0.WP set
 * while the guest runs over a read-only direct map (trap.c).  AUTO: WP
 * if boot_guard's probe finds limits unchecked, else segments only. */
enum { BM_GUARD_AUTO, BM_GUARD_WP, BM_GUARD_SEGMENTS };

/* 1: CR0.WP is set while the guest runs and cleared on every exit (the
 * toggle costs a full TLB flush under TCG); 0: WP stays clear. */
extern int bm_guard_wp;

extern struct bm_boot bm_boot;

void boot_option(const char *w, size_t len);
/* main.c: the load map, physical memory identity-mapped (4 MiB pages,
 * ring 0) in the boot directory while the guest is loaded: the modules
 * and guest RAM of any size are plain pointers then.  Dropped before
 * the guest runs. */
extern int bm_load_map;
void bm_load_map_drop(void);
void boot_selftest(void);
void boot_guard(void);
void bm_vm_start(struct bm_boot *b) __attribute__((noreturn));

/* cpu.c extras */
uint32_t bm_trap_stack_top(void);
void bm_timer_tick(void);
unsigned bm_timer_hz(void);
uint32_t bm_tsc_khz(void);
int bm_cpu_probe(uint32_t base);
int bm_cpu_limits_enforced(void);

/* trap.S */
extern char bm_seg_restore[], bm_iret[], bm_iret_end[];
extern char bm_probe_read[], bm_probe_done[];
int bm_limit_probe(uint16_t sel, uint32_t off);
void bm_enter(struct ab_regs *frame) __attribute__((noreturn));

/* trap.c: per-vector dispatch, called by trap.S */
void bm_trap(struct ab_regs *r);

#endif
