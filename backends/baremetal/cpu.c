/*
 * cpu.c - the monitor's own CPU tables and platform timer: the real GDT
 * (guest mirror below, monitor entries on top), the real IDT, the TSS,
 * the 8259 PIC pair and the 8254 PIT, and monotonic time from the TSC
 * calibrated against the PIT, and the boot probe of segment-limit checks.
 * Runs: monitor ring 0.
 */
#include "bm.h"
#include "boot.h"
#include "desc.h"
#include "x86.h"

struct bm_tss {
	uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
	uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
	uint32_t es, cs, ss, ds, fs, gs, ldt;
	uint16_t trap, iomap;
};

uint64_t bm_gdt[BM_GDT_ENTRIES] __attribute__((aligned(4096)));
static uint64_t bm_idt[256] __attribute__((aligned(4096)));
static struct bm_tss bm_tss, bm_df_tss;
static uint8_t bm_df_stack[4096] __attribute__((aligned(16)));
extern char bm_df_entry[];
extern uint32_t bm_boot_pgdir[1024];
uint8_t bm_trap_stack[BM_TRAP_STACK_PAGES * 4096]
	__attribute__((aligned(4096)));
extern char bm_vectors[];

static volatile uint32_t bm_ticks;
static uint64_t bm_tsc0;
static uint32_t bm_tsc_per_ms = 1000000;
static unsigned bm_tick_hz;

/* The ring-0 stack of guest traps (its wedge alias, see bm.h); its top
 * 16 bytes hold es/ds/fs/gs. */
uint32_t bm_trap_stack_top(void)
{
	return BM_TRAP_STACK_VA + sizeof bm_trap_stack;
}

static void gdt_init(void)
{
	uint32_t end = AB_WEDGE_GUEST_END - 1;
	bm_gdt[BM_SEL_KCODE >> 3] = bm_desc_seg(0, 0xffffffff, 0xb, 0, 1);
	bm_gdt[BM_SEL_KDATA >> 3] = bm_desc_seg(0, 0xffffffff, 0x3, 0, 1);
	bm_gdt[BM_SEL_TSS >> 3] = bm_desc_seg((uint32_t)(uintptr_t)&bm_tss,
					      sizeof bm_tss - 1, 0x9, 0, 0);
	bm_gdt[BM_SEL_DFTSS >> 3] = bm_desc_seg(
		(uint32_t)(uintptr_t)&bm_df_tss, sizeof bm_df_tss - 1, 0x9, 0, 0);
	bm_gdt[BM_SEL_GCODE >> 3] = bm_desc_seg(0, end, 0xb, 1, 1);
	bm_gdt[BM_SEL_GDATA >> 3] = bm_desc_seg(0, end, 0x3, 1, 1);
	bm_gdt[BM_SEL_GUCODE >> 3] = bm_desc_seg(0, end, 0xb, 3, 1);
	bm_gdt[BM_SEL_GUDATA >> 3] = bm_desc_seg(0, end, 0x3, 3, 1);
	struct x86_dtr d = { sizeof bm_gdt - 1, (uint32_t)(uintptr_t)bm_gdt };
	lgdt(&d);
	load_segments(BM_SEL_KCODE, BM_SEL_KDATA);
}

void bm_idt_set(unsigned vec, uint32_t handler, uint16_t sel, unsigned dpl,
		int trap)
{
	bm_idt[vec & 0xff] = bm_desc_gate(handler, sel, dpl, trap);
}

uint32_t bm_vector_addr(unsigned vec)
{
	return (uint32_t)(uintptr_t)(bm_vectors + 16 * (vec & 0xff));
}

/* The stack the CPU switches to on ring 3 -> ring 1 (the guest's). */
void bm_tss_set_ring1(uint16_t ss1, uint32_t esp1)
{
	bm_tss.ss1 = ss1;
	bm_tss.esp1 = esp1;
}

/* Point vector vec back at the monitor's stub with its default DPL. */
void bm_idt_reset(unsigned vec)
{
	unsigned dpl = vec == BM_VEC_RUNTIME ? 1 :
		vec == BM_VEC_SYSCALL ? 3 : 0;
	bm_idt_set(vec, bm_vector_addr(vec), BM_SEL_KCODE, dpl, 0);
}

static void idt_init(void)
{
	for (unsigned v = 0; v < 256; v++)
		bm_idt_reset(v);
	struct x86_dtr d = { sizeof bm_idt - 1, (uint32_t)(uintptr_t)bm_idt };
	lidt(&d);
}

/* #DF is a task gate: a fresh stack and the boot page directory, so a
 * broken monitor stack is still reported (bm_double_fault). */
static void df_task_init(void)
{
	bm_df_tss.eip = (uint32_t)(uintptr_t)bm_df_entry;
	bm_df_tss.esp = (uint32_t)(uintptr_t)(bm_df_stack + sizeof bm_df_stack);
	bm_df_tss.cr3 = BM_V2P(bm_boot_pgdir);
	bm_df_tss.cs = BM_SEL_KCODE;
	bm_df_tss.ss = bm_df_tss.ds = bm_df_tss.es = BM_SEL_KDATA;
	bm_df_tss.fs = bm_df_tss.gs = BM_SEL_KDATA;
	bm_df_tss.eflags = 0x2;
	bm_df_tss.iomap = sizeof bm_df_tss;
	bm_idt[8] = ((uint64_t)0x8500 << 32) | ((uint32_t)BM_SEL_DFTSS << 16);
}

/* The double-fault task: what the faulting task was doing (the CPU saved
 * it in the main TSS), then exit with the monitor's fault status. */
void bm_double_fault(void);
void bm_double_fault(void)
{
	bm_panic("monitor fault: #DF double fault at EIP 0x%08x, ESP 0x%08x, "
		 "CR2 0x%08x", bm_tss.eip, bm_tss.esp, read_cr2());
}

static void tss_init(void)
{
	df_task_init();
	bm_tss.ss0 = BM_SEL_KDATA;
	bm_tss.esp0 = bm_trap_stack_top() - 16;
	bm_tss.iomap = sizeof bm_tss;      /* no bitmap: all ports trap */
	ltr(BM_SEL_TSS);
}

/* Remap the PICs to 0x20/0x28, all lines masked but the timer. */
static void pic_init(void)
{
	outb(0x20, 0x11); outb(0xa0, 0x11);
	outb(0x21, BM_VEC_IRQ0); outb(0xa1, BM_VEC_IRQ0 + 8);
	outb(0x21, 0x04); outb(0xa1, 0x02);
	outb(0x21, 0x01); outb(0xa1, 0x01);
	outb(0x21, 0xfe); outb(0xa1, 0xff);
}

/* The limit probe's data segment: a spare slot of the guest mirror
 * (cleared again at once), limit 3 (4 bytes). */
#define PROBE_SLOT 1
static uint32_t probe_words[2];

/* Read 4 bytes just past a 4-byte data segment at base: 0 if the read
 * went through, else 1 + the vector of the fault it took. */
int bm_cpu_probe(uint32_t base)
{
	bm_gdt[PROBE_SLOT] = bm_desc_seg(base, sizeof probe_words[0] - 1,
					 0x3, 0, 1);
	int r = bm_limit_probe(PROBE_SLOT << 3, sizeof probe_words[0]);
	bm_gdt[PROBE_SLOT] = 0;
	return r;
}

/* Does this CPU check data-segment limits?  The probe over probe_words
 * takes #GP where limits are checked (hardware, KVM); QEMU TCG lets it
 * through (it reads probe_words[1]).  Needs the IDT; interrupts off. */
int bm_cpu_limits_enforced(void)
{
	return bm_cpu_probe((uint32_t)(uintptr_t)probe_words) == 1 + 13;
}

void bm_pic_eoi(unsigned irq)
{
	if (irq >= 8)
		outb(0xa0, 0x20);
	outb(0x20, 0x20);
}

void bm_cpu_init(void)
{
	gdt_init();
	idt_init();
	tss_init();
	pic_init();
}

/* Called by the IRQ0 path (periodic during calibration, then one-shot). */
void bm_timer_tick(void)
{
	bm_ticks++;
}

/* PIT channel 0 periodic at hz to calibrate the TSC over 20 ticks; the
 * guest's timer then re-arms it one-shot (bm_timer_oneshot). */
void bm_timer_init(unsigned hz)
{
	uint32_t div = 1193182 / hz;
	bm_tick_hz = hz;
	outb(0x43, 0x34);                  /* ch0, lo/hi, rate generator */
	outb(0x40, div & 0xff);
	outb(0x40, div >> 8);
	uint32_t t = bm_ticks;
	while (bm_ticks == t)
		sti_hlt_cli();
	uint64_t a = rdtsc();
	t = bm_ticks;
	while (bm_ticks - t < 20)
		sti_hlt_cli();
	uint64_t b = rdtsc();
	uint32_t per_tick = (uint32_t)((b - a) / 20);
	bm_tsc_per_ms = (uint32_t)((uint64_t)per_tick * hz / 1000);
	if (!bm_tsc_per_ms)
		bm_tsc_per_ms = 1;
	bm_tsc0 = rdtsc();
}

unsigned bm_timer_hz(void) { return bm_tick_hz; }

/* After calibration the PIT runs one-shot (mode 0): IRQ0 once, delta_ns
 * from now (clamped to 1 tick .. 65535 ticks, about 55 ms). */
void bm_timer_oneshot(uint64_t delta_ns)
{
	uint64_t us = delta_ns / 1000;
	uint32_t ticks = us > 60000 ? 65535 :
		(uint32_t)(us * 1193182 / 1000000);
	ticks = ticks < 1 ? 1 : ticks > 65535 ? 65535 : ticks;
	outb(0x43, 0x30);                  /* ch0, lo/hi, mode 0 */
	outb(0x40, ticks & 0xff);
	outb(0x40, ticks >> 8);
}
uint32_t bm_tsc_khz(void) { return bm_tsc_per_ms; }

uint64_t bm_now_ns(void)
{
	uint64_t d = rdtsc() - bm_tsc0;
	return (d / bm_tsc_per_ms) * 1000000 +
		(d % bm_tsc_per_ms) * 1000000 / bm_tsc_per_ms;
}
