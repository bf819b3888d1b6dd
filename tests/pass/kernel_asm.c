/*
 * kernel_asm.c - a 32-bit kernel-style file full of inline asm, the input
 * of the pass's objdump/site-table check (check_sites.py).  Shapes follow
 * what a kernel's irq-flag, port-I/O, descriptor, control-register, MSR,
 * segment and alternatives headers write (own code, not copied), plus
 * asm goto, %= labels, an always_inline helper inlined many times and
 * module-level asm.  Never run: compiled only.
 * Runs: compiler (clang-16 --target=i386-pc-none-elf, with and without
 * -fpass-plugin=previrt-pass.so), see tests/pass/meson.build.
 */
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

#define ka_inline inline __attribute__((always_inline))

struct ka_desc_ptr {
	u16 size;
	u32 address;
} __attribute__((packed));

/* ---- irq flags ---- */
static ka_inline unsigned long ka_save_flags(void)
{
	unsigned long flags;
	asm volatile("# save flags\n\tpushf ; pop %0" : "=rm"(flags) : : "memory");
	return flags;
}

static ka_inline void ka_restore_flags(unsigned long flags)
{
	asm volatile("push %0 ; popf" : : "g"(flags) : "memory", "cc");
}

static ka_inline void ka_cli(void) { asm volatile("cli" : : : "memory"); }
static ka_inline void ka_sti(void) { asm volatile("sti" : : : "memory"); }
static ka_inline void ka_safe_halt(void) { asm volatile("sti; hlt" : : : "memory"); }
static ka_inline void ka_halt(void) { asm volatile("hlt" : : : "memory"); }

static ka_inline unsigned long ka_irq_save(void)
{
	unsigned long f = ka_save_flags();
	ka_cli();
	return f;
}

/* ---- port I/O, all widths, string forms, delay port ---- */
#define KA_IO(bwl, bw, type)						\
static inline void ka_out##bwl(type v, u16 port)			\
{ asm volatile("out" #bwl " %" #bw "0, %w1" : : "a"(v), "Nd"(port)); }	\
static inline type ka_in##bwl(u16 port)					\
{ type v; asm volatile("in" #bwl " %w1, %" #bw "0" : "=a"(v) : "Nd"(port)); return v; } \
static inline void ka_outs##bwl(u16 port, const void *a, unsigned long c) \
{ asm volatile("rep; outs" #bwl : "+S"(a), "+c"(c) : "d"(port) : "memory"); } \
static inline void ka_ins##bwl(u16 port, void *a, unsigned long c)	\
{ asm volatile("rep ins" #bwl : "+D"(a), "+c"(c) : "d"(port) : "memory"); }

KA_IO(b, b, u8)
KA_IO(w, w, u16)
KA_IO(l, , u32)

static inline void ka_io_delay(void) { asm volatile("outb %%al, $0x80" : : : "eax"); }

/* ---- descriptor tables and task register ---- */
static inline void ka_lgdt(const struct ka_desc_ptr *d) { asm volatile("lgdt %0" : : "m"(*d)); }
static inline void ka_lidt(const struct ka_desc_ptr *d) { asm volatile("lidt %0" : : "m"(*d)); }
static inline void ka_sgdt(struct ka_desc_ptr *d) { asm volatile("sgdt %0" : "=m"(*d)); }
static inline void ka_sidt(struct ka_desc_ptr *d) { asm volatile("sidt %0" : "=m"(*d)); }
static inline void ka_lldt(u16 sel) { asm volatile("lldt %w0" : : "q"(sel)); }
static inline void ka_ltr(u16 sel) { asm volatile("ltr %w0" : : "q"(sel)); }
static inline u16 ka_sldt(void) { u16 s; asm volatile("sldt %0" : "=g"(s)); return s; }
static inline u32 ka_str(void) { u32 s; asm volatile("str %0" : "=r"(s)); return s; }

/* ---- control and debug registers, caches, TLB ---- */
static inline u32 ka_read_cr0(void) { u32 v; asm volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline u32 ka_read_cr2(void) { u32 v; asm volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline u32 ka_read_cr3(void) { u32 v; asm volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline u32 ka_read_cr4(void) { u32 v; asm volatile("movl %%cr4, %0" : "=r"(v)); return v; }
static inline void ka_write_cr0(u32 v) { asm volatile("mov %0, %%cr0" : : "r"(v) : "memory"); }
static inline void ka_write_cr3(u32 v) { asm volatile("mov %0, %%cr3" : : "r"(v) : "memory"); }
static inline void ka_write_cr4(u32 v) { asm volatile("mov %0,%%cr4" : : "r"(v) : "memory"); }
static inline u32 ka_read_dr7(void) { u32 v; asm volatile("mov %%db7, %0" : "=r"(v)); return v; }
static inline void ka_write_dr0(u32 v) { asm volatile("mov %0, %%dr0" : : "r"(v)); }
static inline void ka_clts(void) { asm volatile("clts"); }
static inline void ka_wbinvd(void) { asm volatile("wbinvd" : : : "memory"); }
static inline void ka_invd(void) { asm volatile("invd" : : : "memory"); }
static inline void ka_invlpg(unsigned long a) { asm volatile("invlpg (%0)" : : "r"(a) : "memory"); }
static inline u16 ka_smsw(void) { u16 v; asm volatile("smsw %0" : "=r"(v)); return v; }
static inline void ka_lmsw(u16 v) { asm volatile("lmsw %0" : : "r"(v)); }

/* ---- MSRs with an exception-table entry, cpuid ---- */
static inline u64 ka_rdmsr(u32 msr)
{
	u32 lo, hi;
	asm volatile("1: rdmsr\n2:\n\t"
		     ".pushsection __ex_table_ka,\"a\"\n\t.balign 4\n\t"
		     ".long 1b, 2b\n\t.popsection"
		     : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}

static inline void ka_wrmsr(u32 msr, u32 lo, u32 hi)
{
	asm volatile("1: wrmsr ; 2:\n"
		     ".pushsection __ex_table_ka,\"a\"\n .long 1b, 2b\n .popsection"
		     : : "c"(msr), "a"(lo), "d"(hi) : "memory");
}

static inline void ka_cpuid(u32 *a, u32 *b, u32 *c, u32 *d)
{
	asm volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
		     : "0"(*a), "2"(*c) : "memory");
}

/* ---- segments ---- */
#define ka_loadsegment(seg, v)						\
	asm volatile("1:\tmovl %k0, %%" #seg "\n2:\n"			\
		     ".pushsection __ex_table_ka,\"a\"\n\t.long 1b, 2b\n\t" \
		     ".popsection" : : "r"((u32)(v)) : "memory")
#define ka_savesegment(seg, v) \
	asm volatile("mov %%" #seg ", %0" : "=r"(v) : : "memory")

static inline u32 ka_percpu_read(void)
{
	u32 v;
	asm volatile("movl %%fs:0x10, %0" : "=r"(v));   /* override: plain */
	return v;
}

static inline void ka_percpu_write(u32 v)
{
	asm volatile("movl %0, %%fs:0x14" : : "r"(v) : "memory");
}

static inline u32 ka_lar(u32 sel)
{
	u32 ar;
	asm volatile("lar %1, %0" : "=r"(ar) : "r"(sel));
	return ar;
}

static inline u32 ka_lsl(u32 sel)
{
	u32 lim;
	asm volatile("lsll %1, %0" : "=r"(lim) : "rm"(sel));
	return lim;
}

static inline int ka_verw(u16 sel)
{
	u8 ok;
	asm volatile("verr %1\n\tverw %1\n\tsetz %0" : "=qm"(ok) : "m"(sel) : "cc");
	return ok;
}

static inline void ka_reload_cs(void)
{
	asm volatile("ljmp $0x10, $1f\n1:" : : : "memory");
}

static inline void ka_push_pop_segs(void)
{
	asm volatile("push %%cs\n\tpop %%eax\n\tpushl %%fs\n\tpopl %%gs\n\t"
		     "pushw %%ss\n\tpopw %%ax\n\tpush %%ds\n\tpop %%es"
		     : : : "eax", "memory");
}

static inline void ka_far_loads(void *p)
{
	asm volatile("lds (%0), %%eax\n\tles (%0), %%eax\n\tlfs (%0), %%eax\n\t"
		     "lgs (%0), %%eax\n\tlss (%0), %%eax"
		     : : "r"(p) : "eax", "memory");
}

static inline void ka_far_call(void *p)
{
	asm volatile("lcall *(%0)\n\tljmp *(%0)" : : "r"(p) : "memory");
}

/* ---- returns, traps, fast system calls ---- */
static inline void ka_returns(void)
{
	asm volatile("jmp 1f\n\tiret\n\tiretl\n\tlret\n\tlret $8\n1:" ::: "memory");
}

static inline void ka_syscall_shapes(void)
{
	asm volatile("int $0x80\n\tint3\n\tint $3\n\tjmp 2f\n\tsysenter\n\tsysexit\n2:"
		     ::: "memory");
}

/* ---- alternatives-style string with a replacement section ---- */
static inline unsigned long ka_alt_save_flags(void)
{
	unsigned long f;
	asm volatile("661:\n\tpushfl; popl %0\n662:\n"
		     ".skip -(((6651f-6641f)-(662b-661b)) > 0) * "
		     "((6651f-6641f)-(662b-661b)),0x90\n663:\n"
		     ".pushsection .altinstructions_ka,\"a\"\n"
		     " .long 661b - .\n .long 6641f - .\n"
		     " .byte 663b-661b\n .byte 6651f-6641f\n"
		     ".popsection\n"
		     ".pushsection .altinstr_replacement, \"ax\"\n"
		     "6641:\n\tcli; xorl %0, %0\n6651:\n\t.popsection"
		     : "=r"(f) : : "memory");
	return f;
}

/* ---- %= labels and asm goto ---- */
static inline void ka_spin_hlt(void)
{
	asm volatile(".Lka_spin%=: hlt\n\tjmp .Lka_spin%=" ::: "memory");
}

static ka_inline int ka_goto_cr(u32 v)
{
	asm goto("mov %0, %%cr3\n\t"
		 "testl %0, %0\n\t"
		 "jz %l[zero]" : : "r"(v) : "memory", "cc" : zero);
	return 1;
zero:
	return 0;
}

/* ---- module-level asm: a trap stub ---- */
asm(".text\n"
    ".globl ka_trap_stub\n"
    "ka_trap_stub:\n\t"
    "cli\n\t"
    "pushl %eax\n\t"
    "movl %ds, %eax\n\t"
    "popl %eax\n\t"
    "iret\n");

/* ---- users: each helper used, the inlined ones many times ---- */
void ka_irq_users(unsigned long *out)
{
	for (int i = 0; i < 6; i++) {
		unsigned long f = ka_irq_save();
		out[i] = f;
		ka_restore_flags(f);
	}
	ka_sti();
	ka_safe_halt();
	ka_halt();
	ka_spin_hlt();
}

u32 ka_io_users(u8 *buf, unsigned n)
{
	u32 sum = ka_inb(0x60) + ka_inw(0x1f0) + ka_inl(0xcf8);
	ka_outb(1, 0x80);
	ka_outw(2, 0x1f0);
	ka_outl(3, 0xcfc);
	ka_outsb(0x3f8, buf, n);
	ka_outsw(0x1f0, buf, n / 2);
	ka_outsl(0x1f0, buf, n / 4);
	ka_insb(0x3f8, buf, n);
	ka_insw(0x1f0, buf, n / 2);
	ka_insl(0x1f0, buf, n / 4);
	ka_io_delay();
	return sum;
}

void ka_desc_users(struct ka_desc_ptr *gdt, struct ka_desc_ptr *idt, u32 *out)
{
	ka_lgdt(gdt);
	ka_lidt(idt);
	ka_sgdt(gdt + 1);
	ka_sidt(idt + 1);
	ka_lldt(0x28);
	ka_ltr(0x30);
	out[0] = ka_sldt();
	out[1] = ka_str();
	out[2] = ka_lar(0x10) + ka_lsl(0x18) + ka_verw(0x23);
	ka_reload_cs();
	ka_push_pop_segs();
	ka_far_loads(out);
	ka_far_call(out);
	ka_returns();
	ka_syscall_shapes();
}

u32 ka_mmu_users(u32 pgd, unsigned long va)
{
	u32 cr0 = ka_read_cr0();
	ka_write_cr0(cr0 | 0x80000000u);
	ka_write_cr3(pgd);
	ka_write_cr4(ka_read_cr4() | 0x10);
	ka_invlpg(va);
	ka_wbinvd();
	ka_invd();
	ka_clts();
	ka_lmsw(ka_smsw() | 1);
	ka_write_dr0(va);
	return cr0 + ka_read_cr2() + ka_read_cr3() + ka_read_dr7() +
	       ka_goto_cr(pgd) + ka_goto_cr(pgd + 0x1000);
}

u64 ka_cpu_users(u32 *regs)
{
	ka_cpuid(&regs[0], &regs[1], &regs[2], &regs[3]);
	ka_wrmsr(0x174, 0x10, 0);
	return ka_rdmsr(0x10) + ka_alt_save_flags();
}

u32 ka_seg_users(u32 sel)
{
	u32 ds, cs;
	ka_loadsegment(ds, sel);
	ka_loadsegment(es, sel);
	ka_loadsegment(fs, sel);
	ka_loadsegment(gs, sel);
	ka_savesegment(ds, ds);
	ka_savesegment(cs, cs);
	ka_percpu_write(ds);
	return ds + cs + ka_percpu_read();
}
