/*
 * bench-cpu.c - a fixed amount of integer work (xorshift and a small
 * table walk, 400000 rounds): total cycles.  No system calls inside the
 * timed loop, so it measures plain CPU speed (and timer interrupts).
 * Runs: ring 3 (sample kernel or Linux).
 * Prints: BENCH cpu-loop <cycles> cycles
 */
#include "lib/ulib.h"

#define ROUNDS 400000

static u32 work(void)
{
	u32 x = 2463534242u, acc = 0, tab[64];
	int i;

	for (i = 0; i < 64; i++)
		tab[i] = (u32)i * 2654435761u;
	for (i = 0; i < ROUNDS; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		tab[x & 63] += x;
		acc += tab[(x >> 6) & 63] ^ (acc >> 3);
	}
	return acc;
}

int main(int argc, char **argv)
{
	volatile u32 sink;
	u64 t;

	(void)argc;
	(void)argv;
	t = rdtsc();
	sink = work();
	t = rdtsc() - t;
	(void)sink;
	printf("BENCH cpu-loop %llu cycles\n", t);
	return 0;
}
