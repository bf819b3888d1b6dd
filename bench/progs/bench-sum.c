/*
 * bench-sum.c - helper of bench-macro: reads standard input to end of
 * file, counting bytes and lines; exits 0 if it saw argv[1] bytes and
 * argv[1] / 64 lines, else 1.  Runs: ring 3 (sample kernel or Linux).
 */
#include "lib/ulib.h"

int main(int argc, char **argv)
{
	static char buf[4096];
	int want = argc > 1 ? atoi(argv[1]) : 32768, bytes = 0, lines = 0;
	int n, i;

	while ((n = read(0, buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++)
			lines += buf[i] == '\n';
		bytes += n;
	}
	return n == 0 && bytes == want && lines == want / 64 ? 0 : 1;
}
