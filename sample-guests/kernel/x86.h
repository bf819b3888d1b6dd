/*
 * x86.h - every privileged or sensitive IA-32 instruction the sample
 * kernel's C code uses, one static inline wrapper each.  Runs: guest
 * kernel (ring 0 natively; deprivileged under a previrt monitor, where the
 * compiler pass pads and records each of these as a site).  No other C
 * file of the kernel contains inline asm.
 */
#ifndef SG_X86_H
#define SG_X86_H

#include "types.h"

#define FL_IF    0x200u          /* EFLAGS.IF */
#define CR0_PE   0x00000001u
#define CR0_TS   0x00000008u
#define CR0_WP   0x00010000u
#define CR0_PG   0x80000000u
#define CR4_DE   0x00000008u
#define CR4_PGE  0x00000080u
#define CPUID_PGE (1u << 13)     /* cpuid(1).edx: global pages */

struct dtr {                     /* operand of lgdt/lidt/sgdt/sidt */
	u16 limit;
	u32 base;
} __attribute__((packed));

/* --- irq group ------------------------------------------------------ */
static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void hlt(void) { __asm__ volatile("hlt" ::: "memory"); }

/* sti;hlt: the interrupt shadow makes the pair race-free in the idle loop. */
static inline void sti_hlt(void)
{
	__asm__ volatile("sti; hlt" ::: "memory");
}

static inline u32 read_eflags(void)
{
	u32 f;
	__asm__ volatile("pushfl; popl %0" : "=r"(f) :: "memory");
	return f;
}

static inline void write_eflags(u32 f)
{
	__asm__ volatile("pushl %0; popfl" :: "r"(f) : "memory", "cc");
}

/* Save EFLAGS and disable interrupts: the kernel's critical-section entry. */
static inline u32 irq_save(void)
{
	u32 f;
	__asm__ volatile("pushfl; popl %0; cli" : "=r"(f) :: "memory");
	return f;
}

static inline void irq_restore(u32 f) { write_eflags(f); }

/* Software interrupt to the kernel's own test vector 0x81. */
static inline void int81(void) { __asm__ volatile("int $0x81" ::: "memory"); }

/* --- io group ------------------------------------------------------- */
static inline u8 inb(u16 port)
{
	u8 v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outb(u16 port, u8 v)
{
	__asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port));
}

static inline void outl(u16 port, u32 v)
{
	__asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(port));
}

/* --- cpu group ------------------------------------------------------ */
static inline void lgdt(const struct dtr *d)
{
	__asm__ volatile("lgdt %0" :: "m"(*d) : "memory");
}

static inline void lidt(const struct dtr *d)
{
	__asm__ volatile("lidt %0" :: "m"(*d) : "memory");
}

static inline void sgdt(struct dtr *d)
{
	__asm__ volatile("sgdt %0" : "=m"(*d));
}

static inline void sidt(struct dtr *d)
{
	__asm__ volatile("sidt %0" : "=m"(*d));
}

static inline void ltr(u16 sel) { __asm__ volatile("ltr %0" :: "r"(sel)); }
static inline void lldt(u16 sel) { __asm__ volatile("lldt %0" :: "r"(sel)); }

static inline u16 str(void)
{
	u16 s;
	__asm__ volatile("str %0" : "=r"(s));
	return s;
}

static inline u16 sldt(void)
{
	u16 s;
	__asm__ volatile("sldt %0" : "=r"(s));
	return s;
}

static inline u16 smsw(void)
{
	u16 v;
	__asm__ volatile("smsw %0" : "=r"(v));
	return v;
}

static inline void clts(void) { __asm__ volatile("clts" ::: "memory"); }

static inline void cpuid(u32 leaf, u32 *a, u32 *b, u32 *c, u32 *d)
{
	__asm__ volatile("cpuid"
			 : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
			 : "a"(leaf), "c"(0));
}

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}

static inline void wrmsr(u32 msr, u64 v)
{
	__asm__ volatile("wrmsr" :: "c"(msr), "a"((u32)v), "d"((u32)(v >> 32))
			 : "memory");
}

/* rdtsc is not sensitive (CR4.TSD is never set) but lives here too. */
static inline u64 rdtsc(void)
{
	u32 lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

static inline u32 read_dr0(void)
{
	u32 v;
	__asm__ volatile("movl %%dr0, %0" : "=r"(v));
	return v;
}

static inline void write_dr0(u32 v)
{
	__asm__ volatile("movl %0, %%dr0" :: "r"(v));
}

/* --- mmu group ------------------------------------------------------ */
static inline u32 read_cr0(void)
{
	u32 v;
	__asm__ volatile("movl %%cr0, %0" : "=r"(v));
	return v;
}

static inline void write_cr0(u32 v)
{
	__asm__ volatile("movl %0, %%cr0" :: "r"(v) : "memory");
}

static inline u32 read_cr2(void)
{
	u32 v;
	__asm__ volatile("movl %%cr2, %0" : "=r"(v));
	return v;
}

static inline u32 read_cr3(void)
{
	u32 v;
	__asm__ volatile("movl %%cr3, %0" : "=r"(v));
	return v;
}

static inline void write_cr3(u32 v)
{
	__asm__ volatile("movl %0, %%cr3" :: "r"(v) : "memory");
}

static inline u32 read_cr4(void)
{
	u32 v;
	__asm__ volatile("movl %%cr4, %0" : "=r"(v));
	return v;
}

static inline void write_cr4(u32 v)
{
	__asm__ volatile("movl %0, %%cr4" :: "r"(v) : "memory");
}

static inline void invlpg(u32 va)
{
	__asm__ volatile("invlpg (%0)" :: "r"(va) : "memory");
}

/* --- seg group ------------------------------------------------------ */
static inline u16 read_cs(void)
{
	u16 v;
	__asm__ volatile("movw %%cs, %0" : "=r"(v));
	return v;
}

static inline u16 read_ds(void)
{
	u16 v;
	__asm__ volatile("movw %%ds, %0" : "=r"(v));
	return v;
}

static inline u16 read_ss(void)
{
	u16 v;
	__asm__ volatile("movw %%ss, %0" : "=r"(v));
	return v;
}

static inline u16 read_fs(void)
{
	u16 v;
	__asm__ volatile("movw %%fs, %0" : "=r"(v));
	return v;
}

static inline u16 read_gs(void)
{
	u16 v;
	__asm__ volatile("movw %%gs, %0" : "=r"(v));
	return v;
}

static inline void load_ds_es(u16 sel)
{
	__asm__ volatile("movw %0, %%ds; movw %0, %%es" :: "r"(sel) : "memory");
}

static inline void load_ss(u16 sel)
{
	__asm__ volatile("movw %0, %%ss" :: "r"(sel) : "memory");
}

static inline void load_fs(u16 sel)
{
	__asm__ volatile("movw %0, %%fs" :: "r"(sel) : "memory");
}

static inline void load_gs(u16 sel)
{
	__asm__ volatile("movw %0, %%gs" :: "r"(sel) : "memory");
}

/* Reload %cs with a far return to the next instruction. */
static inline void load_cs(u16 sel)
{
	__asm__ volatile("pushl %0\n\t"
			 "pushl $1f\n\t"
			 "lretl\n"
			 "1:" :: "r"((u32)sel) : "memory");
}

/* lar: access-rights bytes of a selector, or ~0u if ZF says invalid. */
static inline u32 lar(u32 sel)
{
	u32 v, ok;
	__asm__ volatile("xorl %1, %1\n\t"
			 "larl %2, %0\n\t"
			 "setz %b1" : "=&r"(v), "=&q"(ok) : "r"(sel) : "cc");
	return ok ? v : ~0u;
}

/* lsl: segment limit of a selector, or 0 if ZF says invalid. */
static inline u32 lsl(u32 sel)
{
	u32 v, ok;
	__asm__ volatile("xorl %1, %1\n\t"
			 "lsll %2, %0\n\t"
			 "setz %b1" : "=&r"(v), "=&q"(ok) : "r"(sel) : "cc");
	return ok ? v : 0;
}

/* --- for the conformance transcript (conform.c) ---------------------- */
/* iret to the next instruction with EFLAGS f (same ring, same cs). */
static inline void iret_with_flags(u32 f)
{
	__asm__ volatile("pushl %0\n\t"
			 "pushl %%cs\n\t"
			 "pushl $1f\n\t"
			 "iretl\n"
			 "1:" :: "r"(f) : "memory", "cc");
}

/* ljmp to the kernel code selector, then a far call to a local lret: the
 * cs seen inside the call. */
static inline u16 far_call_read_cs(void)
{
	u32 cs;
	__asm__ volatile("ljmpl $0x08, $3f\n"
			 "3:\tlcalll $0x08, $2f\n\t"
			 "jmp 1f\n"
			 "2:\tmovl %%cs, %0\n\t"
			 "lretl\n"
			 "1:" : "=&r"(cs) :: "memory");
	return (u16)cs;
}

/* Load %fs / read a word where the load may fault on purpose: the fault
 * handler resumes after it at *resume (trap.c, kcatch). */
static inline void load_fs_catch(u16 sel, u32 *resume)
{
	__asm__ volatile("movl $1f, %1\n\t"
			 "movw %0, %%fs\n"
			 "1:" :: "r"(sel), "m"(*resume) : "memory");
}

static inline void write_catch(u32 va, u32 val, u32 *resume)
{
	__asm__ volatile("movl $1f, %2\n\t"
			 "movl %1, (%0)\n"
			 "1:" :: "r"(va), "r"(val), "m"(*resume) : "memory");
}

static inline u32 read_catch(u32 va, u32 *resume)
{
	u32 v = 0xdeadbeef;
	__asm__ volatile("movl $1f, %2\n\t"
			 "movl (%1), %0\n"
			 "1:" : "+r"(v) : "r"(va), "m"(*resume) : "memory");
	return v;
}

static inline u32 verr(u32 sel)
{
	u32 ok = 0;
	__asm__ volatile("verr %w1\n\tsetz %b0" : "+q"(ok) : "r"(sel) : "cc");
	return ok;
}

static inline u32 verw(u32 sel)
{
	u32 ok = 0;
	__asm__ volatile("verw %w1\n\tsetz %b0" : "+q"(ok) : "r"(sel) : "cc");
	return ok;
}

static inline void lmsw(u16 v) { __asm__ volatile("lmsw %0" :: "r"(v) : "memory"); }

static inline u32 read_dr7(void)
{
	u32 v;
	__asm__ volatile("movl %%dr7, %0" : "=r"(v));
	return v;
}

static inline void write_dr7(u32 v)
{
	__asm__ volatile("movl %0, %%dr7" :: "r"(v));
}

static inline void wbinvd(void) { __asm__ volatile("wbinvd" ::: "memory"); }

/* lfs from a far pointer in memory: the %fs that results. */
static inline u16 lfs_read(const void *farptr)
{
	u32 fs;
	__asm__ volatile("lfsl (%1), %0\n\t"
			 "movl %%fs, %0" : "=&r"(fs) : "r"(farptr) : "memory");
	return (u16)fs;
}

/* rep insb/outsb through the UART scratch register (port 0x3ff). */
static inline void outsb_scratch(const u8 *p, u32 n)
{
	__asm__ volatile("rep outsb" : "+S"(p), "+c"(n) : "d"(0x3ff) : "memory");
}

static inline void insb_scratch(u8 *p, u32 n)
{
	__asm__ volatile("rep insb" : "+D"(p), "+c"(n) : "d"(0x3ff) : "memory");
}

#endif
