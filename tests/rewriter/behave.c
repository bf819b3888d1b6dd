/*
 * behave.c - a static i386 Linux user program for the rewriter's
 * behaviour test: its hand-written probes (behave-probe.S) and the static
 * glibc linked in hold sensitive instructions that run fine in ring 3
 * (pushf/popf, cpuid, segment reads, int $0x80).  check-behave.sh runs it
 * before and after previrt-rewrite and requires identical output.
 * Runs: host, as a 32-bit process.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

unsigned probe_flags(void);
void probe_cpuid(unsigned leaf, unsigned out[4]);
unsigned probe_segs(void);
unsigned probe_loop(unsigned n);

static int cmp(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

int main(int argc, char **argv)
{
	unsigned r[4];
	int v[64];
	char *buf = malloc(64);

	(void)argv;
	strcpy(buf, "heap ok");
	printf("%s\n", buf);
	printf("flags %08x\n", probe_flags() & 0x8d5);
	probe_cpuid(0, r);
	printf("cpuid0 max-leaf-nonzero %d vendor %.4s%.4s%.4s\n", r[0] != 0,
	       (char *)&r[1], (char *)&r[3], (char *)&r[2]);
	printf("segs %08x\n", probe_segs());
	printf("loop %u\n", probe_loop(1000));
	for (int i = 0; i < 64; i++) v[i] = (i * 7919) % 101;
	qsort(v, 64, sizeof v[0], cmp);
	for (int i = 0; i < 64; i += 8) printf("%d ", v[i]);
	printf("\nargc %d\n", argc);
	free(buf);
	return 0;
}
