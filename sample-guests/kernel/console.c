/*
 * console.c - the 16550 UART on COM1 (port 0x3f8), polled output, and
 * kprintf/panic on top of it.  A panic stops the machine with debug-exit
 * status 5 (init finishing with failures gives 1, success 0).  Runs: guest
 * kernel.
 */
#include <stdarg.h>
#include "kernel.h"
#include "x86.h"

#define COM1     0x3f8
#define UART_THR 0        /* transmit holding register */
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_THRE 0x20     /* transmit holding register empty */

/* 115200 baud, 8N1, FIFOs on, no interrupts (output is polled). */
void uart_init(void)
{
	outb(COM1 + UART_IER, 0x00);
	outb(COM1 + UART_LCR, 0x80);          /* DLAB: set divisor */
	outb(COM1 + 0, 1);
	outb(COM1 + 1, 0);
	outb(COM1 + UART_LCR, 0x03);
	outb(COM1 + UART_FCR, 0x07);
	outb(COM1 + UART_MCR, 0x03);
}

static void uart_putc(int c)
{
	int spin;

	for (spin = 0; spin < 100000; spin++)
		if (inb(COM1 + UART_LSR) & LSR_THRE)
			break;
	outb(COM1 + UART_THR, (u8)c);
}

void cons_putc(int c)
{
	if (c == '\n')
		uart_putc('\r');
	uart_putc(c);
}

/* Write n bytes with interrupts off so that lines do not interleave. */
void cons_write(const char *s, u32 n)
{
	u32 f = irq_save();
	while (n--)
		cons_putc(*s++);
	irq_restore(f);
}

/* A tiny output buffer, flushed by kprintf at the end. */
struct kbuf { char b[256]; u32 n; };

static void kb_put(struct kbuf *k, char c)
{
	if (k->n == sizeof(k->b)) {
		cons_write(k->b, k->n);
		k->n = 0;
	}
	k->b[k->n++] = c;
}

static void kb_num(struct kbuf *k, u64 v, unsigned base, int neg, int width,
		   char pad)
{
	char tmp[24];
	int i = 0;

	do {
		tmp[i++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		tmp[i++] = '-';
	while (i < width--)
		kb_put(k, pad);
	while (i)
		kb_put(k, tmp[--i]);
}

/* One conversion at *fmt (after '%'); returns the characters consumed. */
static int kb_conv(struct kbuf *k, const char *fmt, va_list *ap)
{
	const char *f = fmt;
	char pad = ' ';
	int width = 0, ll = 0;
	i64 sv;

	if (*f == '0')
		pad = '0';
	while (*f >= '0' && *f <= '9')
		width = width * 10 + (*f++ - '0');
	while (*f == 'l') {
		ll++;
		f++;
	}
	switch (*f) {
	case 'd':
		sv = ll >= 2 ? va_arg(*ap, i64) : va_arg(*ap, int);
		kb_num(k, sv < 0 ? (u64)-sv : (u64)sv, 10, sv < 0, width, pad);
		break;
	case 'u':
	case 'x':
		kb_num(k, ll >= 2 ? va_arg(*ap, u64) : va_arg(*ap, u32),
		       *f == 'u' ? 10 : 16, 0, width, pad);
		break;
	case 'p':
		kb_num(k, va_arg(*ap, u32), 16, 0, 8, '0');
		break;
	case 's': {
		const char *s = va_arg(*ap, const char *);
		for (s = s ? s : "(null)"; *s; s++)
			kb_put(k, *s);
		break;
	}
	case 'c':
		kb_put(k, (char)va_arg(*ap, int));
		break;
	default:
		kb_put(k, '%');
		kb_put(k, *f);
	}
	return (int)(f - fmt) + 1;
}

static void kvprintf(const char *fmt, va_list ap)
{
	struct kbuf k;

	k.n = 0;
	for (; *fmt; fmt++) {
		if (*fmt != '%')
			kb_put(&k, *fmt);
		else if (fmt[1])
			fmt += kb_conv(&k, fmt + 1, &ap);
	}
	cons_write(k.b, k.n);
}

int kprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	return 0;
}

void panic(const char *fmt, ...)
{
	va_list ap;

	cli();
	kprintf("PANIC: ");
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	kprintf("\n");
	debug_exit(5);              /* previrt-run exits 5: kernel panic */
}
