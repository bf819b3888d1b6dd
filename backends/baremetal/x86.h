/*
 * x86.h - every privileged IA-32 instruction the bare-metal monitor uses,
 * one static inline wrapper each, plus the architectural constants it
 * needs.  Runs: monitor ring 0 (32-bit, freestanding).  No other C file
 * of the monitor contains inline asm; entry.S and trap.S hold the rest.
 */
#ifndef BM_X86_H
#define BM_X86_H

#include <stdint.h>

#define FL_CF   0x00000001u
#define FL_TF   0x00000100u
#define FL_IF   0x00000200u
#define FL_IOPL 0x00003000u
#define FL_NT   0x00004000u
#define FL_RF   0x00010000u
#define FL_VM   0x00020000u
#define FL_AC   0x00040000u

#define CR0_PE  0x00000001u
#define CR0_MP  0x00000002u
#define CR0_EM  0x00000004u
#define CR0_TS  0x00000008u
#define CR0_WP  0x00010000u
#define CR0_PG  0x80000000u

#define PTE_P   0x001u
#define PTE_W   0x002u
#define PTE_U   0x004u
#define PTE_PWT 0x008u
#define PTE_PCD 0x010u
#define PTE_A   0x020u
#define PTE_D   0x040u
#define PTE_PS  0x080u
#define PTE_G   0x100u

struct x86_dtr {
	uint16_t limit;
	uint32_t base;
} __attribute__((packed));

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(port));
}

static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void hlt(void) { __asm__ volatile("hlt" ::: "memory"); }

/* sti;hlt: interrupts are taken only while halted (the sti shadow). */
static inline void sti_hlt_cli(void)
{
	__asm__ volatile("sti; hlt; cli" ::: "memory");
}

static inline void lgdt(const struct x86_dtr *d)
{
	__asm__ volatile("lgdt %0" :: "m"(*d) : "memory");
}

static inline void lidt(const struct x86_dtr *d)
{
	__asm__ volatile("lidt %0" :: "m"(*d) : "memory");
}

static inline void ltr(uint16_t sel)
{
	__asm__ volatile("ltr %0" :: "r"(sel) : "memory");
}

static inline void lldt(uint16_t sel)
{
	__asm__ volatile("lldt %0" :: "r"(sel) : "memory");
}

/* Reload the data segment registers and CS after a new GDT. */
static inline void load_segments(uint16_t cs, uint16_t ds)
{
	__asm__ volatile("movw %1, %%ds; movw %1, %%es; movw %1, %%ss;"
			 "movw %1, %%fs; movw %1, %%gs;"
			 "pushl %0; pushl $1f; lret; 1:"
			 :: "r"((uint32_t)cs), "r"(ds) : "memory");
}

static inline uint16_t read_fs(void)
{
	uint16_t v;
	__asm__ volatile("movw %%fs, %0" : "=r"(v));
	return v;
}

static inline uint32_t read_cr0(void)
{
	uint32_t v;
	__asm__ volatile("movl %%cr0, %0" : "=r"(v));
	return v;
}

static inline void write_cr0(uint32_t v)
{
	__asm__ volatile("movl %0, %%cr0" :: "r"(v) : "memory");
}

static inline uint32_t read_cr2(void)
{
	uint32_t v;
	__asm__ volatile("movl %%cr2, %0" : "=r"(v));
	return v;
}

static inline uint32_t read_cr3(void)
{
	uint32_t v;
	__asm__ volatile("movl %%cr3, %0" : "=r"(v));
	return v;
}

static inline void write_cr3(uint32_t v)
{
	__asm__ volatile("movl %0, %%cr3" :: "r"(v) : "memory");
}

static inline uint32_t read_cr4(void)
{
	uint32_t v;
	__asm__ volatile("movl %%cr4, %0" : "=r"(v));
	return v;
}

static inline void write_cr4(uint32_t v)
{
	__asm__ volatile("movl %0, %%cr4" :: "r"(v) : "memory");
}

#define CR4_OSFXSR     0x200u
#define CR4_OSXMMEXCPT 0x400u

/* cpuid leaf: out = eax, ebx, ecx, edx. */
static inline void cpuid(uint32_t leaf, uint32_t out[4])
{
	__asm__ volatile("cpuid" : "=a"(out[0]), "=b"(out[1]), "=c"(out[2]),
			 "=d"(out[3]) : "a"(leaf), "c"(0));
}

static inline void invlpg(uint32_t va)
{
	__asm__ volatile("invlpg (%0)" :: "r"(va) : "memory");
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline uint32_t read_eflags(void)
{
	uint32_t f;
	__asm__ volatile("pushfl; popl %0" : "=r"(f));
	return f;
}

/* Deliberately raise an exception (monitor self-test of the trap path). */
static inline void ud2(void) { __asm__ volatile("ud2"); }

/* Deliberately double-fault: an exception with an unmapped stack. */
/* A stack at va (unmapped) makes the #UD's push fault: #DF. */
static inline void double_fault(uint32_t va)
{
	__asm__ volatile("movl %0, %%esp; ud2" :: "r"(va) : "memory");
}

#endif
