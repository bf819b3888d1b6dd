/*
 * bench-pagefault.c - first touch of fresh anonymous mmap pages (one
 * demand-zero page fault each): cycles per page.  Runs: ring 3 (sample
 * kernel or Linux).
 * Prints: BENCH page-fault <cycles> cycles
 */
#include "lib/ulib.h"

#define PAGES 256

int main(int argc, char **argv)
{
	volatile char *m;
	u64 t;
	int i;

	(void)argc;
	(void)argv;
	if (!(m = mmap_anon(PAGES * 4096)))
		return 1;
	t = rdtsc();
	for (i = 0; i < PAGES; i++)
		m[i * 4096] = (char)i;
	t = rdtsc() - t;
	for (i = 0; i < PAGES; i++)
		if (m[i * 4096] != (char)i)
			return 1;
	munmap((void *)m, PAGES * 4096);
	printf("BENCH page-fault %llu cycles\n", t / PAGES);
	return 0;
}
