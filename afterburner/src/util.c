/*
 * util.c - the afterburner's freestanding helpers: memory and string
 * primitives, a small printf into a buffer, 64-by-32 division.  Runs:
 * hosted process and monitor ring 0; no libc (the 32-bit monitor build
 * links neither libc nor libgcc).
 */
#include "previrt/afterburner.h"

/* A 32-bit word that may alias anything (guest frames, page tables). */
typedef uint32_t __attribute__((may_alias)) ab_word;

/* Word-at-a-time when both pointers are 4-byte aligned (page tables,
 * frames, guest reads), bytes otherwise. */
void *ab_memcpy(void *d, const void *s, size_t n)
{
	uint8_t *dp = d;
	const uint8_t *sp = s;
	if (!(((uintptr_t)dp | (uintptr_t)sp) & 3)) {
		for (; n >= 4; n -= 4, dp += 4, sp += 4)
			*(ab_word *)dp = *(const ab_word *)sp;
	}
	while (n--)
		*dp++ = *sp++;
	return d;
}

void *ab_memset(void *d, int c, size_t n)
{
	uint8_t *dp = d;
	uint32_t w = (uint8_t)c * 0x01010101u;
	if (!((uintptr_t)dp & 3)) {
		for (; n >= 4; n -= 4, dp += 4)
			*(ab_word *)dp = w;
	}
	while (n--)
		*dp++ = (uint8_t)c;
	return d;
}

int ab_memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;
	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

size_t ab_strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

uint64_t ab_udiv64(uint64_t n, uint32_t d, uint32_t *rem)
{
	uint64_t q = 0, r = 0;
	for (int i = 63; i >= 0; i--) {
		r = (r << 1) | ((n >> i) & 1);
		if (r >= d) {
			r -= d;
			q |= (uint64_t)1 << i;
		}
	}
	if (rem)
		*rem = (uint32_t)r;
	return q;
}

struct sink { char *buf; size_t n, pos; };

static void put(struct sink *k, char c)
{
	if (k->pos + 1 < k->n)
		k->buf[k->pos] = c;
	k->pos++;
}

/* One number: digits of v in base, padded to width with pad. */
static void put_num(struct sink *k, uint64_t v, unsigned base, int upper,
		    int neg, int width, char pad, int left)
{
	char tmp[24];
	const char *dig = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	int len = 0;
	do {
		uint32_t rem;
		v = ab_udiv64(v, base, &rem);
		tmp[len++] = dig[rem];
	} while (v);
	int total = len + neg;
	if (neg && pad == '0')
		put(k, '-');
	for (int i = total; !left && i < width; i++)
		put(k, pad);
	if (neg && pad != '0')
		put(k, '-');
	while (len)
		put(k, tmp[--len]);
	for (int i = total; left && i < width; i++)
		put(k, ' ');
}

static void put_str(struct sink *k, const char *s, int width, int left)
{
	int len = (int)ab_strlen(s ? s : "(null)");
	for (int i = len; !left && i < width; i++)
		put(k, ' ');
	for (const char *p = s ? s : "(null)"; *p; p++)
		put(k, *p);
	for (int i = len; left && i < width; i++)
		put(k, ' ');
}

static uint64_t get_arg(va_list *ap, int lng, int sign)
{
	if (lng >= 2)
		return sign ? (uint64_t)va_arg(*ap, long long)
			    : va_arg(*ap, unsigned long long);
	if (lng == 1)
		return sign ? (uint64_t)(long long)va_arg(*ap, long)
			    : va_arg(*ap, unsigned long);
	return sign ? (uint64_t)(long long)va_arg(*ap, int)
		    : va_arg(*ap, unsigned int);
}

int ab_vfmt(char *buf, size_t n, const char *fmt, va_list ap0)
{
	struct sink k = { buf, n, 0 };
	va_list ap;
	va_copy(ap, ap0);
	for (const char *f = fmt; *f; f++) {
		if (*f != '%') { put(&k, *f); continue; }
		f++;
		int left = 0, width = 0, lng = 0;
		char pad = ' ';
		for (; *f == '-' || *f == '0'; f++)
			if (*f == '-') left = 1; else pad = '0';
		for (; *f >= '0' && *f <= '9'; f++)
			width = width * 10 + (*f - '0');
		for (; *f == 'l' || *f == 'z'; f++)
			lng += *f == 'z' ? 1 : 1;
		switch (*f) {
		case 'd': case 'i': {
			int64_t s = (int64_t)get_arg(&ap, lng, 1);
			put_num(&k, s < 0 ? (uint64_t)-s : (uint64_t)s, 10, 0,
				s < 0, width, pad, left);
			break;
		}
		case 'u': put_num(&k, get_arg(&ap, lng, 0), 10, 0, 0, width,
				  pad, left); break;
		case 'x': case 'X':
			put_num(&k, get_arg(&ap, lng, 0), 16, *f == 'X', 0,
				width, pad, left); break;
		case 'p': put_str(&k, "0x", 0, 0);
			put_num(&k, (uintptr_t)va_arg(ap, void *), 16, 0, 0,
				width, pad, left); break;
		case 's': put_str(&k, va_arg(ap, const char *), width, left);
			break;
		case 'c': put(&k, (char)va_arg(ap, int)); break;
		case '%': put(&k, '%'); break;
		case 0: f--; break;
		default: put(&k, '%'); put(&k, *f); break;
		}
	}
	va_end(ap);
	if (n)
		buf[k.pos < n ? k.pos : n - 1] = 0;
	return (int)k.pos;
}

int ab_fmt(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = ab_vfmt(buf, n, fmt, ap);
	va_end(ap);
	return r;
}
