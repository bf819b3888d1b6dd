/*
 * main.c - kmain, the C entry of the sample kernel: console, PVH start
 * info, page allocator, direct map, descriptors, PIC/PIT, TSC
 * calibration, in-kernel self tests and benchmarks, then the first user
 * process (init) and the scheduler.  Runs: guest kernel, called once by
 * boot.S with paging on and the boot stack.
 * Command line: selftest=fail-one (one deliberately failing self test),
 * nobench (skip all benchmarks).
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

void kmain(u32 start_info_pa);

void kmain(u32 start_info_pa)
{
	u32 ram_end;
	int nobench;

	boot_tsc = rdtsc();
	uart_init();
	kprintf("previrt sample kernel: PVH start info at %x\n", start_info_pa);
	ram_end = mem_setup(start_info_pa);
	desc_init();
	pic_init();
	pit_init();
	sti();
	tsc_calibrate();
	kprintf("mem %u MiB, %u free pages, tsc %llu kHz, cmdline '%s'\n",
		ram_end >> 20, kalloc_free_pages(), tsc_per_ms(), pvh_cmdline());
	nobench = cmdline_has("nobench");
	ktest_run(cmdline_has("selftest=fail-one"));
	if (!nobench)
		kbench_run();
	proc_start_init("init", nobench ? "nobench" : NULL);
	scheduler();
}
