/*
 * bench-gen.c - helper of bench-macro: writes argv[1] bytes (default
 * 32768) of text lines to standard output in 4 KiB writes.  Runs: ring 3
 * (sample kernel or Linux).
 */
#include "lib/ulib.h"

int main(int argc, char **argv)
{
	static char buf[4096];
	int total = argc > 1 ? atoi(argv[1]) : 32768, i, n;

	for (i = 0; i < (int)sizeof(buf); i++)
		buf[i] = (i % 64 == 63) ? '\n' : (char)('a' + i % 26);
	for (; total > 0; total -= n) {
		n = total < (int)sizeof(buf) ? total : (int)sizeof(buf);
		if (write(1, buf, n) != n)
			return 1;
	}
	return 0;
}
