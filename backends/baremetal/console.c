/*
 * console.c - the monitor's real 16550 serial port (COM1), a small
 * printf, and leaving QEMU through isa-debug-exit.  Runs: monitor ring 0.
 */
#include <stdarg.h>
#include "bm.h"
#include "x86.h"

#define COM1      0x3f8
#define EXIT_PORT 0xf4

void bm_serial_init(void)
{
	outb(COM1 + 1, 0x00);          /* no UART interrupts */
	outb(COM1 + 3, 0x80);          /* DLAB */
	outb(COM1 + 0, 0x01);          /* 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);          /* 8N1 */
	outb(COM1 + 2, 0xc7);          /* FIFO on, cleared */
	outb(COM1 + 4, 0x03);          /* DTR, RTS */
}

void bm_putc(char c)
{
	for (int i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++)
		;
	outb(COM1, (uint8_t)c);
}

void bm_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bm_putc(s[i]);
}

/* One received byte, or -1 when the receive buffer is empty. */
int bm_getc(void)
{
	return (inb(COM1 + 5) & 1) ? inb(COM1) : -1;
}

struct sink {
	char *buf;        /* NULL: the serial port */
	size_t n, len;
};

static void sink_put(struct sink *k, char c)
{
	if (!k->buf)
		bm_putc(c);
	else if (k->len + 1 < k->n)
		k->buf[k->len++] = c;
}

static void put_str(struct sink *k, const char *s)
{
	while (*s)
		sink_put(k, *s++);
}

static void put_num(struct sink *k, uint32_t v, unsigned base, int width,
		    char pad)
{
	char buf[12];
	int n = 0;
	do {
		buf[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (width-- > n)
		sink_put(k, pad);
	while (n)
		sink_put(k, buf[--n]);
}

/* Format %s %c %d %u %x %p %% with optional zero pad and width. */
static void format(struct sink *k, const char *f, va_list ap)
{
	for (; *f; f++) {
		if (*f != '%') { sink_put(k, *f); continue; }
		char pad = ' ';
		int width = 0;
		if (*++f == '0') { pad = '0'; f++; }
		while (*f >= '0' && *f <= '9')
			width = width * 10 + (*f++ - '0');
		switch (*f) {
		case 's': { const char *s = va_arg(ap, const char *);
			put_str(k, s ? s : "(null)"); break; }
		case 'c': sink_put(k, (char)va_arg(ap, int)); break;
		case 'd': { int v = va_arg(ap, int);
			if (v < 0) { sink_put(k, '-'); v = -v; }
			put_num(k, (uint32_t)v, 10, width, pad); break; }
		case 'u': put_num(k, va_arg(ap, uint32_t), 10, width, pad); break;
		case 'x': put_num(k, va_arg(ap, uint32_t), 16, width, pad); break;
		case 'p': put_str(k, "0x");
			put_num(k, va_arg(ap, uint32_t), 16, 8, '0'); break;
		case '%': sink_put(k, '%'); break;
		default: sink_put(k, '?'); break;
		}
	}
}

static void bm_vprintf(const char *f, va_list ap)
{
	struct sink k = { 0, 0, 0 };
	format(&k, f, ap);
}

int bm_vsnprintf(char *buf, size_t n, const char *f, va_list ap)
{
	struct sink k = { buf, n, 0 };
	format(&k, f, ap);
	if (n)
		buf[k.len] = 0;
	return (int)k.len;
}

void bm_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bm_vprintf(fmt, ap);
	va_end(ap);
}

/* Leave QEMU: isa-debug-exit makes the QEMU exit status (status<<1)|1. */
void bm_exit(int status)
{
	outl(EXIT_PORT, (uint32_t)status);
	for (;;) {                     /* real hardware: stop here */
		cli();
		hlt();
	}
}

/* A monitor bug or a containment stop: print, exit with status 0x70. */
void bm_panic(const char *fmt, ...)
{
	va_list ap;
	bm_write("monitor: ", 9);
	va_start(ap, fmt);
	bm_vprintf(fmt, ap);
	va_end(ap);
	bm_putc('\n');
	bm_exit(0x70);
}
