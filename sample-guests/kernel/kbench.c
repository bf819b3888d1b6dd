/*
 * kbench.c - in-kernel microbenchmarks of sensitive operations, printed
 * as "BENCH kernel-<op> <cycles per op> cycles" (rdtsc, loop overhead
 * included): cli/sti pair, pushf/popf pair, CR3 reload, invlpg, outb to
 * port 0x80, int/iret round trip, and timer interrupt delivery (handler
 * entry to the interrupted hlt resuming).  Runs: guest kernel, after the
 * self tests, with interrupts enabled.
 */
#include "kernel.h"
#include "x86.h"

#define N_FAST 2000
#define N_SLOW 300

static void kb_print(const char *op, u64 cycles, u32 n)
{
	kprintf("BENCH kernel-%s %llu cycles\n", op, cycles / n);
}

static void kb_cli_sti(void)
{
	u32 f = irq_save(), i;
	u64 t = rdtsc();

	for (i = 0; i < N_FAST; i++) {
		cli();
		sti();
	}
	t = rdtsc() - t;
	irq_restore(f);
	kb_print("cli-sti", t, N_FAST);
}

static void kb_pushf_popf(void)
{
	u32 i;
	u64 t = rdtsc();

	for (i = 0; i < N_FAST; i++)
		write_eflags(read_eflags());
	kb_print("pushf-popf", rdtsc() - t, N_FAST);
}

static void kb_cr3(void)
{
	u32 i, cr3 = read_cr3();
	u64 t = rdtsc();

	for (i = 0; i < N_SLOW; i++)
		write_cr3(cr3);
	kb_print("cr3-reload", rdtsc() - t, N_SLOW);
}

static void kb_invlpg(void)
{
	u32 i;
	u64 t = rdtsc();

	for (i = 0; i < N_FAST; i++)
		invlpg(KERNBASE + (i & 63) * PGSIZE);
	kb_print("invlpg", rdtsc() - t, N_FAST);
}

static void kb_outb(void)
{
	u32 i;
	u64 t = rdtsc();

	for (i = 0; i < N_SLOW; i++)
		outb(0x80, (u8)i);
	kb_print("outb", rdtsc() - t, N_SLOW);
}

static void kb_int(void)
{
	u32 i;
	u64 t = rdtsc();

	for (i = 0; i < N_SLOW; i++)
		int81();
	kb_print("int-iret", rdtsc() - t, N_SLOW);
}

/* Cycles from the timer handler's rdtsc to the code after hlt. */
static void kb_timer(void)
{
	u64 sum = 0, t;
	int i, n = 5;

	for (i = 0; i < n; i++) {
		t = ticks;
		while (ticks == t)
			hlt();
		sum += rdtsc() - time_last_tick_tsc();
	}
	kb_print("timer-irq", sum, (u32)n);
}

void kbench_run(void)
{
	kb_cli_sti();
	kb_pushf_popf();
	kb_cr3();
	kb_invlpg();
	kb_outb();
	kb_int();
	kb_timer();
}
