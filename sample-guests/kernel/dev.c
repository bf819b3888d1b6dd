/*
 * dev.c - the 8259A PIC pair, the 8254 PIT (channel 0 at HZ) and QEMU's
 * isa-debug-exit device (iobase 0xf4), all by port I/O.  Runs: guest
 * kernel.
 */
#include "kernel.h"
#include "x86.h"

#define PIC1_CMD  0x20
#define PIC1_DATA 0x21
#define PIC2_CMD  0xa0
#define PIC2_DATA 0xa1
#define PIT_CH0   0x40
#define PIT_MODE  0x43
#define PIT_HZ    1193182u
#define DEBUG_EXIT_PORT 0xf4

volatile u64 ticks;
static u16 pic_mask = 0xffff;    /* all masked but what pic_unmask opens */

static void pic_write_mask(void)
{
	outb(PIC1_DATA, (u8)pic_mask);
	outb(PIC2_DATA, (u8)(pic_mask >> 8));
}

/* ICW1..ICW4: edge triggered, cascaded, vectors T_IRQ0 and T_IRQ0 + 8. */
void pic_init(void)
{
	outb(PIC1_CMD, 0x11);
	outb(PIC2_CMD, 0x11);
	outb(PIC1_DATA, T_IRQ0);
	outb(PIC2_DATA, T_IRQ0 + 8);
	outb(PIC1_DATA, 1 << 2);      /* slave on IRQ2 */
	outb(PIC2_DATA, 2);
	outb(PIC1_DATA, 0x01);        /* 8086 mode */
	outb(PIC2_DATA, 0x01);
	pic_mask = 0xffff & ~(1u << 2);
	pic_write_mask();
}

void pic_unmask(int irq)
{
	pic_mask &= (u16)~(1u << irq);
	pic_write_mask();
}

void pic_eoi(int irq)
{
	if (irq >= 8)
		outb(PIC2_CMD, 0x20);
	outb(PIC1_CMD, 0x20);
}

/* Channel 0, mode 2 (rate generator), lobyte/hibyte divisor for HZ. */
void pit_init(void)
{
	u32 div = PIT_HZ / HZ;

	outb(PIT_MODE, 0x34);
	outb(PIT_CH0, (u8)div);
	outb(PIT_CH0, (u8)(div >> 8));
	pic_unmask(0);
}

/* QEMU exits with (status << 1) | 1; previrt-run maps 1 to success. */
void debug_exit(u32 status)
{
	cli();
	outl(DEBUG_EXIT_PORT, status);
	for (;;)
		hlt();
}
