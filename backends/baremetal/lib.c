/*
 * lib.c - the few libc string functions the freestanding monitor (and the
 * compiler's struct copies) need.  Runs: monitor ring 0.
 */
#include "previrt/afterburner.h"
#include "bm.h"

/* The C names the compiler and the monitor use, on the afterburner's
 * primitives (util.c), which the monitor links anyway. */
void *memcpy(void *d, const void *s, size_t n)
{
	return ab_memcpy(d, s, n);
}

void *memmove(void *d, const void *s, size_t n)
{
	uint8_t *dp = d;
	const uint8_t *sp = s;
	if (dp <= sp || dp >= sp + n)
		return ab_memcpy(d, s, n);
	while (n--)
		dp[n] = sp[n];
	return d;
}

void *memset(void *d, int c, size_t n)
{
	return ab_memset(d, c, n);
}

int memcmp(const void *a, const void *b, size_t n)
{
	return ab_memcmp(a, b, n);
}

size_t strlen(const char *s)
{
	return ab_strlen(s);
}

int bm_strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (uint8_t)*a - (uint8_t)*b;
		if (!*a)
			return 0;
	}
	return 0;
}
