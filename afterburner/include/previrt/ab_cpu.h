/*
 * ab_cpu.h - the afterburner's only inline asm: instructions that are
 * unprivileged and mean the same in both worlds it runs in (hosted
 * process, monitor ring 0).  Runs: hosted process and monitor ring 0.
 */
#ifndef PREVIRT_AB_CPU_H
#define PREVIRT_AB_CPU_H
#include <stdint.h>

/* The real time-stamp counter (the guest's own rdtsc reads the same). */
static inline uint64_t ab_rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

#endif
