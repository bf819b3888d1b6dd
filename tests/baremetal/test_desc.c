/*
 * test_desc.c - criterion tests of descriptor demotion and selector
 * translation (backends/baremetal/desc.c, compiled for the host).
 * Runs: host, `meson test --suite baremetal`.
 */
#include <criterion/criterion.h>
#include "desc.h"

#define END 0xFC004000u    /* AB_WEDGE_GUEST_END */

static uint64_t flat(unsigned type, unsigned dpl)
{
	return bm_desc_seg(0, 0xffffffff, type, dpl, 1);
}

Test(desc, encode_decode_roundtrip)
{
	struct bm_seg s;
	uint64_t d = flat(0xb, 0);
	cr_assert_eq(d, 0x00cf9b000000ffffull);   /* the classic flat code */
	bm_desc_decode(d, &s);
	cr_assert_eq(s.base, 0);
	cr_assert_eq(s.limit, 0xffffffff);
	cr_assert_eq(s.type, 0xb);
	cr_assert(s.s && s.p && s.db);
	bm_desc_decode(bm_desc_seg(0x12345678, 0x1ff, 0x3, 2, 1), &s);
	cr_assert_eq(s.base, 0x12345678);
	cr_assert_eq(s.limit, 0x1ff);
	cr_assert_eq(s.dpl, 2);
}

Test(desc, kernel_code_demoted_and_clipped)
{
	uint64_t real;
	const char *why;
	struct bm_seg s;
	cr_assert_eq(bm_desc_demote(flat(0xb, 0), END, &real, &why),
		     BM_DESC_OK);
	bm_desc_decode(real, &s);
	cr_assert_eq(s.dpl, 1);
	cr_assert_eq(s.limit, END - 1);          /* stubs page reachable */
	cr_assert_eq(s.type, 0xb);
	cr_assert(s.p);
}

Test(desc, user_data_keeps_dpl3_and_is_clipped)
{
	uint64_t real;
	const char *why;
	struct bm_seg s;
	cr_assert_eq(bm_desc_demote(flat(0x3, 3), END, &real, &why),
		     BM_DESC_OK);
	bm_desc_decode(real, &s);
	cr_assert_eq(s.dpl, 3);
	cr_assert_eq(s.limit, END - 1);
}

Test(desc, based_segment_clipped_relative_to_base)
{
	uint64_t real;
	const char *why;
	struct bm_seg s;
	uint64_t g = bm_desc_seg(0xC0000000, 0xffffffff, 0x3, 0, 1);
	cr_assert_eq(bm_desc_demote(g, END, &real, &why), BM_DESC_OK);
	bm_desc_decode(real, &s);
	cr_assert_eq(s.base, 0xC0000000);
	cr_assert_eq(s.base + s.limit, END - 1);  /* no wrap to low memory */
}

Test(desc, unaligned_clip_rounds_down)
{
	uint64_t real;
	const char *why;
	struct bm_seg s;
	uint64_t g = bm_desc_seg(0x800, 0xffffffff, 0x3, 0, 1);
	cr_assert_eq(bm_desc_demote(g, END, &real, &why), BM_DESC_OK);
	bm_desc_decode(real, &s);
	cr_assert_leq(s.base + s.limit, END - 1);
	cr_assert_geq(s.base + s.limit, END - 1 - 0xfff);
}

Test(desc, small_limits_stay_exact)
{
	uint64_t real;
	const char *why;
	struct bm_seg s;
	uint64_t g = bm_desc_seg(0x1000, 0x67, 0x3, 0, 1);
	cr_assert_eq(bm_desc_demote(g, END, &real, &why), BM_DESC_OK);
	bm_desc_decode(real, &s);
	cr_assert_eq(s.limit, 0x67);
	cr_assert_eq(s.base, 0x1000);
}

Test(desc, conforming_code_demoted)
{
	uint64_t real;
	const char *why;
	struct bm_seg s;
	cr_assert_eq(bm_desc_demote(flat(0xf, 0), END, &real, &why),
		     BM_DESC_OK);
	bm_desc_decode(real, &s);
	cr_assert_eq(s.type & BM_TYPE_CONFORM, BM_TYPE_CONFORM);
	cr_assert_eq(s.dpl, 1);
}

Test(desc, refusals)
{
	uint64_t real;
	const char *why;
	struct bm_seg s;
	uint64_t above = bm_desc_seg(0xFD000000, 0xfff, 0x3, 0, 1);
	cr_assert_eq(bm_desc_demote(above, END, &real, &why), BM_DESC_REFUSED);
	bm_desc_decode(real, &s);
	cr_assert_eq(s.p, 0);
	uint64_t down = bm_desc_seg(0, 0xfff, 0x7, 0, 1);    /* expand-down */
	cr_assert_eq(bm_desc_demote(down, END, &real, &why), BM_DESC_REFUSED);
	cr_assert_not_null(why);
	bm_desc_decode(real, &s);
	cr_assert_eq(s.p, 0);
	uint64_t gate = bm_desc_gate(0x1000, 0x08, 3, 0) & ~(0x1full << 40);
	gate |= 0x0cull << 40;                            /* call gate */
	cr_assert_eq(bm_desc_demote(gate, END, &real, &why), BM_DESC_REFUSED);
	cr_assert_str_eq(why, "call gate");
	cr_assert_eq((real >> 47) & 1, 0);
}

Test(desc, system_descriptors_hidden)
{
	uint64_t real;
	const char *why;
	uint64_t tss = bm_desc_seg(0xC0200000, 0x67, 0x9, 0, 0);
	uint64_t ldt = bm_desc_seg(0xC0200100, 0xff, 0x2, 0, 0);
	cr_assert_eq(bm_desc_demote(tss, END, &real, &why), BM_DESC_HIDDEN);
	cr_assert_eq((real >> 47) & 1, 0);
	cr_assert_eq(bm_desc_demote(ldt, END, &real, &why), BM_DESC_HIDDEN);
	cr_assert_eq((real >> 47) & 1, 0);
}

Test(desc, not_present_kept)
{
	uint64_t real;
	const char *why;
	uint64_t g = flat(0x3, 0) & ~(1ull << 47);
	cr_assert_eq(bm_desc_demote(g, END, &real, &why), BM_DESC_OK);
	cr_assert_eq((real >> 47) & 1, 0);
	cr_assert_eq(bm_desc_demote(0, END, &real, &why), BM_DESC_OK);
	cr_assert_eq(real, 0);
}

Test(desc, gate_fields)
{
	uint64_t g = bm_desc_gate(0xC0101234, 0x09, 3, 1);
	cr_assert_eq((uint32_t)g, (0x09u << 16) | 0x1234);
	cr_assert_eq((uint32_t)(g >> 32), 0xC010ef00u);
}

Test(selectors, translation)
{
	cr_assert_eq(bm_sel_to_real(0x08), 0x09);
	cr_assert_eq(bm_sel_to_real(0x10), 0x11);
	cr_assert_eq(bm_sel_to_real(0x1b), 0x1b);
	cr_assert_eq(bm_sel_to_real(0x23), 0x23);
	cr_assert_eq(bm_sel_to_real(0x0), 0x0);
	cr_assert_eq(bm_sel_to_real(0x3), 0x3);
	cr_assert_eq(bm_sel_to_real(0x0c), 0x0d);       /* LDT selector */
	cr_assert_eq(bm_sel_to_guest(0x09), 0x08);
	cr_assert_eq(bm_sel_to_guest(0x11), 0x10);
	cr_assert_eq(bm_sel_to_guest(0x1b), 0x1b);
	cr_assert_eq(bm_sel_to_guest(0x1), 0x1);        /* null stays */
	for (unsigned s = 4; s < 0x10000; s += 4)
		cr_assert_eq(bm_sel_to_guest(bm_sel_to_real(s)), s);
}
