/*
 * ho_cpu.h - every inline asm statement of the hosted backend: segment
 * register loads for the 32-bit guest, FS base repair, AC off, rdtsc, the entry trap,
 * the user stub's jump into its own code.  Runs: hosted process (64-bit
 * signal handlers, just before sigreturn into the guest; the forked user
 * stub).
 * DS and ES are not part of the x86-64 signal frame; the kernel leaves
 * them alone across signal delivery and sigreturn, so a handler sets the
 * guest's value directly.
 */
#ifndef HO_CPU_H
#define HO_CPU_H
#include <stdint.h>

/* DS ES := sel, FS := fs_sel, GS := gs_sel, then the guest's FS and GS
 * bases (the guest's segment loads are emulated: the selectors are the
 * backend's flat ones, the bases come from the guest's descriptors). */
static inline void ho_load_data_segs(uint16_t sel, uint16_t fs_sel,
				     uint16_t gs_sel, uint64_t fs_base,
				     uint64_t gs_base)
{
	__asm__ volatile("movw %0, %%ds\n\tmovw %0, %%es\n\t"
			 "movw %1, %%fs\n\tmovw %2, %%gs\n\t"
			 "wrfsbase %3\n\twrgsbase %4"
			 :: "r"(sel), "r"(fs_sel), "r"(gs_sel), "r"(fs_base),
			    "r"(gs_base) : "memory");
}

/* The guest's own segment loads (an unmarked popl %fs in its trap path)
 * can clear the FS base the host's TLS lives at; every handler puts it
 * back first (FSGSBASE instructions, enabled for user space by Linux). */
static inline uint64_t ho_rdfsbase(void)
{
	uint64_t b;
	__asm__ volatile("rdfsbase %0" : "=r"(b));
	return b;
}

static inline void ho_wrfsbase(uint64_t b)
{
	__asm__ volatile("wrfsbase %0" :: "r"(b) : "memory");
}

/* EFLAGS.AC off: a signal can arrive while the guest kernel runs with the
 * AC its own popf set, and Linux keeps AC for the handler, whose
 * unaligned accesses would then fault (#AC at CPL 3). */
static inline void ho_clear_ac(void)
{
	__asm__ volatile("pushfq\n\tandl $~0x40000, (%%rsp)\n\tpopfq"
			 ::: "memory", "cc");
}

static inline uint64_t ho_rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* ud2: the SIGILL handler sees the flag ho_vm.entering and replaces this
 * host context by the guest's first register frame. */
static inline void ho_trap_into_guest(void)
{
	__asm__ volatile("ud2" ::: "memory");
}

/* The forked user stub leaves C for good: cookie in %r15 (the register
 * ustub.S reads it from), the stub's stack, jump to its code. */
static inline __attribute__((noreturn)) void
ho_stub_jump(uint64_t cookie, uint64_t stack_top, uint64_t entry)
{
	__asm__ volatile("movq %0, %%r15\n\tmovq %1, %%rsp\n\tjmp *%2"
			 :: "r"(cookie), "r"(stack_top), "r"(entry) : "r15");
	__builtin_unreachable();
}

#endif
