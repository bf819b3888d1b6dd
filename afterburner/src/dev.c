/*
 * dev.c - the PC devices every backend shows the guest identically: the
 * 8259A PIC pair, the 8254 PIT (channel 0 driven by ab_backend_now_ns and
 * ab_backend_set_timer, channel 2 gated by port 0x61), a 16550 UART as
 * COM1 (output through ab_backend_console_write, input from
 * ab_backend_console_read), the MC146818 CMOS clock (read-only, see
 * cmos_read), the isa-debug-exit port 0xf4, the 8042's
 * reset line (command 0xfe to port 0x64: the guest stops as under qemu
 * -no-reboot, status 0) and the port-0x80 delay sink.  Unknown ports read
 * as all ones (no 8042 is found) and are counted.
 * Runs: hosted process and monitor ring 0; freestanding.  Register
 * behaviour from the Intel 8259A and 8254 data sheets and the TI/NS 16550.
 */
#include "previrt/afterburner.h"

#define PIT_HZ   1193182u
#define NS       1000000000u
#define COM1     0x3f8
#define IRQ_COM1 4

/* ================= 8259A ============================================ */

static int highest(uint8_t bits)
{
	for (int i = 0; i < 8; i++)
		if (bits & (1u << i))
			return i;
	return -1;
}

/* Highest-priority request of one chip that beats its in-service set. */
static int pic_best(const struct ab_pic *p, uint8_t extra)
{
	int req = highest((uint8_t)((p->irr | extra) & ~p->imr));
	int srv = highest(p->isr);
	return req >= 0 && (srv < 0 || req < srv) ? req : -1;
}

static uint8_t slave_line(struct ab_vcpu *v)
{
	return pic_best(&v->pic[1], 0) >= 0 ? 4 : 0;
}

int ab_pic_pending(struct ab_vcpu *v)
{
	int m = pic_best(&v->pic[0], slave_line(v));
	if (m < 0)
		return -1;
	if (m == 2 && slave_line(v))
		return v->pic[1].base + pic_best(&v->pic[1], 0);
	return v->pic[0].base + m;
}

static void pic_in_service(struct ab_pic *p, int irq)
{
	p->irr &= (uint8_t)~(1u << irq);
	if (!p->auto_eoi)
		p->isr |= (uint8_t)(1u << irq);
}

int ab_pic_ack(struct ab_vcpu *v)
{
	int m = pic_best(&v->pic[0], slave_line(v));
	if (m < 0)
		return v->pic[0].base + 7;          /* spurious */
	if (m == 2 && slave_line(v)) {
		int s = pic_best(&v->pic[1], 0);
		pic_in_service(&v->pic[1], s);
		pic_in_service(&v->pic[0], 2);
		return v->pic[1].base + s;
	}
	pic_in_service(&v->pic[0], m);
	return v->pic[0].base + m;
}

void ab_dev_irq(struct ab_vcpu *v, unsigned irq)
{
	struct ab_pic *p = &v->pic[irq >= 8];
	p->irr |= (uint8_t)(1u << (irq & 7));
	ab_vcpu_update_pending(v);
}

static void pic_cmd(struct ab_pic *p, uint8_t val)
{
	if (val & 0x10) {                         /* ICW1 */
		p->imr = p->isr = p->irr = 0;
		p->icw_step = 1;
		p->icw4_needed = val & 1;
		p->auto_eoi = 0;
		p->read_isr = 0;
	} else if ((val & 0x18) == 0x08) {        /* OCW3 */
		if (val & 2)
			p->read_isr = val & 1;
	} else if (val & 0x20) {                  /* OCW2: EOI */
		int irq = (val & 0x40) ? (val & 7) : highest(p->isr);
		if (irq >= 0)
			p->isr &= (uint8_t)~(1u << irq);
	}
}

static void pic_data(struct ab_pic *p, uint8_t val)
{
	switch (p->icw_step) {
	case 1: p->base = val & 0xf8; p->icw_step = 2; break;
	case 2: p->icw_step = p->icw4_needed ? 3 : 0; break;
	case 3: p->auto_eoi = (val & 2) != 0; p->icw_step = 0; break;
	default: p->imr = val; break;
	}
}

/* ================= 8254 ============================================= */

static uint32_t pit_reload(const struct ab_pit_chan *c)
{
	return c->reload ? c->reload : 0x10000u;
}

static uint64_t pit_ticks(struct ab_vcpu *v, const struct ab_pit_chan *c)
{
	uint64_t now = ab_backend_now_ns(v->vm);
	uint64_t el = now > c->start_ns ? now - c->start_ns : 0;
	uint32_t rem;
	uint64_t sec = ab_udiv64(el, NS, &rem);
	return sec * PIT_HZ + ab_udiv64((uint64_t)rem * PIT_HZ, NS, NULL);
}

/* Current count and output pin of a channel. */
static uint16_t pit_count(struct ab_vcpu *v, const struct ab_pit_chan *c,
			  int *out)
{
	uint64_t t = pit_ticks(v, c);
	uint32_t n = pit_reload(c), pos;
	if (c->mode == 0 || c->mode == 1 || c->mode == 4 || c->mode == 5) {
		*out = t >= n;
		return (uint16_t)(n - t);
	}
	ab_udiv64(t, n, &pos);
	*out = c->mode == 3 ? pos < n / 2 : pos != n - 1;
	return (uint16_t)(n - pos);
}

/* Deadline of channel 0's k-th interrupt after its (re)load. */
static uint64_t pit_deadline(struct ab_vcpu *v, uint64_t k)
{
	const struct ab_pit_chan *c = &v->pit[0];
	uint64_t ticks = k * pit_reload(c);
	uint32_t rem;
	uint64_t sec = ab_udiv64(ticks, PIT_HZ, &rem);
	return c->start_ns + sec * NS + ab_udiv64((uint64_t)rem * NS, PIT_HZ,
						  NULL);
}

static void pit_arm(struct ab_vcpu *v)
{
	v->pit_next_ns = v->pit_k ? pit_deadline(v, v->pit_k) : 0;
	ab_backend_set_timer(v->vm, v->pit_next_ns);
}

static void pit_loaded(struct ab_vcpu *v, unsigned ch)
{
	struct ab_pit_chan *c = &v->pit[ch];
	c->start_ns = ab_backend_now_ns(v->vm);
	if (ch == 0) {
		v->pit_k = 1;
		pit_arm(v);
	}
}

/* Channel 0: raise IRQ0 for a passed deadline; catch up at most a few
 * periods (a slow guest loses ticks rather than storming). */
static void pit_poll(struct ab_vcpu *v)
{
	uint64_t now = ab_backend_now_ns(v->vm);
	if (!v->pit_k || now < v->pit_next_ns)
		return;
	ab_dev_irq(v, 0);
	v->stat[AB_ST_TIMER_TICKS]++;
	if (v->pit[0].mode != 2 && v->pit[0].mode != 3) {
		v->pit_k = 0;                   /* one-shot modes */
	} else {
		v->pit_k++;
		if (pit_deadline(v, v->pit_k + 8) < now)
			while (pit_deadline(v, v->pit_k) < now)
				v->pit_k++;
	}
	pit_arm(v);
}

static void pit_control(struct ab_vcpu *v, uint8_t val)
{
	unsigned ch = val >> 6;
	if (ch == 3) {                            /* read-back: latch counts */
		for (unsigned i = 0; i < 3; i++) {
			int out;
			if (!(val & 0x20) && (val & (2u << i))) {
				v->pit[i].latch = pit_count(v, &v->pit[i], &out);
				v->pit[i].latched = 2;
				v->pit[i].latch_hi = 0;
			}
		}
		return;
	}
	struct ab_pit_chan *c = &v->pit[ch];
	unsigned access = (val >> 4) & 3;
	if (access == 0) {                        /* counter latch */
		int out;
		c->latch = pit_count(v, c, &out);
		c->latched = 2;
		c->latch_hi = 0;
		return;
	}
	c->access = (uint8_t)access;
	c->mode = (val >> 1) & 7;
	if (c->mode > 5)
		c->mode -= 4;
	c->rw_hi = 0;
	if (ch == 0) {
		v->pit_k = 0;                       /* stopped until loaded */
		pit_arm(v);
	}
}

static void pit_write(struct ab_vcpu *v, unsigned ch, uint8_t val)
{
	struct ab_pit_chan *c = &v->pit[ch];
	if (c->access == 1 || (c->access == 3 && !c->rw_hi)) {
		c->reload = (uint16_t)((c->reload & 0xff00) | val);
		if (c->access == 3) {
			c->rw_hi = 1;
			return;
		}
	} else {
		c->reload = (uint16_t)((c->reload & 0x00ff) | val << 8);
		c->rw_hi = 0;
	}
	pit_loaded(v, ch);
}

static uint8_t pit_read(struct ab_vcpu *v, unsigned ch)
{
	struct ab_pit_chan *c = &v->pit[ch];
	int out;
	uint16_t n = c->latched ? c->latch : pit_count(v, c, &out);
	int hi = c->access == 2 || (c->access == 3 && (c->latched ? c->latch_hi
						       : c->rw_hi));
	if (c->access == 3) {
		if (c->latched)
			c->latch_hi ^= 1;
		else
			c->rw_hi ^= 1;
	}
	if (c->latched && (c->access != 3 || !c->latch_hi))
		c->latched = 0;
	return (uint8_t)(hi ? n >> 8 : n);
}

static uint8_t port61_read(struct ab_vcpu *v)
{
	int out = 0;
	if (v->port61 & 1)
		pit_count(v, &v->pit[2], &out);
	v->port61 ^= 0x10;                        /* refresh toggle */
	return (uint8_t)((v->port61 & 0x13) | (out ? 0x20 : 0));
}

static void port61_write(struct ab_vcpu *v, uint8_t val)
{
	if ((val & 1) && !(v->port61 & 1))
		pit_loaded(v, 2);                 /* gate rising edge */
	v->port61 = (uint8_t)((v->port61 & 0x10) | (val & 0x0f));
}

/* ================= 16550 ============================================ */

void ab_dev_flush(struct ab_vcpu *v)
{
	if (v->uart.nout)
		ab_backend_console_write(v->vm, v->uart.out, v->uart.nout);
	v->uart.nout = 0;
}

static void uart_irq(struct ab_vcpu *v)
{
	struct ab_uart *u = &v->uart;
	if (((u->ier & 1) && u->rx >= 0) || ((u->ier & 2) && u->thre_pending))
		ab_dev_irq(v, IRQ_COM1);
}

static void uart_fill(struct ab_vcpu *v)
{
	if (v->uart.rx < 0) {
		v->uart.rx = ab_backend_console_read(v->vm);
		if (v->uart.rx >= 0)
			uart_irq(v);
	}
}

static void uart_tx(struct ab_vcpu *v, uint8_t c)
{
	struct ab_uart *u = &v->uart;
	u->out[u->nout++] = (char)c;
	if (c == '\n' || u->nout == sizeof u->out)
		ab_dev_flush(v);
	u->thre_pending = 1;
	uart_irq(v);
}

static uint8_t uart_in(struct ab_vcpu *v, unsigned reg)
{
	struct ab_uart *u = &v->uart;
	int dlab = u->lcr & 0x80, c;
	switch (reg) {
	case 0:
		if (dlab)
			return u->dll;
		uart_fill(v);
		c = u->rx;
		u->rx = -1;
		return c < 0 ? 0 : (uint8_t)c;
	case 1: return dlab ? u->dlm : u->ier;
	case 2:
		uart_fill(v);
		if ((u->ier & 1) && u->rx >= 0)
			return 0xc4;
		if ((u->ier & 2) && u->thre_pending) {
			u->thre_pending = 0;
			return 0xc2;
		}
		return 0xc1;
	case 3: return u->lcr;
	case 4: return u->mcr;
	case 5:
		uart_fill(v);
		return (uint8_t)(0x60 | (u->rx >= 0));
	case 6: return 0xb0;
	default: return u->scr;
	}
}

static void uart_out(struct ab_vcpu *v, unsigned reg, uint8_t val)
{
	struct ab_uart *u = &v->uart;
	int dlab = u->lcr & 0x80;
	switch (reg) {
	case 0: if (dlab) u->dll = val; else uart_tx(v, val); break;
	case 1:
		if (dlab) {
			u->dlm = val;
		} else {
			u->ier = val & 0x0f;
			u->thre_pending = (val & 2) != 0;
			uart_irq(v);
		}
		break;
	case 3: u->lcr = val; break;
	case 4: u->mcr = val; break;
	case 7: u->scr = val; break;
	default: break;                        /* FCR, LSR, MSR writes */
	}
}

/* ================= MC146818 CMOS clock (ports 0x70, 0x71) ========== */
/* No wall clock crosses the backend interface: the clock reads 2000-01-01
 * 00:00:00 plus ab_backend_now_ns, in BCD and 24-hour mode (status B),
 * never mid-update (UIP clear in status A), battery good (status D).
 * Writes (setting the clock, alarms) are ignored; other registers read
 * 0.  Bit 7 of the index (NMI mask) is dropped. */
static uint8_t bcd(uint32_t x)
{
	return (uint8_t)((x / 10) << 4 | x % 10);
}

static uint8_t cmos_date(uint32_t days, unsigned reg)
{
	static const uint8_t mdays[12] = { 31, 28, 31, 30, 31, 30,
					   31, 31, 30, 31, 30, 31 };
	uint32_t year = 2000, month = 0, wday = (6 + days) % 7 + 1;
	for (;;) {                           /* 2000-01-01 was a Saturday */
		uint32_t n = year % 4 ? 365 : 366;   /* 2000..2099 */
		if (days < n)
			break;
		days -= n;
		year++;
	}
	for (;; month++) {
		uint32_t n = mdays[month] + (month == 1 && year % 4 == 0);
		if (days < n)
			break;
		days -= n;
	}
	switch (reg) {
	case 6: return bcd(wday);
	case 7: return bcd(days + 1);
	case 8: return bcd(month + 1);
	case 9: return bcd(year % 100);
	default: return bcd(year / 100);    /* 0x32: century */
	}
}

static uint8_t cmos_read(struct ab_vcpu *v)
{
	uint32_t ns, s;
	uint64_t t = ab_udiv64(ab_backend_now_ns(v->vm), NS, &ns);
	uint32_t days = (uint32_t)ab_udiv64(t, 86400, &s);
	switch (v->cmos_index) {
	case 0: return bcd(s % 60);
	case 2: return bcd(s / 60 % 60);
	case 4: return bcd(s / 3600);
	case 6: case 7: case 8: case 9: case 0x32:
		return cmos_date(days, v->cmos_index);
	case 0xa: return 0x26;               /* 32.768 kHz base, 1 kHz */
	case 0xb: return 0x02;               /* 24-hour, BCD, no IRQs */
	case 0xd: return 0x80;               /* valid RAM and time */
	default: return 0;
	}
}

/* ================= port dispatch ==================================== */

void ab_dev_init(struct ab_vcpu *v)
{
	v->pic[0].base = 0x08;
	v->pic[1].base = 0x70;
	v->pic[0].imr = v->pic[1].imr = 0xff;
	for (unsigned i = 0; i < 3; i++)
		v->pit[i] = (struct ab_pit_chan){ .access = 3, .mode = 3 };
	v->uart.rx = -1;
}

void ab_dev_poll(struct ab_vcpu *v)
{
	pit_poll(v);
	uart_fill(v);
}

uint32_t ab_dev_in(struct ab_vcpu *v, uint16_t port, unsigned size)
{
	if (size == 1) {
		switch (port) {
		case 0x20: case 0xa0: {
			struct ab_pic *p = &v->pic[port == 0xa0];
			return p->read_isr ? p->isr : p->irr;
		}
		case 0x21: return v->pic[0].imr;
		case 0xa1: return v->pic[1].imr;
		case 0x40: case 0x41: case 0x42: return pit_read(v, port - 0x40);
		case 0x61: return port61_read(v);
		case 0x70: return v->cmos_index;
		case 0x71: return cmos_read(v);
		case 0x80: return 0xff;
		default:
			if (port >= COM1 && port < COM1 + 8)
				return uart_in(v, port - COM1);
		}
	}
	v->stat[AB_ST_IO_UNKNOWN]++;
	return 0xffffffffu;
}

void ab_dev_out(struct ab_vcpu *v, uint16_t port, unsigned size, uint32_t val)
{
	uint8_t b = (uint8_t)val;
	if (port == 0xf4) {                     /* isa-debug-exit */
		ab_dev_flush(v);
		ab_backend_shutdown(v->vm, (int)val, NULL);
	}
	if (size != 1)
		goto unknown;
	switch (port) {
	case 0x20: case 0xa0: pic_cmd(&v->pic[port == 0xa0], b); break;
	case 0x21: case 0xa1: pic_data(&v->pic[port == 0xa1], b); break;
	case 0x40: case 0x41: case 0x42: pit_write(v, port - 0x40, b); break;
	case 0x43: pit_control(v, b); break;
	case 0x61: port61_write(v, b); break;
	case 0x64:                              /* 8042 command */
		if (b != 0xfe)
			goto unknown;
		ab_dev_flush(v);                /* pulse reset: a reboot */
		ab_backend_shutdown(v->vm, 0, NULL);
		break;
	case 0x70: v->cmos_index = b & 0x7f; break;
	case 0x71: break;                       /* the clock is read-only */
	case 0x80: break;                       /* POST code / delay */
	default:
		if (port >= COM1 && port < COM1 + 8) {
			uart_out(v, port - COM1, b);
			break;
		}
		goto unknown;
	}
	ab_vcpu_update_pending(v);
	return;
unknown:
	v->stat[AB_ST_IO_UNKNOWN]++;
}
