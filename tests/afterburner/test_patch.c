/*
 * test_patch.c - criterion tests of the patcher: exact bytes before and
 * after for each replacement shape, fits-in-site fallbacks, refusal of bad
 * sites, and site lookup from return addresses.  Runs: host.
 */
#include <criterion/criterion.h>
#include <string.h>
#include "fake_backend.h"

#define LINK 0xC0100000u

static void patch_ok(uint8_t cls, const uint8_t *insn, unsigned ilen,
		     unsigned len, uint8_t *out, struct ab_site *s)
{
	uint8_t cur[64];
	memset(cur, 0x90, sizeof cur);
	memcpy(cur, insn, ilen);
	*s = (struct ab_site){ .addr = LINK, .len = (uint8_t)len,
			       .insn_len = (uint8_t)ilen, .cls = cls,
			       .origin = PV_ORIGIN_PASS };
	memset(out, 0xcc, 64);
	cr_assert_eq(ab_patch_site(&fb_vcpu, s, cur, out), 0, "%s", fb_vcpu.err);
	cr_assert_eq(memcmp(s->orig, insn, ilen), 0, "original bytes saved");
}

static uint32_t rel_at(const uint8_t *p, unsigned off)
{
	uint32_t r;
	memcpy(&r, p + off + 1, 4);
	return LINK + off + 5 + r;
}

TestSuite(patch, .init = fb_reset);

Test(patch, cli_inline)
{
	uint8_t out[64], in[] = { 0xfa };
	const uint8_t want[8] = { 0xc6, 0x05, 0x01, 0x00, 0x00, 0xfc, 0x01, 0x90 };
	struct ab_site s;
	patch_ok(PV_CLASS_CLI, in, 1, 8, out, &s);
	cr_assert_eq(memcmp(out, want, 8), 0);
	cr_assert(s.inline_fast);
}

Test(patch, sti_inline)
{
	uint8_t out[64], in[] = { 0xfb };
	const uint8_t head[] = { 0xc6, 0x05, 0x01, 0x00, 0x00, 0xfc, 0x00,
		0x9c, 0x66, 0x83, 0x3d, 0x00, 0x00, 0x00, 0xfc, 0x01,
		0x75, 0x05, 0xe8 };
	struct ab_site s;
	patch_ok(PV_CLASS_STI, in, 1, 24, out, &s);
	cr_assert_eq(memcmp(out, head, sizeof head), 0);
	cr_assert_eq(rel_at(out, 18), AB_WEDGE_STUBS);
	cr_assert_eq(out[23], 0x9d);
	cr_assert(s.inline_fast);
}

Test(patch, popf_inline_fills_32)
{
	uint8_t out[64], in[] = { 0x9d };
	const uint8_t head[] = { 0xf7, 0x04, 0x24, 0x00, 0x02, 0x00, 0x00,
		0x0f, 0x94, 0x05, 0x01, 0x00, 0x00, 0xfc, 0x9d, 0x9c };
	struct ab_site s;
	patch_ok(PV_CLASS_POPF, in, 1, 32, out, &s);
	cr_assert_eq(memcmp(out, head, sizeof head), 0);
	cr_assert_eq(rel_at(out, 26), AB_WEDGE_STUBS);
	cr_assert_eq(out[31], 0x9d);
}

Test(patch, pushf_inline)
{
	uint8_t out[64], in[] = { 0x9c };
	const uint8_t want[] = { 0x9c, 0x9c, 0x80, 0x64, 0x24, 0x05, 0xfd,
		0xf6, 0x05, 0x01, 0x00, 0x00, 0xfc, 0x01, 0x75, 0x05,
		0x80, 0x4c, 0x24, 0x05, 0x02, 0x9d, 0x90, 0x90 };
	struct ab_site s;
	patch_ok(PV_CLASS_PUSHF, in, 1, 24, out, &s);
	cr_assert_eq(memcmp(out, want, sizeof want), 0);
}

Test(patch, mov_from_cr)
{
	uint8_t out[64], cr3ebx[] = { 0x0f, 0x20, 0xdb }, cr0eax[] = { 0x0f, 0x20, 0xc0 };
	const uint8_t w1[] = { 0x8b, 0x1d, 0x10, 0x00, 0x00, 0xfc, 0x90, 0x90 };
	const uint8_t w2[] = { 0xa1, 0x04, 0x00, 0x00, 0xfc, 0x90, 0x90, 0x90 };
	struct ab_site s;
	patch_ok(PV_CLASS_MOV_FROM_CR, cr3ebx, 3, 8, out, &s);
	cr_assert_eq(memcmp(out, w1, 8), 0);
	patch_ok(PV_CLASS_MOV_FROM_CR, cr0eax, 3, 8, out, &s);
	cr_assert_eq(memcmp(out, w2, 8), 0);
}

Test(patch, call_classes)
{
	uint8_t out[64];
	struct { uint8_t cls; uint8_t b[4]; unsigned n; } c[] = {
		{ PV_CLASS_IRET, { 0xcf }, 1 }, { PV_CLASS_HLT, { 0xf4 }, 1 },
		{ PV_CLASS_IO, { 0xe6, 0x80 }, 2 }, { PV_CLASS_INVLPG, { 0x0f, 0x01, 0x38 }, 3 },
		{ PV_CLASS_MOV_TO_CR, { 0x0f, 0x22, 0xd8 }, 3 },
		{ PV_CLASS_SEG_LOAD, { 0x8e, 0xd8 }, 2 },
	};
	for (unsigned i = 0; i < sizeof c / sizeof c[0]; i++) {
		struct ab_site s;
		patch_ok(c[i].cls, c[i].b, c[i].n, 5, out, &s);
		cr_assert_eq(out[0], 0xe8, "class %u", c[i].cls);
		cr_assert_eq(rel_at(out, 0), AB_WEDGE_STUBS);
		cr_assert(!s.inline_fast);
	}
}

Test(patch, short_fast_site_falls_back_to_call)
{
	uint8_t out[64], in[] = { 0xfb };
	struct ab_site s;
	patch_ok(PV_CLASS_STI, in, 1, 6, out, &s);       /* 24 would be needed */
	cr_assert(!s.inline_fast);
	cr_assert_eq(out[0], 0xe8);
	cr_assert_eq(out[5], 0x90);
	patch_ok(PV_CLASS_MOV_FROM_CR, (const uint8_t[]){ 0x0f, 0x20, 0xd3 }, 3,
		 5, out, &s);
	cr_assert(!s.inline_fast, "6-byte mov does not fit in 5");
}

Test(patch, refuses_bad_sites)
{
	uint8_t cur[16], out[64];
	struct ab_site s = { .addr = 0xC0101234, .len = 8, .insn_len = 1,
			     .cls = PV_CLASS_CLI, .origin = 1 };
	memset(cur, 0x90, sizeof cur);
	cur[0] = 0xfb;                                  /* sti, not cli */
	cr_assert_eq(ab_patch_site(&fb_vcpu, &s, cur, out), -1);
	cr_assert(strstr(fb_vcpu.err, "0xc0101234"), "%s", fb_vcpu.err);
	cur[0] = 0xfa; cur[5] = 0x00;                   /* padding not NOP */
	cr_assert_eq(ab_patch_site(&fb_vcpu, &s, cur, out), -1);
	cr_assert(strstr(fb_vcpu.err, "NOP"), "%s", fb_vcpu.err);
	cur[0] = 0x90; cur[5] = 0x90;                   /* not sensitive */
	cr_assert_eq(ab_patch_site(&fb_vcpu, &s, cur, out), -1);
	s.insn_len = 2; cur[0] = 0xfa;                  /* wrong length */
	cr_assert_eq(ab_patch_site(&fb_vcpu, &s, cur, out), -1);
}

/* ---- the backend's site policy (ab_backend_site_policy) ----------- */

Test(patch, policy_native_keeps_instruction_and_nops)
{
	uint8_t out[64], in[] = { 0x8e, 0xd8 };           /* mov %eax, %ds */
	const uint8_t want[5] = { 0x8e, 0xd8, 0x90, 0x90, 0x90 };
	struct ab_site s;
	fb_vm.force = 1;
	fb_vm.policy = AB_SITE_NATIVE;
	patch_ok(PV_CLASS_SEG_LOAD, in, 2, 5, out, &s);
	cr_assert_eq(memcmp(out, want, 5), 0);
	cr_assert_eq(s.policy, AB_SITE_NATIVE);
	cr_assert(!s.inline_fast);
	cr_assert_eq(fb_vm.policy_calls, 1);
}

Test(patch, policy_native_on_an_inline_class)
{
	uint8_t out[64], in[] = { 0xfa };
	struct ab_site s;
	fb_vm.force = 1;
	fb_vm.policy = AB_SITE_NATIVE;
	patch_ok(PV_CLASS_CLI, in, 1, 8, out, &s);
	cr_assert_eq(out[0], 0xfa);
	for (unsigned i = 1; i < 8; i++)
		cr_assert_eq(out[i], 0x90, "byte %u", i);
	cr_assert_eq(out[8], 0xcc, "nothing written past the site");
}

Test(patch, policy_call_to_backend_entry)
{
	uint8_t out[64], in[] = { 0xcf };
	const uint32_t entry = AB_WEDGE_STUBS + 16;
	struct ab_site s;
	fb_vm.force = 1;
	fb_vm.policy = AB_SITE_CALL;
	fb_vm.target = entry;
	patch_ok(PV_CLASS_IRET, in, 1, 5, out, &s);
	cr_assert_eq(out[0], 0xe8);
	cr_assert_eq(rel_at(out, 0), entry);
	cr_assert_eq(s.policy, AB_SITE_CALL);
}

Test(patch, policy_call_overrides_inline_class)
{
	uint8_t out[64], in[] = { 0xfa };
	struct ab_site s;
	fb_vm.force = 1;
	fb_vm.policy = AB_SITE_CALL;
	patch_ok(PV_CLASS_CLI, in, 1, 8, out, &s);
	cr_assert_eq(out[0], 0xe8);
	cr_assert_eq(rel_at(out, 0), AB_WEDGE_STUBS);
	cr_assert_eq(out[5], 0x90);
	cr_assert_eq(out[7], 0x90);
	cr_assert(!s.inline_fast);
}

Test(patch, policy_inline_without_inline_form_calls_target)
{
	uint8_t out[64], in[] = { 0xf4 };
	const uint32_t entry = AB_WEDGE_STUBS + 0x100;
	struct ab_site s;
	fb_vm.force = 1;
	fb_vm.policy = AB_SITE_INLINE;
	fb_vm.target = entry;
	patch_ok(PV_CLASS_HLT, in, 1, 5, out, &s);
	cr_assert_eq(rel_at(out, 0), entry);
	cr_assert_eq(s.policy, AB_SITE_CALL, "recorded as what was emitted");
	/* an sti keeps its inline form; its pending check still calls the
	 * generic stub, not the backend's target */
	patch_ok(PV_CLASS_STI, (const uint8_t[]){ 0xfb }, 1, 24, out, &s);
	cr_assert(s.inline_fast);
	cr_assert_eq(s.policy, AB_SITE_INLINE);
	cr_assert_eq(rel_at(out, 18), AB_WEDGE_STUBS);
}

Test(patch, policy_refuses_target_outside_stubs)
{
	uint8_t cur[8] = { 0xf4, 0x90, 0x90, 0x90, 0x90 }, out[64];
	struct ab_site s = { .addr = LINK, .len = 5, .insn_len = 1,
			     .cls = PV_CLASS_HLT, .origin = PV_ORIGIN_PASS };
	uint32_t bad[] = { AB_WEDGE_SHARED, AB_WEDGE_GUEST_END, 0xC0000000u };
	fb_vm.force = 1;
	fb_vm.policy = AB_SITE_CALL;
	for (unsigned i = 0; i < 3; i++) {
		fb_vm.target = bad[i];
		cr_assert_eq(ab_patch_site(&fb_vcpu, &s, cur, out), -1);
		cr_assert(strstr(fb_vcpu.err, "stub pages"), "%s", fb_vcpu.err);
	}
	fb_vm.target = 0;
	fb_vm.policy = (enum ab_site_policy)7;
	cr_assert_eq(ab_patch_site(&fb_vcpu, &s, cur, out), -1);
	cr_assert(strstr(fb_vcpu.err, "unknown policy"), "%s", fb_vcpu.err);
}

Test(patch, policy_not_asked_for_trap_sites)
{
	uint8_t cur[4] = { 0xf4 }, out[64];
	struct ab_site s = { .addr = LINK, .len = 1, .insn_len = 1,
			     .cls = PV_CLASS_HLT, .origin = PV_ORIGIN_TRAP };
	cr_assert_eq(ab_patch_site(&fb_vcpu, &s, cur, out), 0);
	cr_assert_eq(fb_vm.policy_calls, 0);
}

Test(patch, trap_site_left_alone)
{
	uint8_t cur[4] = { 0xf4 }, out[64];
	struct ab_site s = { .addr = LINK, .len = 1, .insn_len = 1,
			     .cls = PV_CLASS_HLT, .origin = PV_ORIGIN_TRAP };
	cr_assert_eq(ab_patch_site(&fb_vcpu, &s, cur, out), 0);
	cr_assert_eq(out[0], 0xf4);
}

Test(patch, site_lookup_virtual_and_physical)
{
	static struct ab_site sites[3] = {
		{ .addr = 0xC0100010, .len = 5 }, { .addr = 0xC0100020, .len = 24 },
		{ .addr = 0xC0100040, .len = 8 } };
	fb_vcpu.img = (struct ab_image){ .phys_offset = 0xC0000000u,
					 .nsites = 3, .sites = sites };
	cr_assert_eq(ab_site_find(&fb_vcpu, 0xC0100015), &sites[0]);
	cr_assert_eq(ab_site_find(&fb_vcpu, 0xC0100020 + 23), &sites[1]);
	cr_assert_eq(ab_site_find(&fb_vcpu, 0x00100015), &sites[0], "paging off");
	cr_assert_null(ab_site_find(&fb_vcpu, 0xC010003A));
	/* Paging on: head code still running at its physical address
	 * (identity-mapped, before its jump to the link address) is found. */
	fb_shared.cr[0] |= 0x80000000u;
	cr_assert_eq(ab_site_find(&fb_vcpu, 0x00100015), &sites[0], "paging on");
	cr_assert_null(ab_site_find(&fb_vcpu, 0x0010003A));
	/* Cached now: the same answers, also through ab_site_peek. */
	cr_assert_eq(ab_site_peek(&fb_vcpu, 0xC0100015), &sites[0]);
	cr_assert_eq(ab_site_find(&fb_vcpu, 0xC0100020 + 23), &sites[1]);
	cr_assert_null(ab_site_peek(&fb_vcpu, 0xC010003A));
	cr_assert_null(ab_site_peek(&fb_vcpu, 0));
}

/* Every class of classes.def: a real encoding, patched into a site of
 * the class's length; fast classes inline, all others call + NOPs. */
Test(patch, every_class)
{
	static const struct { uint8_t cls, n, b[8]; } enc[] = {
		{ PV_CLASS_CLI, 1, { 0xfa } }, { PV_CLASS_STI, 1, { 0xfb } },
		{ PV_CLASS_PUSHF, 1, { 0x9c } }, { PV_CLASS_POPF, 1, { 0x9d } },
		{ PV_CLASS_IRET, 1, { 0xcf } }, { PV_CLASS_HLT, 1, { 0xf4 } },
		{ PV_CLASS_INT, 2, { 0xcd, 0x80 } }, { PV_CLASS_LRET, 1, { 0xcb } },
		{ PV_CLASS_IO, 2, { 0xe6, 0x80 } }, { PV_CLASS_IO_STRING, 1, { 0x6e } },
		{ PV_CLASS_LOAD_DT, 3, { 0x0f, 0x01, 0x10 } },
		{ PV_CLASS_STORE_DT, 3, { 0x0f, 0x01, 0x00 } },
		{ PV_CLASS_LOAD_TR_LDT, 3, { 0x0f, 0x00, 0xd8 } },
		{ PV_CLASS_STORE_TR_LDT, 3, { 0x0f, 0x00, 0xc8 } },
		{ PV_CLASS_SMSW, 3, { 0x0f, 0x01, 0xe0 } },
		{ PV_CLASS_LMSW, 3, { 0x0f, 0x01, 0xf0 } },
		{ PV_CLASS_CLTS, 2, { 0x0f, 0x06 } },
		{ PV_CLASS_MOV_FROM_CR, 3, { 0x0f, 0x20, 0xe0 } },
		{ PV_CLASS_MOV_TO_CR, 3, { 0x0f, 0x22, 0xd8 } },
		{ PV_CLASS_MOV_DR, 3, { 0x0f, 0x21, 0xc0 } },
		{ PV_CLASS_INVLPG, 3, { 0x0f, 0x01, 0x38 } },
		{ PV_CLASS_CACHE, 2, { 0x0f, 0x09 } }, { PV_CLASS_MSR, 2, { 0x0f, 0x32 } },
		{ PV_CLASS_CPUID, 2, { 0x0f, 0xa2 } },
		{ PV_CLASS_SYSENTER, 2, { 0x0f, 0x34 } },
		{ PV_CLASS_SYSEXIT, 2, { 0x0f, 0x35 } },
		{ PV_CLASS_SEG_QUERY, 3, { 0x0f, 0x02, 0xc0 } },
		{ PV_CLASS_FAR_XFER, 7, { 0xea, 0x00, 0x10, 0x10, 0xc0, 0x08, 0x00 } },
		{ PV_CLASS_SEG_READ, 2, { 0x8c, 0xd8 } },
		{ PV_CLASS_SEG_LOAD, 2, { 0x8e, 0xd8 } },
		{ PV_CLASS_SEG_LOAD_FAR, 2, { 0xc5, 0x00 } },
	};
	unsigned seen = 0;
	for (unsigned i = 0; i < sizeof enc / sizeof enc[0]; i++) {
		uint8_t out[64];
		struct ab_site s;
		unsigned len = pv_site_len(enc[i].cls, enc[i].n);
		patch_ok(enc[i].cls, enc[i].b, enc[i].n, len, out, &s);
		int fast = enc[i].cls <= PV_CLASS_POPF ||
			   enc[i].cls == PV_CLASS_MOV_FROM_CR;
		cr_assert_eq(s.inline_fast, fast, "class %s",
			     pv_class_info(enc[i].cls)->name);
		if (!fast) {
			cr_assert_eq(out[0], 0xe8);
			cr_assert_eq(rel_at(out, 0), AB_WEDGE_STUBS);
			for (unsigned k = 5; k < len; k++)
				cr_assert_eq(out[k], 0x90);
		}
		cr_assert_eq(out[len], 0xcc, "nothing written past the site");
		seen |= 1u << enc[i].cls;
	}
	cr_assert_eq(seen, (1u << PV_CLASS_COUNT) - 1, "every class covered");
}

/* ---- segment fast stubs (ab_patch_seg_stubs) ------------------------ */

#define SEGLINK (AB_WEDGE_STUBS + 0x100u)
#define SHSEL(n) (AB_WEDGE_SHARED + \
		  (uint32_t)offsetof(struct ab_shared, sel) + 4u * (n))

static int stub_of(const uint8_t *bytes, unsigned n)
{
	struct pv_insn in;
	cr_assert_eq(pv_insn_decode(bytes, n, &in), PV_INSN_SENSITIVE);
	return ab_patch_seg_stub(&in);
}

static uint32_t u32_at(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* Target of the rel32 call/jmp whose opcode is at block offset off. */
static uint32_t seg_rel(const uint8_t *blk, unsigned off)
{
	return SEGLINK + off + 5 + u32_at(blk + off + 1);
}

Test(patch, shared_page_layout_keeps_old_offsets)
{
	cr_assert_eq(offsetof(struct ab_shared, upcall_mask), 1);
	cr_assert_eq(offsetof(struct ab_shared, cr), 4);
	cr_assert_eq(offsetof(struct ab_shared, stub), 0x18);
	cr_assert_eq(offsetof(struct ab_shared, sel), 0x98);
	cr_assert_eq(offsetof(struct ab_shared, seg_exp), 0xc0);
	cr_assert_leq(sizeof(struct ab_shared), 0x400u,
		      "the bare-metal monitor owns the page from 0x400");
}

Test(patch, seg_stub_choice)
{
	static const uint8_t push_ds[] = { 0x1e }, push_gs[] = { 0x0f, 0xa8 },
		pop_ds[] = { 0x1f }, pop_es[] = { 0x07 }, pop_fs[] = { 0x0f, 0xa1 },
		pop_ss[] = { 0x17 }, mov_ax_ds[] = { 0x8e, 0xd8 },
		mov_dx_es[] = { 0x8e, 0xc2 }, mov_sp_ds[] = { 0x8e, 0xdc },
		mov_mem_ds[] = { 0x8e, 0x18 }, mov16_ax_ds[] = { 0x66, 0x8e, 0xd8 },
		mov_ax_fs[] = { 0x8e, 0xe0 }, mov_ds_ecx[] = { 0x8c, 0xd9 },
		mov_ds_mem[] = { 0x8c, 0x19 }, push16_ds[] = { 0x66, 0x1e };
	cr_assert_eq(stub_of(push_ds, 1), 0x30);
	cr_assert_eq(stub_of(push_gs, 2), 0x50);
	cr_assert_eq(stub_of(mov_ds_ecx, 2), 0x60 + 16 * (8 * 3 + 1));
	cr_assert_eq(stub_of(pop_es, 1), 0x360);
	cr_assert_eq(stub_of(pop_ds, 1), 0x390);
	cr_assert_eq(stub_of(pop_fs, 2), 0x3c0);
	cr_assert_eq(stub_of(mov_ax_ds, 2), 0x420 + 48 * 8);
	cr_assert_eq(stub_of(mov_dx_es, 2), 0x420 + 48 * 2);
	cr_assert_eq(stub_of(mov_ax_fs, 2), 0x420 + 48 * 16);
	/* no fast form: the runtime keeps these */
	cr_assert_eq(stub_of(pop_ss, 1), -1);
	cr_assert_eq(stub_of(mov_sp_ds, 2), -1);
	cr_assert_eq(stub_of(mov_mem_ds, 2), -1);
	cr_assert_eq(stub_of(mov16_ax_ds, 3), -1);
	cr_assert_eq(stub_of(mov_ds_mem, 2), -1);
	cr_assert_eq(stub_of(push16_ds, 2), -1);
}

Test(patch, seg_read_stub_bytes)
{
	static uint8_t blk[AB_SEGSTUB_SIZE];
	ab_patch_seg_stubs(blk, SEGLINK);
	/* push %ds: push (%esp); pushl sel[3]; popl 4(%esp); ret */
	const uint8_t *p = blk + 0x30;
	static const uint8_t head[] = { 0xff, 0x34, 0x24, 0xff, 0x35 };
	cr_assert_eq(memcmp(p, head, 5), 0);
	cr_assert_eq(u32_at(p + 5), SHSEL(3));
	static const uint8_t tail[] = { 0x8f, 0x44, 0x24, 0x04, 0xc3, 0xf4 };
	cr_assert_eq(memcmp(p + 9, tail, sizeof tail), 0);
	/* mov %fs, %ebx: movl sel[4], %ebx; ret */
	p = blk + 0x60 + 16 * (8 * 4 + 3);
	cr_assert_eq(p[0], 0x8b);
	cr_assert_eq(p[1], 0x1d);
	cr_assert_eq(u32_at(p + 2), SHSEL(4));
	cr_assert_eq(p[6], 0xc3);
	/* the %esp slot is never a target: hlt */
	cr_assert_eq(blk[0x60 + 16 * (8 * 3 + 4)], 0xf4);
}

Test(patch, seg_load_stub_bytes)
{
	static uint8_t blk[AB_SEGSTUB_SIZE];
	ab_patch_seg_stubs(blk, SEGLINK);
	/* pop %ds */
	const uint8_t *p = blk + 0x390;
	static const uint8_t pro[] = { 0x9c, 0x50, 0x51, 0x52, 0x0f, 0xb7,
				       0x44, 0x24, 0x14, 0xe8 };
	cr_assert_eq(memcmp(p, pro, sizeof pro), 0);
	cr_assert_eq(seg_rel(blk, 0x390 + 9), SEGLINK + 0xa20, "call check");
	cr_assert_eq(p[14], 0x75, "jnz slow");
	unsigned slow = 16 + p[15];
	cr_assert_eq(p[16], 0xa3);
	cr_assert_eq(u32_at(p + 17), SHSEL(3));
	static const uint8_t ok[] = { 0x5a, 0x59, 0x58, 0x9d, 0xc2, 0x04,
				      0x00 };
	cr_assert_eq(memcmp(p + 21, ok, sizeof ok), 0, "ret $4");
	cr_assert_eq(slow, 28u);
	cr_assert_eq(memcmp(p + slow, ok, 4), 0);
	cr_assert_eq(p[slow + 4], 0xe9);
	cr_assert_eq(seg_rel(blk, 0x390 + slow + 4), AB_WEDGE_STUBS,
		     "slow path: the runtime emulates the site");
	/* mov %ecx, %es: movzwl %cx, %eax; plain ret */
	p = blk + 0x420 + 48 * 1;
	cr_assert_eq(p[4], 0x0f);
	cr_assert_eq(p[6], 0xc1);
	cr_assert_eq(p[12], 0x75);
	cr_assert_eq(u32_at(p + 15), SHSEL(0));
	cr_assert_eq(p[23], 0xc3);
	/* pop %gs: its own check, with the base */
	cr_assert_eq(seg_rel(blk, 0x3f0 + 9), SEGLINK + 0xad0);
	cr_assert_eq(u32_at(blk + 0x3f0 + 17), SHSEL(5));
}

Test(patch, seg_check_bytes)
{
	static uint8_t blk[AB_SEGSTUB_SIZE];
	ab_patch_seg_stubs(blk, SEGLINK);
	const uint8_t *c = blk + 0xa20;
	uint32_t lim = AB_WEDGE_SHARED +
		(uint32_t)offsetof(struct ab_shared, gdt_limit);
	uint32_t base = AB_WEDGE_SHARED +
		(uint32_t)offsetof(struct ab_shared, gdt_base);
	/* the fault point the backends unwind at */
	const uint8_t *rd = c + 0x21;
	cr_assert(ab_patch_seg_fault_point(0xa20 + 0x21));
	cr_assert(!ab_patch_seg_fault_point(0xa20 + 0x20));
	cr_assert_eq(rd[0], 0x8b);
	cr_assert_eq(rd[1], 0x4a);
	cr_assert_eq(rd[2], 0x04);
	cr_assert_eq(u32_at(c + 1), 0xfffcu, "null test");
	cr_assert_eq(u32_at(c + 0x12), lim);
	cr_assert_eq(u32_at(c + 0x1d), base);
	/* jz (null) and jnz (LDT) reach the ret; ja (limit) the fail tail */
	unsigned ret = 0x7 + c[6], ret2 = 0xb + c[10], fail = 0x18 + c[0x17];
	cr_assert_eq(c[5], 0x74);
	cr_assert_eq(c[9], 0x75);
	cr_assert_eq(c[0x16], 0x77);
	cr_assert_eq(ret, ret2);
	cr_assert_eq(c[ret], 0xc3);
	cr_assert_eq(u32_at(c + ret - 10), 0x9900u, "and $P|S|code|A");
	cr_assert_eq(u32_at(c + ret - 4), 0x9100u, "cmp $P|S|A: data, accessed");
	cr_assert_eq(fail, ret + 1);
	/* RPL above DPL: jb to the same fail tail; the descriptor's high
	 * word read again (a fault point too) */
	cr_assert_eq(c[0x31], 0x72, "jb (RPL > DPL)");
	cr_assert_eq(0x33u + c[0x32], fail);
	cr_assert_eq(c[0x33], 0x8b);
	cr_assert(ab_patch_seg_fault_point(0xa20 + 0x33));
	static const uint8_t tail[] = { 0x85, 0xe4, 0xc3 };
	cr_assert_eq(memcmp(c + fail, tail, 3), 0, "ZF=0");
}

Test(patch, seg_site_calls_its_stub)
{
	uint8_t out[64], in[] = { 0x1f };
	struct ab_site s;
	fb_vm.force = 1;
	fb_vm.policy = AB_SITE_CALL;
	fb_vm.target = SEGLINK + 0x390;
	patch_ok(PV_CLASS_SEG_LOAD, in, 1, 5, out, &s);
	cr_assert_eq(out[0], 0xe8);
	cr_assert_eq(rel_at(out, 0), SEGLINK + 0x390);
}

Test(patch, seg_check_base_bytes)
{
	static uint8_t blk[AB_SEGSTUB_SIZE];
	ab_patch_seg_stubs(blk, SEGLINK);
	for (unsigned j = 0; j < 2; j++) {
		const uint8_t *c = blk + 0xa70 + 0x60 * j;
		uint32_t sh = AB_WEDGE_SHARED;
		uint32_t exp = sh + (uint32_t)offsetof(struct ab_shared, seg_exp)
			       + 8 * j;
		uint32_t base = sh + (uint32_t)offsetof(struct ab_shared,
							 seg_base) + 4 * j;
		cr_assert_eq(c[0x21], 0x8b, "mov 4(%%edx), %%ecx");
		cr_assert_eq(c[0x22], 0x4a);
		cr_assert_eq(c[0x31], 0x72, "jb (RPL > DPL)");
		cr_assert_eq(u32_at(c + 0x38), 0xff0099ffu, "base|P|S|code|A mask");
		cr_assert_eq(u32_at(c + 0x3e), exp + 4);
		cr_assert_eq(c[0x42], 0x75);
		cr_assert_eq(c[0x44], 0x8b, "mov (%%edx), %%ecx");
		cr_assert_eq(c[0x45], 0x0a);
		cr_assert(ab_patch_seg_fault_point(0xa70 + 0x60 * j + 0x21));
		cr_assert(ab_patch_seg_fault_point(0xa70 + 0x60 * j + 0x33));
		cr_assert(ab_patch_seg_fault_point(0xa70 + 0x60 * j + 0x44));
		cr_assert_eq(u32_at(c + 0x48), 0xffff0000u);
		cr_assert_eq(u32_at(c + 0x4e), exp);
		unsigned ret = 0x44 + c[0x43];
		cr_assert_eq(ret, 0x52u);
		cr_assert_eq(c[ret], 0xc3);
		/* null: cmpl $0, seg_base[j]; ret */
		unsigned null = 7 + c[6];
		cr_assert_eq(null, ret + 1);
		cr_assert_eq(c[null], 0x83);
		cr_assert_eq(u32_at(c + null + 2), base);
		cr_assert_eq(c[null + 7], 0xc3);
	}
}

Test(patch, seg_unwind_restores_the_entry_frame)
{
	/* [esp] check's return, edx, ecx, eax, eflags, the site's return */
	const uint32_t frame[6] = { SEGLINK + 0x3a0, 0x1111, 0x3333, 0x2222,
				    0x283, LINK + 5 };
	struct ab_regs r = { .esp = 0x8000, .eip = SEGLINK + 0xa41 };
	memcpy(fb_vm.ram + 0x8000, frame, sizeof frame);
	cr_assert_eq(ab_patch_seg_unwind(&fb_vcpu, &r), 0);
	cr_assert_eq(r.edx, 0x1111);
	cr_assert_eq(r.ecx, 0x3333);
	cr_assert_eq(r.eax, 0x2222);
	cr_assert_eq(r.eflags, 0x83, "IF stays virtual");
	cr_assert_eq(r.esp, 0x8014);
}
