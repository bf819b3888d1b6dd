/*
 * ktest.c - in-kernel self tests, one per class of sensitive instruction
 * the kernel relies on: interrupt flag (cli/sti/pushf/popf), hlt, int/iret,
 * cpuid, rdmsr/wrmsr, control and debug registers, clts/smsw, invlpg and
 * CR3 flushes, descriptor tables, task and LDT registers, segment
 * registers, lar/lsl and port I/O.  Each prints "<name> ok" or
 * "<name> FAILED: <reason>".  Runs: guest kernel, before the first
 * process, on the kernel page directory with interrupts enabled.
 */
#include "kernel.h"
#include "x86.h"

#define TEST_VA 0x00400000u        /* unused user address in kpgdir */

void ktest_result(const char *name, const char *failure)
{
	if (failure)
		kprintf("%s FAILED: %s\n", name, failure);
	else
		kprintf("%s ok\n", name);
	report_test(!failure);
}

static const char *kt_irq_flags(void)
{
	u32 saved = read_eflags(), f;

	cli();
	if (read_eflags() & FL_IF)
		return "IF still set after cli";
	sti();
	if (!(read_eflags() & FL_IF))
		return "IF clear after sti";
	f = irq_save();
	if (!(f & FL_IF) || (read_eflags() & FL_IF))
		return "pushf;cli did not save IF=1 and clear it";
	irq_restore(f);
	if (!(read_eflags() & FL_IF))
		return "popf did not restore IF=1";
	write_eflags(saved & ~FL_IF);
	if (read_eflags() & FL_IF)
		return "popf did not clear IF";
	write_eflags(saved);
	return (read_eflags() & FL_IF) == (saved & FL_IF) ? NULL :
		"popf did not restore the saved flags";
}

static const char *kt_hlt_timer(void)
{
	u64 t = ticks;
	int i;

	for (i = 0; i < 10 && ticks == t; i++)
		hlt();
	return ticks != t ? NULL : "no timer tick woke hlt";
}

/* int $0x81 goes through an interrupt gate (type 0xE): delivered, and
 * its handler runs with IF clear even when the caller had IF set; also
 * from assembly the pass does not see (trapasm.S). */
static const char *kt_int(void)
{
	u32 n = test_int_count, f = irq_save();

	int81();
	sti();
	int81();
	u32 inside = test_int_flags, after = read_eflags();
	int81_raw();
	u32 inside_bytes = test_int_flags, after_bytes = read_eflags();
	irq_restore(f);
	if (test_int_count != n + 3)
		return "int $0x81 not delivered";
	if ((inside | inside_bytes) & FL_IF)
		return "IF set inside an interrupt-gate handler";
	return after & after_bytes & FL_IF ? NULL : "iret did not restore IF";
}

static const char *kt_cpuid(void)
{
	u32 a, b, c, d, vendor[4];

	cpuid(0, &a, &vendor[0], &vendor[2], &vendor[1]);
	vendor[3] = 0;
	if (a < 1)
		return "max basic leaf < 1";
	cpuid(1, &a, &b, &c, &d);
	if (((a >> 8) & 0xf) < 5)
		return "family below 5";
	kprintf("cpuid: vendor %s family %u features %x\n",
		(const char *)vendor, (a >> 8) & 0xf, d);
	return NULL;
}

/* Write and read back IA32_SYSENTER_CS and _ESP (0x174, 0x175); the
 * kernel does not use sysenter, so the values are free to change.  A
 * backend may hide SEP: then only IA32_TSC (0x10) is read, and must not
 * fault. */
static const char *kt_msr(void)
{
	u32 a, b, c, d;
	u64 cs, esp, old_cs, old_esp;

	cpuid(1, &a, &b, &c, &d);
	if (!(d & (1u << 5)))
		return "cpuid says no MSRs";
	if (!(d & (1u << 11))) {
		kprintf("ktest-msr: no SEP, reading IA32_TSC only (%llx)\n",
			rdmsr(0x10));
		return NULL;
	}
	old_cs = rdmsr(0x174);
	old_esp = rdmsr(0x175);
	wrmsr(0x174, SEL_KCODE);
	wrmsr(0x175, 0xc0ffee00u);
	cs = rdmsr(0x174);
	esp = rdmsr(0x175);
	wrmsr(0x174, old_cs);
	wrmsr(0x175, old_esp);
	if ((cs & 0xffff) != SEL_KCODE)
		return "IA32_SYSENTER_CS readback";
	return (u32)esp == 0xc0ffee00u ? NULL : "IA32_SYSENTER_ESP readback";
}

static const char *kt_cr0(void)
{
	u32 c = read_cr0();

	if ((c & (CR0_PE | CR0_PG | CR0_WP)) != (CR0_PE | CR0_PG | CR0_WP))
		return "PE/PG/WP not all set";
	write_cr0(c & ~CR0_WP);
	if (read_cr0() & CR0_WP)
		return "clearing WP did not stick";
	write_cr0(c | CR0_TS);
	if (!(read_cr0() & CR0_TS) || !(smsw() & CR0_TS))
		return "setting TS did not stick (cr0/smsw)";
	clts();
	if (read_cr0() & CR0_TS)
		return "clts did not clear TS";
	write_cr0(c);
	return read_cr0() == c ? NULL : "cr0 not restored";
}

static const char *kt_cr3_cr4(void)
{
	u32 a, b, c, d, c4 = read_cr4();

	if (read_cr3() != V2P(vm_kpgdir()))
		return "cr3 is not the kernel page directory";
	write_cr3(read_cr3());
	if (read_cr3() != V2P(vm_kpgdir()))
		return "cr3 reload changed it";
	cpuid(1, &a, &b, &c, &d);
	if (d & (1u << 2)) {                       /* DE: CR4.DE exists */
		write_cr4(c4 ^ CR4_DE);
		if ((read_cr4() ^ c4) != CR4_DE)
			return "toggling CR4.DE did not stick";
	}
	write_cr4(c4);
	return read_cr4() == c4 ? NULL : "cr4 not restored";
}

static const char *kt_dr(void)
{
	u32 old = read_dr0();

	write_dr0(0x12345678);
	if (read_dr0() != 0x12345678)
		return "dr0 readback";
	write_dr0(old);
	return NULL;
}

/* Remap TEST_VA between two pages; the new mapping must be seen after
 * invlpg and after a CR3 reload. */
static const char *kt_tlb(void)
{
	u8 *a = kalloc(), *b = kalloc();
	volatile u8 *v = (volatile u8 *)TEST_VA;
	u32 *pte;
	const char *r = NULL;

	if (!a || !b)
		return "no memory";
	a[0] = 0xaa;
	b[0] = 0xbb;
	vm_map(vm_kpgdir(), TEST_VA, V2P(a), PTE_W);
	pte = vm_walk(vm_kpgdir(), TEST_VA, 0);
	if (v[0] != 0xaa)
		r = "first mapping not seen";
	*pte = V2P(b) | PTE_P | PTE_W;
	invlpg(TEST_VA);
	if (!r && v[0] != 0xbb)
		r = "invlpg: stale translation";
	*pte = V2P(a) | PTE_P | PTE_W;
	write_cr3(read_cr3());
	if (!r && v[0] != 0xaa)
		r = "cr3 reload: stale translation";
	*pte = 0;
	invlpg(TEST_VA);
	kfree(a);
	kfree(b);
	return r;
}

static const char *kt_dtables(void)
{
	struct dtr want, got;

	desc_gdtr(&want);
	sgdt(&got);
	if (got.base != want.base || got.limit != want.limit)
		return "sgdt differs from what desc_init loaded";
	lgdt(&got);
	sgdt(&got);
	if (got.base != want.base || got.limit != want.limit)
		return "lgdt/sgdt round trip";
	desc_idtr(&want);
	sidt(&got);
	if (got.base != want.base || got.limit != want.limit)
		return "sidt differs from what desc_init loaded";
	lidt(&got);
	sidt(&got);
	return got.base == want.base && got.limit == want.limit ? NULL :
		"lidt/sidt round trip";
}

static const char *kt_tr_ldt(void)
{
	if (str() != SEL_TSS)
		return "str is not the TSS selector";
	return sldt() == 0 ? NULL : "sldt is not null";
}

static const char *kt_segments(void)
{
	if (read_cs() != SEL_KCODE || read_ds() != SEL_KDATA ||
	    read_ss() != SEL_KDATA)
		return "cs/ds/ss are not the kernel selectors";
	load_fs(SEL_UDATA);
	load_gs(SEL_KDATA);
	if (read_fs() != SEL_UDATA || read_gs() != SEL_KDATA)
		return "fs/gs loads did not stick";
	load_fs(0);
	load_gs(0);
	load_ds_es(SEL_KDATA);
	load_cs(SEL_KCODE);
	return read_fs() == 0 && read_cs() == SEL_KCODE ? NULL :
		"null fs or far-return cs reload";
}

static const char *kt_lar_lsl(void)
{
	u32 ar = lar(SEL_UCODE);

	if (lsl(SEL_UDATA) != 0xffffffffu)
		return "lsl of the user data segment is not 4 GiB - 1";
	if (ar == ~0u || ((ar >> 13) & 3) != 3 || !(ar & 0x8000))
		return "lar of the user code segment: not present DPL 3";
	if (((lar(SEL_TSS) >> 8) & 0xf) != 0xb)
		return "lar of the TSS: not a busy TSS";
	return lsl(0x38) == 0 ? NULL : "lsl accepted a selector past the GDT";
}

static const char *kt_io(void)
{
	outb(0x3ff, 0x5a);                         /* UART scratch register */
	if (inb(0x3ff) != 0x5a)
		return "UART scratch 0x5a";
	outb(0x3ff, 0xa5);
	return inb(0x3ff) == 0xa5 ? NULL : "UART scratch 0xa5";
}

static const char *kt_forced_failure(void)
{
	return "deliberate failure (selftest=fail-one)";
}

struct ktest { const char *name; const char *(*fn)(void); };

static const struct ktest ktests[] = {
	{ "ktest-irq-flags", kt_irq_flags }, { "ktest-hlt-timer", kt_hlt_timer },
	{ "ktest-int-iret", kt_int },        { "ktest-cpuid", kt_cpuid },
	{ "ktest-msr", kt_msr },             { "ktest-cr0-clts-smsw", kt_cr0 },
	{ "ktest-cr3-cr4", kt_cr3_cr4 },     { "ktest-dr", kt_dr },
	{ "ktest-invlpg-cr3", kt_tlb },      { "ktest-gdt-idt", kt_dtables },
	{ "ktest-tr-ldt", kt_tr_ldt },       { "ktest-segments", kt_segments },
	{ "ktest-lar-lsl", kt_lar_lsl },     { "ktest-port-io", kt_io },
};

void ktest_run(int fail_one)
{
	u32 i;

	for (i = 0; i < sizeof(ktests) / sizeof(ktests[0]); i++)
		ktest_result(ktests[i].name, ktests[i].fn());
	if (fail_one)
		ktest_result("ktest-forced", kt_forced_failure());
}
