/*
 * lib.c - freestanding helpers of the sample kernel: memory and string
 * functions, 64-bit division for the compiler (__udivdi3, __umoddi3),
 * the TSC calibration against the PIT tick and the kernel clock.  Runs:
 * guest kernel.
 */
#include "kernel.h"
#include "x86.h"

void *memset(void *d, int c, size_t n)
{
	u8 *p = d;

	while (n--)
		*p++ = (u8)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	u8 *dp = d;
	const u8 *sp = s;

	if (((u32)dp | (u32)sp | n) % 4 == 0) {
		u32 *dw = d;
		const u32 *sw = s;
		for (n /= 4; n; n--)
			*dw++ = *sw++;
		return d;
	}
	while (n--)
		*dp++ = *sp++;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const u8 *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n && *a && *a == *b; n--, a++, b++)
		;
	return n ? (u8)*a - (u8)*b : 0;
}

int strcmp(const char *a, const char *b)
{
	return strncmp(a, b, ~0u);
}

/* Copy at most n - 1 bytes and always terminate. */
char *strncpy_z(char *d, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n && s[i]; i++)
		d[i] = s[i];
	if (n)
		d[i] = 0;
	return d;
}

/* Shift-and-subtract 64-bit division (the compiler's helper ABI). */
static u64 udivmod64(u64 n, u64 d, u64 *rem)
{
	u64 q = 0, r = 0;
	int i;

	if (d == 0)
		panic("division by zero");
	if ((n >> 32) == 0 && (d >> 32) == 0) {
		*rem = (u32)n % (u32)d;
		return (u32)n / (u32)d;
	}
	for (i = 63; i >= 0; i--) {
		r = (r << 1) | ((n >> i) & 1);
		if (r >= d) {
			r -= d;
			q |= 1ull << i;
		}
	}
	*rem = r;
	return q;
}

u64 __udivdi3(u64 n, u64 d);
u64 __umoddi3(u64 n, u64 d);

u64 __udivdi3(u64 n, u64 d)
{
	u64 r;
	return udivmod64(n, d, &r);
}

u64 __umoddi3(u64 n, u64 d)
{
	u64 r;
	udivmod64(n, d, &r);
	return r;
}

static u64 tsc_ms;                 /* TSC cycles per millisecond */
static volatile u64 last_tick_tsc;

u64 tsc_per_ms(void)
{
	return tsc_ms;
}

u64 time_last_tick_tsc(void)
{
	return last_tick_tsc;
}

void time_tick(void)
{
	ticks++;
	last_tick_tsc = rdtsc();
}

/* Count TSC cycles over 3 PIT ticks; interrupts must be enabled. */
void tsc_calibrate(void)
{
	u64 t0, start;

	t0 = ticks;
	while (ticks == t0)
		hlt();
	start = rdtsc();
	t0 = ticks;
	while (ticks < t0 + 3)
		hlt();
	tsc_ms = (rdtsc() - start) * HZ / 3 / 1000;
	if (tsc_ms == 0)
		tsc_ms = 1;
}

/* Nanoseconds since the PIT started: ticks plus TSC interpolation. */
u64 now_ns(void)
{
	u32 f = irq_save();
	u64 t = ticks, since = rdtsc() - last_tick_tsc;
	u64 per_tick = 1000000000u / HZ, extra = 0;

	irq_restore(f);
	if (tsc_ms)
		extra = since * 1000000u / tsc_ms;
	if (extra > per_tick)
		extra = per_tick;
	return t * per_tick + extra;
}
