/*
 * conform.c - the conformance transcript: what each class of sensitive
 * instruction (classes.def) shows the kernel, printed as "conform: NAME
 * VALUES" lines that must be the same natively (plain, pass, pass +
 * rewriter) and on every backend (tests/guest/check-conform.py compares
 * them).  Only what the hardware defines is printed: no CPUID vendor or
 * feature bits, no time stamps.  One architectural difference is known
 * and left out: IOPL written by the kernel's own popf (natively it sticks
 * in ring 0; under previrt the inline popf runs in ring 1 or 3, where the
 * CPU ignores it, and an exit per popf to track it would cost more than
 * any kernel needs: Linux 6.1 never sets IOPL in its own flags).  Run by the command-line word "conform"
 * instead of the self tests and processes.  Runs: guest kernel, on the
 * kernel page directory, interrupts on.
 */
#include "kernel.h"
#include "x86.h"

#define FL_ARCH   0x00254fd5u   /* CF PF AF ZF SF IF DF OF NT AC ID, IOPL: 0x3000 */
#define FL_IOPL   0x3000u
#define FL_DF     0x400u
#define FL_AC     0x40000u
#define CONFORM_VA 0x00500000u  /* never mapped in the kernel directory */

static void flags_line(const char *what, u32 f)
{
	kprintf("conform: %s eflags %x\n", what, f & (FL_ARCH | FL_IOPL));
}

/* cli, sti, pushf, popf (IF, IOPL, DF, AC), iret with IF changes. */
static void conform_irq(void)
{
	u32 saved = irq_save();
	flags_line("cli", read_eflags());
	sti();
	flags_line("sti", read_eflags());
	write_eflags((saved & ~FL_IF) | FL_DF | FL_AC);
	flags_line("popf-if0-df-ac", read_eflags());
	write_eflags(saved | FL_IF);
	flags_line("popf-if1", read_eflags());
	cli();
	iret_with_flags((saved | FL_IF) & ~FL_IOPL);
	flags_line("iret-if1", read_eflags());
	iret_with_flags(saved & ~(FL_IF | FL_IOPL));
	flags_line("iret-if0", read_eflags());
	irq_restore(saved);
}

/* int n through an interrupt gate (IF clear inside) and the same vector
 * made a trap gate (IF kept), from IF set; hlt woken by the timer. */
static void conform_int_hlt(void)
{
	u32 f = irq_save(), n = test_int_count, t;
	sti();
	int81();
	kprintf("conform: int-interrupt-gate delivered %u inside-if %x\n",
		test_int_count - n, test_int_flags & FL_IF);
	desc_set_test_gate(0xf);
	int81();
	kprintf("conform: int-trap-gate delivered %u inside-if %x\n",
		test_int_count - n, test_int_flags & FL_IF);
	desc_set_test_gate(0xe);
	t = (u32)ticks;
	hlt();
	kprintf("conform: hlt woken %u\n", (u32)ticks != t);
	irq_restore(f);
}

/* Descriptor tables, task and LDT registers, lar/lsl/verr/verw. */
static void conform_tables(void)
{
	static const u16 sels[] = { 0, SEL_KCODE, SEL_KDATA, SEL_UCODE,
				    SEL_UDATA, SEL_TSS, 0x30, 0x78 };
	struct dtr g, i, want;
	sgdt(&g);
	sidt(&i);
	desc_gdtr(&want);
	kprintf("conform: sgdt limit %x is-ours %u\n", g.limit,
		g.base == want.base);
	desc_idtr(&want);
	kprintf("conform: sidt limit %x is-ours %u\n", i.limit,
		i.base == want.base);
	lgdt(&g);
	lidt(&i);
	kprintf("conform: str %x sldt %x\n", str(), sldt());
	for (u32 k = 0; k < sizeof sels / sizeof sels[0]; k++)
		kprintf("conform: sel %x lar %x lsl %x verr %u verw %u\n",
			sels[k], lar(sels[k]), lsl(sels[k]), verr(sels[k]),
			verw(sels[k]));
}

/* Segment reads with their RPL, loads (a DPL 3 data selector from ring
 * 0, null, lfs), far transfers, and loads that must raise #GP/#NP with
 * the selector as error code. */
static void conform_segments(void)
{
	static struct { u32 off; u16 sel; } __attribute__((packed)) fp =
		{ 0, SEL_UDATA };
	static const u16 bad[] = { 0x78, SEL_UCODE, SEL_TSS, 0x04 };
	kprintf("conform: read cs %x ds %x ss %x\n", read_cs(), read_ds(),
		read_ss());
	load_fs(SEL_UDATA);
	load_gs(0);
	kprintf("conform: load fs %x gs %x\n", read_fs(), read_gs());
	kprintf("conform: lfs %x\n", lfs_read(&fp));
	load_fs(0);
	kprintf("conform: far-call cs %x then cs %x\n", far_call_read_cs(),
		read_cs());
	for (u32 k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		kcatch.trapno = kcatch.err = ~0u;
		kcatch.armed = 1;
		load_fs_catch(bad[k], (u32 *)&kcatch.resume);
		kcatch.armed = 0;
		kprintf("conform: load-fs %x fault %x err %x fs %x\n", bad[k],
			kcatch.trapno, kcatch.err, read_fs());
		load_fs(0);
	}
}

/* Control and debug registers, CR0 through smsw/lmsw/clts, a page fault
 * with its error code and CR2, invlpg, wbinvd, the SYSENTER MSRs. */
static void conform_cpu(void)
{
	u32 c0 = read_cr0(), c4 = read_cr4(), d7 = read_dr7();
	kprintf("conform: cr0 %x smsw %x cr3-is-kpgdir %u\n",
		c0 & 0xe005003fu, smsw() & 0x3f, read_cr3() == V2P(vm_kpgdir()));
	lmsw((u16)(smsw() | CR0_TS));
	kprintf("conform: lmsw-ts cr0-ts %x", read_cr0() & CR0_TS);
	clts();
	kprintf(" clts cr0-ts %x\n", read_cr0() & CR0_TS);
	write_cr4(c4 ^ CR4_DE);
	kprintf("conform: cr4-de-toggled %u\n", (read_cr4() ^ c4) == CR4_DE);
	write_cr4(c4);
	write_dr7(0x401);
	kprintf("conform: dr7 %x\n", read_dr7());
	write_dr7(d7);
	kcatch.trapno = kcatch.err = ~0u;
	kcatch.armed = 1;
	u32 v = read_catch(CONFORM_VA + 0x123, (u32 *)&kcatch.resume);
	kcatch.armed = 0;
	kprintf("conform: read-unmapped fault %x err %x cr2 %x value %x\n",
		kcatch.trapno, kcatch.err, kcatch.cr2, v);
	invlpg(CONFORM_VA);
	wbinvd();
	u64 cs = rdmsr(0x174);
	wrmsr(0x174, SEL_KCODE);
	kprintf("conform: msr sysenter-cs %x\n", (u32)rdmsr(0x174));
	wrmsr(0x174, cs);
}

/* A read and then a write fault, as the walker of each backend must see
 * them: the PTE's accessed and dirty bits the CPU sets, and a write to a
 * read-only page (CR0.WP set) raising #PF with "present, write" and CR2. */
static void conform_paging(void)
{
	volatile u32 *v = (volatile u32 *)CONFORM_VA;
	u8 *page = kalloc();
	if (!page) {
		kprintf("conform: paging no memory\n");
		return;
	}
	vm_map(vm_kpgdir(), CONFORM_VA, V2P(page), PTE_W);
	u32 *pte = vm_walk(vm_kpgdir(), CONFORM_VA, 0);
	*pte &= ~(u32)(PTE_A | PTE_D);
	invlpg(CONFORM_VA);
	kprintf("conform: pte fresh a %u d %u", !!(*pte & PTE_A),
		!!(*pte & PTE_D));
	(void)v[1];
	kprintf(" after-read a %u d %u", !!(*pte & PTE_A), !!(*pte & PTE_D));
	v[1] = 7;
	kprintf(" after-write a %u d %u\n", !!(*pte & PTE_A),
		!!(*pte & PTE_D));
	*pte &= ~(u32)PTE_W;
	invlpg(CONFORM_VA);
	kcatch.trapno = kcatch.err = ~0u;
	kcatch.armed = 1;
	write_catch(CONFORM_VA + 8, 5, (u32 *)&kcatch.resume);
	kcatch.armed = 0;
	kprintf("conform: write-read-only fault %x err %x cr2 %x value %x\n",
		kcatch.trapno, kcatch.err, kcatch.cr2, v[2]);
	*pte = 0;
	invlpg(CONFORM_VA);
	kfree(page);
}

/* Port I/O, single and string, through the UART's scratch register. */
static void conform_io(void)
{
	u8 out[3] = { 0x11, 0x22, 0x33 }, in[3] = { 0, 0, 0 };
	outb(0x3ff, 0x5a);
	kprintf("conform: io scratch %x", inb(0x3ff));
	outsb_scratch(out, 3);
	insb_scratch(in, 3);
	kprintf(" string %x %x %x\n", in[0], in[1], in[2]);
}

void conform_run(void)
{
	conform_irq();
	conform_int_hlt();
	conform_tables();
	conform_segments();
	conform_cpu();
	conform_paging();
	conform_io();
	kprintf("conform: done\n");
}
