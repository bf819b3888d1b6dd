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
