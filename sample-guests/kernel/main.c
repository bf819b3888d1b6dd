/*
 * main.c - kmain, the C entry of the sample kernel: console, PVH start
 * info, page allocator, direct map, descriptors, PIC/PIT, TSC
 * calibration, in-kernel self tests and benchmarks, then the first user
 * process (init) and the scheduler.  Runs: guest kernel, called once by
 * boot.S with paging on and the boot stack.
 * Command line: selftest=fail-one (one deliberately failing self test),
 * selftest=kfault, selftest=hang (see selftest_breakage), conform (only
 * the conformance transcript, conform.c, then exit 0), nobench (skip
 * all benchmarks); all words also go to init's argv
 * (init.c: notests, nobench, run=PROGRAM).
 */
#include "kernel.h"
#include "x86.h"

u64 boot_tsc;

static u32 mem_setup(u32 start_info_pa)
{
	struct memrange ram[16], resv[16];
	int nram, nresv, i;
	u32 end = 0;

	nram = pvh_parse(start_info_pa, ram, 16, resv, 15, &nresv);
	for (i = 0; i < nram; i++)
		if (ram[i].end > end)
			end = ram[i].end;
	kalloc_init(ram, nram, resv, nresv);
	vm_init(end);
	return end;
}

/* init's argv: "init" and the words of the kernel command line. */
static int init_argv(char **argv, int max)
{
	static char words[256];
	char *w = words;
	int argc = 1;

	strncpy_z(words, pvh_cmdline(), sizeof(words));
	argv[0] = "init";
	while (*w && argc < max) {
		while (*w == ' ')
			*w++ = 0;
		if (!*w)
			break;
		argv[argc++] = w;
		while (*w && *w != ' ')
			w++;
	}
	return argc;
}

/* The kernel needs the TSC (time, benchmarks) and, for its WP use, a CPU
 * that honours CR0.WP: any i686-class CPU; check the TSC with cpuid. */
static void cpu_check(void)
{
	u32 a, b, c, d;

	cpuid(0, &a, &b, &c, &d);
	if (a < 1)
		panic("cpuid: no leaf 1");
	cpuid(1, &a, &b, &c, &d);
	if (!(d & (1u << 4)))
		panic("cpuid: no TSC (features %x)", d);
}

/* selftest=kfault: a kernel page fault at KGUARD, never mapped on any
 * backend (must panic, status 5);
 * selftest=hang: stop without exiting (the runner's timeout must fire). */
static void selftest_breakage(void)
{
	if (cmdline_has("selftest=kfault"))
		kprintf("kfault read %x\n", *(volatile u32 *)KGUARD);
	if (cmdline_has("selftest=hang")) {
		kprintf("hanging as asked\n");
		cli();
		for (;;)
			hlt();
	}
}

void kmain(u32 start_info_pa);

void kmain(u32 start_info_pa)
{
	char *argv[16];
	u32 ram_end;

	boot_tsc = rdtsc();
	uart_init();
	kprintf("previrt sample kernel: PVH start info at %x\n", start_info_pa);
	cpu_check();
	ram_end = mem_setup(start_info_pa);
	desc_init();
	pic_init();
	pit_init();
	sti();
	tsc_calibrate();
	kprintf("mem %u MiB, %u free pages, tsc %llu kHz, cmdline '%s'\n",
		ram_end >> 20, kalloc_free_pages(), tsc_per_ms(), pvh_cmdline());
	selftest_breakage();
	if (cmdline_has("conform")) {
		conform_run();
		debug_exit(0);
	}
	ktest_run(cmdline_has("selftest=fail-one"));
	if (!cmdline_has("nobench"))
		kbench_run();
	proc_start_init("init", argv, init_argv(argv, 16));
	scheduler();
}
