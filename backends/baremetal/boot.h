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

struct bm_module {
	uint32_t pa, len;
	const char *name;
};

struct bm_boot {
	struct bm_module mods[BM_MAX_MODS];   /* [0] = the guest ELF */
	unsigned nmods;
	char guest_cmdline[512];
	const char *selftest;                  /* bm.selftest=NAME */
	int stats;                             /* bm.stats */
	int trace;                             /* bm.trace: heartbeat */
	uint32_t mem_mib;                      /* bm.mem=N: guest RAM, MiB */
	unsigned win_slots;                    /* bm.winslots=N (test) */
};

extern struct bm_boot bm_boot;

void boot_option(const char *w, size_t len);
void boot_selftest(void);
void bm_vm_start(struct bm_boot *b) __attribute__((noreturn));

/* cpu.c extras */
uint32_t bm_trap_stack_top(void);
void bm_timer_tick(void);
unsigned bm_timer_hz(void);
uint32_t bm_tsc_khz(void);

/* trap.S */
extern char bm_seg_restore[], bm_iret[], bm_iret_end[];
void bm_enter(struct ab_regs *frame) __attribute__((noreturn));

/* trap.c: per-vector dispatch, called by trap.S */
void bm_trap(struct ab_regs *r);

#endif
