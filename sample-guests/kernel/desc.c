/*
 * desc.c - the GDT (null, kernel code/data DPL 0, user code/data DPL 3,
 * TSS), the IDT (exceptions and IRQs as interrupt gates, int $0x80 as a
 * DPL 3 trap gate, the test vector 0x81 DPL 0) and the TSS ring-0 stack.
 * Runs: guest kernel; lgdt, segment reloads, ltr and lidt happen once in
 * desc_init.
 */
#include "kernel.h"
#include "x86.h"

struct tss {
	u32 link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
	u32 eax, ecx, edx, ebx, esp, ebp, esi, edi;
	u32 es, cs, ss, ds, fs, gs, ldt;
	u16 trap, iomap_base;
} __attribute__((packed));

/* The GDT has a page of its own, as Linux's gdt_page: a monitor that
 * write-protects it to see descriptor changes sees nothing else. */
#define GDT_ENTRIES 6
static u64 gdt[4096 / 8] __attribute__((aligned(4096)));
static u64 idt[256] __attribute__((aligned(8)));
static struct tss tss;

/* A segment descriptor: base, 20-bit limit, access byte, flags nibble. */
static u64 seg_desc(u32 base, u32 limit, u8 access, u8 flags)
{
	u64 d = limit & 0xffff;

	d |= (u64)(base & 0xffffff) << 16;
	d |= (u64)access << 40;
	d |= (u64)((limit >> 16) & 0xf) << 48;
	d |= (u64)(flags & 0xf) << 52;
	d |= (u64)(base >> 24) << 56;
	return d;
}

/* A 32-bit gate to handler in the kernel code segment; type 0xE or 0xF. */
static u64 gate_desc(u32 handler, u8 type, u8 dpl)
{
	u64 d = handler & 0xffff;

	d |= (u64)SEL_KCODE << 16;
	d |= (u64)(0x80 | (dpl << 5) | type) << 40;
	d |= (u64)(handler >> 16) << 48;
	return d;
}

static void gdt_init(void)
{
	struct dtr d;

	gdt[0] = 0;
	gdt[1] = seg_desc(0, 0xfffff, 0x9a, 0xc);   /* kernel code */
	gdt[2] = seg_desc(0, 0xfffff, 0x92, 0xc);   /* kernel data */
	gdt[3] = seg_desc(0, 0xfffff, 0xfa, 0xc);   /* user code */
	gdt[4] = seg_desc(0, 0xfffff, 0xf2, 0xc);   /* user data */
	gdt[5] = seg_desc((u32)&tss, sizeof(tss) - 1, 0x89, 0x0);
	d.limit = GDT_ENTRIES * 8 - 1;
	d.base = (u32)gdt;
	lgdt(&d);
	load_cs(SEL_KCODE);
	load_ds_es(SEL_KDATA);
	load_ss(SEL_KDATA);
	load_fs(0);
	load_gs(0);
}

static void idt_init(void)
{
	struct dtr d;
	int i;

	for (i = 0; i < 48; i++)
		idt[i] = gate_desc(vectors[i], 0xe, 0);
	idt[T_SYSCALL] = gate_desc(vectors[48], 0xf, 3);
	idt[T_TEST] = gate_desc(vectors[49], 0xe, 0);
	d.limit = sizeof(idt) - 1;
	d.base = (u32)idt;
	lidt(&d);
}

void desc_init(void)
{
	gdt_init();
	tss.ss0 = SEL_KDATA;
	tss.iomap_base = sizeof(tss);     /* no I/O bitmap: ring 3 has no ports */
	ltr(SEL_TSS);
	lldt(0);
	idt_init();
}

/* The test vector's gate type: 0xe interrupt gate (as desc_init leaves
 * it), 0xf trap gate.  Edited in place, without lidt, as the hardware
 * allows (conform.c). */
void desc_set_test_gate(u8 type)
{
	idt[T_TEST] = gate_desc(vectors[49], type, 0);
}

void tss_set_esp0(u32 esp0)
{
	tss.esp0 = esp0;
}

/* What desc_init loaded, for the descriptor-table self tests. */
void desc_gdtr(struct dtr *d)
{
	d->limit = GDT_ENTRIES * 8 - 1;
	d->base = (u32)gdt;
}

void desc_idtr(struct dtr *d)
{
	d->limit = sizeof(idt) - 1;
	d->base = (u32)idt;
}
