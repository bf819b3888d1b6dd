/*
 * test_vcpu.c - criterion tests of the virtual CPU and emulator: virtual
 * IF and pending interrupts, delivery frames with and without privilege
 * change, int n gate checks, iret to kernel and user, double/triple
 * faults, the page walker's A/D bits and errors, emulated instructions.
 * Guest state lives in the fake backend's RAM, paging off unless a test
 * turns it on.  Runs: host.
 */
#include <criterion/criterion.h>
#include <string.h>
#include "fake_backend.h"

#define GDT 0x1000u
#define IDT 0x2000u
#define TSS 0x3000u
#define KSTK 0x9000u
#define HANDLER 0x5000u

static void put32(uint32_t pa, uint32_t v) { memcpy(fb_vm.ram + pa, &v, 4); }
static uint32_t get32(uint32_t pa) { uint32_t v; memcpy(&v, fb_vm.ram + pa, 4); return v; }

static void gate(unsigned vec, uint32_t off, unsigned dpl, unsigned type)
{
	put32(IDT + vec * 8, (0x08u << 16) | (off & 0xffff));
	put32(IDT + vec * 8 + 4, (off & 0xffff0000u) | 0x8000 | dpl << 13 | type << 8);
}

/* Flat GDT (1 kcode, 2 kdata, 3 ucode, 4 udata, 5 TSS), IDT, TSS. */
static void setup(void)
{
	fb_reset();
	static const uint32_t gdt[12] = { 0, 0, 0xffff, 0x00cf9a00, 0xffff,
		0x00cf9200, 0xffff, 0x00cffa00, 0xffff, 0x00cff200,
		0x0068 | (TSS << 16), 0x00008900 };
	memcpy(fb_vm.ram + GDT, gdt, sizeof gdt);
	fb_vcpu.gdtr = (struct ab_dtr){ GDT, sizeof gdt - 1 };
	fb_vcpu.idtr = (struct ab_dtr){ IDT, 256 * 8 - 1 };
	for (unsigned v = 0; v < 256; v++)
		gate(v, HANDLER + v, 0, 0xe);
	gate(0x80, HANDLER + 0x80, 3, 0xf);
	put32(TSS + 4, KSTK);
	put32(TSS + 8, 0x10);
	fb_vcpu.tr = 0x28;
	/* PIC: base 0x20/0x28, all unmasked */
	ab_dev_out(&fb_vcpu, 0x20, 1, 0x11); ab_dev_out(&fb_vcpu, 0x21, 1, 0x20);
	ab_dev_out(&fb_vcpu, 0x21, 1, 4);    ab_dev_out(&fb_vcpu, 0x21, 1, 1);
	ab_dev_out(&fb_vcpu, 0xa0, 1, 0x11); ab_dev_out(&fb_vcpu, 0xa1, 1, 0x28);
	ab_dev_out(&fb_vcpu, 0xa1, 1, 2);    ab_dev_out(&fb_vcpu, 0xa1, 1, 1);
	ab_dev_out(&fb_vcpu, 0x21, 1, 0);    ab_dev_out(&fb_vcpu, 0xa1, 1, 0);
}

static struct ab_regs kregs(void)
{
	return (struct ab_regs){ .eip = 0x4000, .cs = 0x08, .ss = 0x10,
		.ds = 0x10, .es = 0x10, .esp = 0x8000, .eflags = 0x2 };
}

TestSuite(vcpu, .init = setup);

Test(vcpu, masked_irq_sets_pending_only)
{
	struct ab_regs r = kregs();
	ab_vcpu_set_if(&fb_vcpu, 0);
	ab_dev_irq(&fb_vcpu, 0);
	cr_assert_eq(fb_shared.upcall_pending, 1);
	ab_deliver_pending(&fb_vcpu, &r);
	cr_assert_eq(r.eip, 0x4000, "not delivered while IF=0");
	/* the word test the inline sti/popf use */
	uint16_t w; memcpy(&w, &fb_shared, 2);
	cr_assert_neq(w, 1);
	ab_vcpu_set_if(&fb_vcpu, 1);
	memcpy(&w, &fb_shared, 2);
	cr_assert_eq(w, 1, "pending | mask<<8 == 1 means deliver now");
	ab_deliver_pending(&fb_vcpu, &r);
	cr_assert_eq(r.eip, HANDLER + 0x20);
	cr_assert_eq(fb_shared.upcall_mask, 1, "interrupt gate clears IF");
	cr_assert_eq(fb_shared.upcall_pending, 0);
	cr_assert_eq(r.esp, 0x8000 - 12, "same-level frame: eip cs eflags");
	cr_assert_eq(get32(0x8000 - 12), 0x4000);
	cr_assert_eq(get32(0x8000 - 8), 0x08);
	cr_assert_eq(get32(0x8000 - 4) & 0x200, 0x200, "pushed IF was on");
}

Test(vcpu, sti_emulation_delivers_pending)
{
	struct ab_regs r = kregs();
	const uint8_t sti[] = { 0xfb };
	ab_vcpu_set_if(&fb_vcpu, 0);
	ab_dev_irq(&fb_vcpu, 1);
	ab_emu_insn(&fb_vcpu, &r, sti, 1, 0x4001);
	cr_assert_eq(r.eip, HANDLER + 0x21);
	cr_assert_eq(get32(0x8000 - 12), 0x4001, "returns after the sti");
}

Test(vcpu, popf_and_pushf_virtual_if)
{
	struct ab_regs r = kregs();
	const uint8_t popf[] = { 0x9d }, pushf[] = { 0x9c };
	put32(0x8000 - 4, 0x200 | 0x1);            /* IF | CF */
	r.esp = 0x8000 - 4;
	ab_vcpu_set_if(&fb_vcpu, 0);
	ab_emu_insn(&fb_vcpu, &r, popf, 1, 0x4001);
	cr_assert_eq(r.esp, 0x8000);
	cr_assert(ab_vcpu_if(&fb_vcpu));
	cr_assert_eq(r.eflags & 1, 1, "CF from popf");
	cr_assert_eq(r.eflags & 0x200, 0, "real IF is never set by the guest");
	ab_vcpu_set_if(&fb_vcpu, 0);
	ab_emu_insn(&fb_vcpu, &r, pushf, 1, 0x4002);
	cr_assert_eq(get32(0x8000 - 4) & 0x201, 0x001, "pushf shows IF=0, CF=1");
}

Test(vcpu, syscall_from_user_switches_stack)
{
	struct ab_regs r = { .eip = 0x08048010, .cs = 0x1b, .ss = 0x23,
		.ds = 0x23, .esp = 0xbffff000, .eflags = 0x2 };
	fb_vcpu.cpl = 3;
	ab_vcpu_set_if(&fb_vcpu, 1);
	cr_assert_eq(ab_guest_int(&fb_vcpu, &r, 0x80), 0);
	cr_assert_eq(fb_vcpu.cpl, 0);
	cr_assert_eq(r.esp, KSTK - 20);
	cr_assert_eq(r.ss, 0x10);
	cr_assert_eq(r.cs, 0x08);
	cr_assert_eq(r.eip, HANDLER + 0x80);
	cr_assert_eq(get32(KSTK - 4), 0x23, "ss");
	cr_assert_eq(get32(KSTK - 8), 0xbffff000, "esp");
	cr_assert_eq(get32(KSTK - 16), 0x1b, "cs");
	cr_assert_eq(get32(KSTK - 20), 0x08048010, "eip");
	cr_assert(ab_vcpu_if(&fb_vcpu), "trap gate keeps IF");
	/* and back with iret */
	ab_vcpu_set_if(&fb_vcpu, 0);
	r.ds = 0x10;
	cr_assert_eq(ab_vcpu_iret(&fb_vcpu, &r), 0);
	cr_assert_eq(fb_vcpu.cpl, 3);
	cr_assert_eq(r.eip, 0x08048010);
	cr_assert_eq(r.esp, 0xbffff000);
	cr_assert_eq(r.ss, 0x23);
	cr_assert_eq(r.ds, 0, "kernel data segment nulled on return to user");
	cr_assert(ab_vcpu_if(&fb_vcpu), "IF restored from the frame");
}

Test(vcpu, int_through_dpl0_gate_from_user_is_gp)
{
	struct ab_regs r = { .eip = 0x08048010, .cs = 0x1b, .ss = 0x23,
		.esp = 0xbffff000, .eflags = 0x2 };
	fb_vcpu.cpl = 3;
	ab_guest_int(&fb_vcpu, &r, 0x81);
	cr_assert_eq(r.eip, HANDLER + 13);
	cr_assert_eq(get32(KSTK - 24), 0x81 * 8 + 2, "error code: IDT, vector");
}

Test(vcpu, page_fault_frame_and_cr2)
{
	struct ab_regs r = kregs();
	ab_guest_fault(&fb_vcpu, &r, 14, 0x2, 0xdead0000);
	cr_assert_eq(fb_shared.cr[2], 0xdead0000);
	cr_assert_eq(r.eip, HANDLER + 14);
	cr_assert_eq(get32(0x8000 - 16), 0x2, "error code pushed");
}

Test(vcpu, unusable_stack_double_then_triple_fault)
{
	struct ab_regs r = kregs();
	fb_shared.cr[0] |= 0x80000000u;            /* paging on, empty PD */
	fb_shared.cr[3] = 0x7000;
	cr_assert(FB_STOPPED(ab_guest_fault(&fb_vcpu, &r, 13, 0, 0)));
	cr_assert(strstr(fb_vm.why, "triple fault"), "%s", fb_vm.why);
	cr_assert_neq(fb_vm.status, 0);
}

Test(vcpu, page_walker_ad_bits_and_errors)
{
	fb_shared.cr[0] |= 0x80010000u;            /* PG | WP */
	fb_shared.cr[3] = 0x7000;
	put32(0x7000 + 0x300 * 4, 0x6000 | 7);     /* PDE 0xC0000000: U W P */
	put32(0x6000 + 1 * 4, 0x20000 | 1);        /* 0xC0001000: kernel RO */
	put32(0x6000 + 2 * 4, 0x21000 | 7);        /* 0xC0002000: user RW */
	uint32_t gpa, err;
	cr_assert_eq(ab_vcpu_translate(&fb_vcpu, 0xC0001234, 0, &gpa, &err), 0);
	cr_assert_eq(gpa, 0x20234);
	cr_assert_eq(get32(0x6004) & 0x60, 0x20, "A set, D not");
	cr_assert_eq(ab_vcpu_translate(&fb_vcpu, 0xC0001234, AB_ACC_WRITE, &gpa, &err), -1);
	cr_assert_eq(err, 3, "write to RO with WP");
	cr_assert_eq(ab_vcpu_translate(&fb_vcpu, 0xC0001234, AB_ACC_USER, &gpa, &err), -1);
	cr_assert_eq(err, 5, "user read of supervisor page");
	cr_assert_eq(ab_vcpu_translate(&fb_vcpu, 0xC0002000, AB_ACC_WRITE | AB_ACC_USER, &gpa, &err), 0);
	cr_assert_eq(get32(0x6008) & 0x60, 0x60, "A and D set");
	cr_assert_eq(ab_vcpu_translate(&fb_vcpu, 0xC0005000, AB_ACC_USER, &gpa, &err), -1);
	cr_assert_eq(err, 4, "not present, user");
}

Test(vcpu, runtime_tlb_caches_like_a_cpu)
{
	fb_shared.cr[0] |= 0x80010000u;            /* PG | WP */
	fb_shared.cr[3] = 0x7000;
	put32(0x7000 + 0x300 * 4, 0x6000 | 7);
	put32(0x6000 + 3 * 4, 0x22000 | 3);        /* 0xC0003000: kernel RW */
	uint32_t gpa, err;
	cr_assert_eq(ab_vcpu_translate(&fb_vcpu, 0xC0003010, 0, &gpa, &err), 0);
	cr_assert_eq(get32(0x600c) & 0x60, 0x20, "read: A only");
	put32(0x6000 + 3 * 4, 0x23000 | 0x23);     /* remapped, no invlpg */
	cr_assert_eq(ab_vcpu_translate(&fb_vcpu, 0xC0003010, 0, &gpa, &err), 0);
	cr_assert_eq(gpa, 0x22010, "cached until flushed, as a CPU's TLB");
	cr_assert_eq(ab_vcpu_translate(&fb_vcpu, 0xC0003010, AB_ACC_WRITE, &gpa, &err), 0);
	cr_assert_eq(gpa, 0x23010, "a write re-walks to set D");
	cr_assert_eq(get32(0x600c) & 0x60, 0x60);
	put32(0x6000 + 3 * 4, 0x24000 | 0x63);
	uint8_t invlpg[] = { 0x0f, 0x01, 0x38 };     /* invlpg (%eax) */
	struct ab_regs r = kregs();
	r.eax = 0xC0003000;
	ab_emu_insn(&fb_vcpu, &r, invlpg, 3, 0x4000);
	cr_assert_eq(ab_vcpu_translate(&fb_vcpu, 0xC0003010, AB_ACC_WRITE, &gpa, &err), 0);
	cr_assert_eq(gpa, 0x24010, "invlpg flushed it");
	put32(0x6000 + 3 * 4, 0);                  /* unmapped */
	ab_vcpu_tlb_flush(&fb_vcpu);
	cr_assert_eq(ab_vcpu_translate(&fb_vcpu, 0xC0003010, 0, &gpa, &err), -1);
}

Test(vcpu, emulated_system_instructions)
{
	struct ab_regs r = kregs();
	/* lgdt (%eax) */
	uint8_t lgdt[] = { 0x0f, 0x01, 0x10 };
	uint8_t d[6] = { 0x17, 0, 0x00, 0x50, 0, 0 };
	memcpy(fb_vm.ram + 0x4800, d, 6);
	r.eax = 0x4800;
	ab_emu_insn(&fb_vcpu, &r, lgdt, 3, 0x4003);
	cr_assert_eq(fb_vcpu.gdtr.base, 0x5000);
	cr_assert_eq(fb_vcpu.gdtr.limit, 0x17);
	cr_assert_eq(r.eip, 0x4003);
	fb_vcpu.gdtr = (struct ab_dtr){ GDT, 47 };
	/* mov %ebx, %cr3 */
	uint8_t movcr3[] = { 0x0f, 0x22, 0xdb };
	r.ebx = 0x123000;
	ab_emu_insn(&fb_vcpu, &r, movcr3, 3, 0x4006);
	cr_assert_eq(fb_shared.cr[3], 0x123000);
	cr_assert_eq(fb_vm.cr3_loads, 1);
	/* cpuid: no PAE, PSE, SEP, APIC; PGE (global pages) offered */
	uint8_t cpuid[] = { 0x0f, 0xa2 };
	r.eax = 1;
	ab_emu_insn(&fb_vcpu, &r, cpuid, 2, 0x4008);
	cr_assert_eq(r.edx & (1u << 6 | 1u << 3 | 1u << 11 | 1u << 9), 0);
	cr_assert(r.edx & 1u << 13, "PGE");
	cr_assert(r.edx & 1u << 4, "TSC");
	/* rdmsr of an unknown MSR is #GP */
	uint8_t rdmsr[] = { 0x0f, 0x32 };
	r.ecx = 0x1b;
	ab_emu_insn(&fb_vcpu, &r, rdmsr, 2, 0x400a);
	cr_assert_eq(r.eip, HANDLER + 13);
}

Test(vcpu, site_call_emulates_saved_instruction)
{
	static struct ab_site s = { .addr = 0x4000, .len = 5, .insn_len = 1,
				    .cls = PV_CLASS_CLI, .orig = { 0xfa } };
	fb_vcpu.img = (struct ab_image){ .nsites = 1, .sites = &s };
	struct ab_regs r = kregs();
	ab_vcpu_set_if(&fb_vcpu, 1);
	r.eip = 0x4005;                       /* return address of the call */
	ab_site_call(&fb_vcpu, &r);
	cr_assert(!ab_vcpu_if(&fb_vcpu));
	cr_assert_eq(r.eip, 0x4005);
	cr_assert_eq(s.count, 1);
	r.eip = 0x4100;
	cr_assert(FB_STOPPED(ab_site_call(&fb_vcpu, &r)));
	cr_assert(strstr(fb_vm.why, "outside any patched site"), "%s", fb_vm.why);
}

Test(vcpu, peek_changes_nothing)
{
	fb_shared.cr[0] |= 0x80000000u;
	fb_shared.cr[3] = 0x7000;
	put32(0x7000 + 0x300 * 4, 0x6000 | 7);
	put32(0x6000 + 2 * 4, 0x21000 | 7);
	uint32_t gpa, f;
	cr_assert_eq(ab_vcpu_peek(&fb_vcpu, 0xC0002010, &gpa, &f), 0);
	cr_assert_eq(gpa, 0x21010);
	cr_assert_eq(f & 0x67, 7, "P W U, no A or D yet");
	cr_assert_eq(get32(0x6008), 0x21007, "entry untouched");
	cr_assert_eq(ab_vcpu_peek(&fb_vcpu, 0xC0003000, &gpa, &f), -1);
}

Test(vcpu, tsc_msr_follows_wrmsr)
{
	struct ab_regs r = kregs();
	uint8_t rdmsr[] = { 0x0f, 0x32 }, wrmsr[] = { 0x0f, 0x30 };
	r.ecx = 0x10; r.edx = 0x100; r.eax = 0;
	ab_emu_insn(&fb_vcpu, &r, wrmsr, 2, 0x4002);
	ab_emu_insn(&fb_vcpu, &r, rdmsr, 2, 0x4004);
	cr_assert_eq(r.edx, 0x100, "high half as written (edx %x)", r.edx);
	cr_assert_eq(r.eip, 0x4004);
}

Test(vcpu, segment_loads_ltr_lret_and_rep_outs)
{
	struct ab_regs r = kregs();
	const uint8_t movds[] = { 0x8e, 0xd8 }, ltr[] = { 0x0f, 0x00, 0xd8 };
	const uint8_t lret[] = { 0xcb }, outsb[] = { 0xf3, 0x6e };
	r.eax = 0x23;                               /* user data, valid */
	ab_emu_insn(&fb_vcpu, &r, movds, 2, 0x4002);
	cr_assert_eq(r.ds, 0x23);
	cr_assert_eq(r.eip, 0x4002);
	r.eax = 0x48;                               /* beyond the GDT */
	ab_emu_insn(&fb_vcpu, &r, movds, 2, 0x4004);
	cr_assert_eq(r.eip, HANDLER + 13, "#GP (eip %x ds %x)", r.eip, r.ds);
	cr_assert_eq(get32(0x8000 - 16), 0x48, "error code = selector");
	r = kregs();
	r.eax = 0x28;
	ab_emu_insn(&fb_vcpu, &r, ltr, 3, 0x4003);
	cr_assert_eq(fb_vcpu.tr, 0x28);
	cr_assert_eq((get32(GDT + 0x2c) >> 8) & 0xf, 0xb, "TSS marked busy");
	put32(0x7ff8, 0x4100); put32(0x7ffc, 0x08);
	r.esp = 0x7ff8;
	ab_emu_insn(&fb_vcpu, &r, lret, 1, 0x4004);
	cr_assert_eq(r.eip, 0x4100);
	cr_assert_eq(r.esp, 0x8000);
	memcpy(fb_vm.ram + 0x4800, "abc\n", 4);
	r.esi = 0x4800; r.ecx = 4; r.edx = 0x3f8;
	ab_emu_insn(&fb_vcpu, &r, outsb, 2, 0x4102);
	cr_assert_eq(r.ecx, 0);
	cr_assert_eq(r.esi, 0x4804);
	cr_assert_eq(fb_vm.nout, 4);
	cr_assert_eq(memcmp(fb_vm.out, "abc\n", 4), 0);
}

Test(vcpu, sti_shadow_leaves_interrupt_for_following_hlt)
{
	static struct ab_site s[3] = {
		{ .addr = 0x4000, .len = 24, .insn_len = 1, .cls = PV_CLASS_STI,
		  .inline_fast = 1, .orig = { 0xfb } },
		{ .addr = 0x4018, .len = 5, .insn_len = 1, .cls = PV_CLASS_HLT,
		  .orig = { 0xf4 } },
		{ .addr = 0x4100, .len = 24, .insn_len = 1, .cls = PV_CLASS_STI,
		  .inline_fast = 1, .orig = { 0xfb } },
	};
	fb_vcpu.img = (struct ab_image){ .nsites = 3, .sites = s };
	struct ab_regs r = kregs();
	ab_dev_irq(&fb_vcpu, 0);
	ab_vcpu_set_if(&fb_vcpu, 1);            /* the inline sti did this */
	r.eip = 0x4000 + 23;                    /* its call's return address */
	ab_site_call(&fb_vcpu, &r);
	cr_assert_eq(r.eip, 0x4017, "interrupt kept for the hlt");
	r.eip = 0x4018 + 5;                     /* the hlt site calls */
	ab_site_call(&fb_vcpu, &r);
	cr_assert_eq(r.eip, HANDLER + 0x20, "hlt takes it at once");
	cr_assert_eq(get32(0x8000 - 12), 0x401d, "returns after the hlt");
	r = kregs();
	ab_dev_out(&fb_vcpu, 0x20, 1, 0x20);    /* EOI */
	ab_dev_irq(&fb_vcpu, 0);
	ab_vcpu_set_if(&fb_vcpu, 1);
	r.eip = 0x4100 + 23;                    /* no hlt after this one */
	ab_site_call(&fb_vcpu, &r);
	cr_assert_eq(r.eip, HANDLER + 0x20, "delivered right after sti");
}
