/*
 * test_dev.c - criterion tests of the device models: PIC priority,
 * cascade and EOI, PIT channel 0 deadlines and IRQ0, UART output and
 * input, debug-exit, unknown ports, the CMOS clock, the 8042 reset.
 * Runs: host.
 */
#include <criterion/criterion.h>
#include <string.h>
#include "fake_backend.h"

static void out8(uint16_t p, uint8_t v) { ab_dev_out(&fb_vcpu, p, 1, v); }
static uint8_t in8(uint16_t p) { return (uint8_t)ab_dev_in(&fb_vcpu, p, 1); }

static void pic_setup(void)
{
	fb_reset();
	out8(0x20, 0x11); out8(0x21, 0x20); out8(0x21, 4); out8(0x21, 1);
	out8(0xa0, 0x11); out8(0xa1, 0x28); out8(0xa1, 2); out8(0xa1, 1);
	out8(0x21, 0); out8(0xa1, 0);
}

TestSuite(dev, .init = pic_setup);

Test(dev, pic_priority_cascade_eoi)
{
	ab_dev_irq(&fb_vcpu, 12);
	ab_dev_irq(&fb_vcpu, 3);
	cr_assert_eq(ab_pic_pending(&fb_vcpu), 0x28 + 4, "slave via IRQ2 beats 3");
	cr_assert_eq(ab_pic_ack(&fb_vcpu), 0x2c);
	cr_assert_eq(ab_pic_pending(&fb_vcpu), -1, "IRQ3 waits for IRQ2 EOI");
	out8(0xa0, 0x20); out8(0x20, 0x20);
	cr_assert_eq(ab_pic_ack(&fb_vcpu), 0x23);
	out8(0x21, 0x01);                          /* mask IRQ0 */
	ab_dev_irq(&fb_vcpu, 0);
	out8(0x20, 0x20);
	cr_assert_eq(ab_pic_pending(&fb_vcpu), -1, "masked");
	out8(0x20, 0x0a);                          /* OCW3: read IRR */
	cr_assert_eq(in8(0x20) & 1, 1);
	cr_assert_eq(in8(0x21), 0x01);
}

Test(dev, pit_channel0_periodic_irq)
{
	fb_vm.now = 1000;
	out8(0x43, 0x34);                          /* ch0, lo/hi, mode 2 */
	out8(0x40, 11932 & 0xff); out8(0x40, 11932 >> 8);
	cr_assert(fb_vm.timer > 1000 + 9990000 && fb_vm.timer < 1000 + 10010000,
		  "deadline ~10 ms: %lu", (unsigned long)fb_vm.timer);
	ab_dev_poll(&fb_vcpu);
	cr_assert_eq(ab_pic_pending(&fb_vcpu), -1);
	fb_vm.now = fb_vm.timer;
	ab_dev_poll(&fb_vcpu);
	cr_assert_eq(ab_pic_pending(&fb_vcpu), 0x20);
	cr_assert(fb_vm.timer > fb_vm.now, "re-armed for the next period");
	/* counter reads back something between 0 and the reload */
	fb_vm.now += 5000000;
	out8(0x43, 0x00);                          /* latch ch0 */
	unsigned c = in8(0x40); c |= in8(0x40) << 8;
	cr_assert(c > 5000 && c < 7000, "half a period left: %u", c);
}

Test(dev, uart_output_input_and_lsr)
{
	const char *s = "hi\n";
	for (const char *p = s; *p; p++)
		out8(0x3f8, (uint8_t)*p);
	cr_assert_eq(fb_vm.nout, 3);
	cr_assert_eq(memcmp(fb_vm.out, "hi\n", 3), 0);
	cr_assert_eq(in8(0x3fd), 0x60, "THR empty, no data");
	fb_vm.in[0] = 'x'; fb_vm.nin = 1;
	out8(0x3f9, 1);                            /* IER: rx interrupt */
	cr_assert_eq(in8(0x3fd) & 1, 1, "data ready");
	cr_assert_eq(ab_pic_pending(&fb_vcpu), 0x24, "IRQ4");
	cr_assert_eq(in8(0x3f8), 'x');
	cr_assert_eq(in8(0x3fd) & 1, 0);
	out8(0x3fb, 0x80); out8(0x3f8, 1); out8(0x3fb, 0x03);  /* DLAB */
	cr_assert_eq(fb_vm.nout, 3, "divisor write is not output");
}

Test(dev, debug_exit_and_unknown_ports)
{
	cr_assert_eq(ab_dev_in(&fb_vcpu, 0x1234, 1), 0xffffffffu);
	cr_assert_eq(ab_dev_in(&fb_vcpu, 0x3f8, 4), 0xffffffffu);
	cr_assert_eq(fb_vcpu.stat[AB_ST_IO_UNKNOWN], 2);
	cr_assert(FB_STOPPED(out8(0xf4, 7)));
	cr_assert_eq(fb_vm.status, 7);
}

static uint8_t cmos(uint8_t reg)
{
	out8(0x70, reg | 0x80);                 /* NMI-mask bit ignored */
	return in8(0x71);
}

/* The CMOS clock: 2000-01-01 00:00:00 plus the backend's clock, BCD. */
Test(dev, cmos_clock_bcd_and_calendar)
{
	uint64_t day = 86400ull * 1000000000ull;
	fb_vm.now = (366 + 31 + 28) * day + 3723ull * 1000000000ull + 5;
	cr_assert_eq(cmos(0), 0x03);
	cr_assert_eq(cmos(2), 0x02);
	cr_assert_eq(cmos(4), 0x01);
	cr_assert_eq(cmos(7), 0x01);            /* 2001-03-01, a Thursday */
	cr_assert_eq(cmos(8), 0x03);
	cr_assert_eq(cmos(9), 0x01);
	cr_assert_eq(cmos(0x32), 0x20);
	cr_assert_eq(cmos(6), 5);
	fb_vm.now = (31 + 28) * day;            /* leap day 2000-02-29 */
	cr_assert_eq(cmos(7), 0x29);
	cr_assert_eq(cmos(8), 0x02);
	cr_assert_eq(cmos(6), 3);               /* a Tuesday */
	cr_assert_eq(cmos(0xa) & 0x80, 0, "never mid-update");
	cr_assert_eq(cmos(0xb), 0x02);
	cr_assert_eq(cmos(0xd), 0x80);
	cr_assert_eq(in8(0x70), 0x0d);
	cr_assert_eq(fb_vcpu.stat[AB_ST_IO_UNKNOWN], 0);
}

/* 8042 command 0xfe pulses reset: the guest stops with status 0; other
 * commands are unknown (no 8042 is modelled). */
Test(dev, kbc_reset_stops_the_guest)
{
	out8(0x64, 0xaa);
	cr_assert_eq(fb_vcpu.stat[AB_ST_IO_UNKNOWN], 1);
	fb_vm.status = 99;
	cr_assert(FB_STOPPED(out8(0x64, 0xfe)));
	cr_assert_eq(fb_vm.status, 0);
}
