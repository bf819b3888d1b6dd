/*
 * test_ea.c - criterion tests of the faulting-access decoder
 * (backends/baremetal/ea.c, compiled for the host): the monitor uses it
 * to name a guest write into its region.  Instruction bytes are the
 * assembler's (GNU as syntax in the comments).
 * Runs: host, `meson test --suite baremetal`.
 */
#include <criterion/criterion.h>
#include "ea.h"

static struct ab_regs regs(void)
{
	struct ab_regs r = { 0 };
	r.eax = 0xFD000000; r.ebx = 0x1000; r.ecx = 4; r.esi = 0xFD100000;
	r.edi = 0xFC004000; r.ebp = 0x2000; r.esp = 0x3000;
	return r;
}

Test(ea, mov_imm_to_absolute)
{
	/* movl $0xdeadbeef, 0xfd100000 */
	const uint8_t b[16] = { 0xc7, 0x05, 0x00, 0x00, 0x10, 0xfd,
				0xef, 0xbe, 0xad, 0xde };
	struct ab_regs r = regs();
	struct bm_ea ea;
	cr_assert_eq(bm_ea_bytes(b, &r, &ea), 0);
	cr_assert_eq(ea.addr, 0xFD100000);
	cr_assert_eq(ea.size, 4);
	cr_assert_eq(ea.write, 1);
}

Test(ea, sib_scale_disp8_read)
{
	/* movl 0x10(%eax,%ecx,4), %edx */
	const uint8_t b[16] = { 0x8b, 0x54, 0x88, 0x10 };
	struct ab_regs r = regs();
	struct bm_ea ea;
	cr_assert_eq(bm_ea_bytes(b, &r, &ea), 0);
	cr_assert_eq(ea.addr, 0xFD000000 + 16 + 0x10);
	cr_assert_eq(ea.write, 0);
}

Test(ea, prefixes_and_byte_store)
{
	/* movw %ax, %fs:(%ebx) ; movb %al, 8(%ebp) */
	const uint8_t w[16] = { 0x64, 0x66, 0x89, 0x03 };
	const uint8_t b[16] = { 0x88, 0x45, 0x08 };
	struct ab_regs r = regs();
	struct bm_ea ea;
	cr_assert_eq(bm_ea_bytes(w, &r, &ea), 0);
	cr_assert_eq(ea.addr, 0x1000);
	cr_assert_eq(ea.size, 2);
	cr_assert_eq(ea.write, 1);
	cr_assert_eq(bm_ea_bytes(b, &r, &ea), 0);
	cr_assert_eq(ea.addr, 0x2008);
	cr_assert_eq(ea.size, 1);
	cr_assert_eq(ea.write, 1);
}

Test(ea, string_ops_and_moffs)
{
	const uint8_t stos[16] = { 0xf3, 0xab };        /* rep stosl */
	const uint8_t lods[16] = { 0xac };              /* lodsb */
	const uint8_t moffs[16] = { 0xa3, 0x00, 0x00, 0x00, 0xfe }; /* movl %eax, 0xfe000000 */
	struct ab_regs r = regs();
	struct bm_ea ea;
	cr_assert_eq(bm_ea_bytes(stos, &r, &ea), 0);
	cr_assert_eq(ea.addr, 0xFC004000);
	cr_assert_eq(ea.write, 1);
	cr_assert_eq(bm_ea_bytes(lods, &r, &ea), 0);
	cr_assert_eq(ea.addr, 0xFD100000);
	cr_assert_eq(ea.write, 0);
	cr_assert_eq(bm_ea_bytes(moffs, &r, &ea), 0);
	cr_assert_eq(ea.addr, 0xFE000000);
	cr_assert_eq(ea.write, 1);
}

Test(ea, cmp_reads_and_alu_writes)
{
	/* cmpl $1, (%esi) ; addl %eax, (%esi) ; incl (%esi) */
	const uint8_t cmp[16] = { 0x83, 0x3e, 0x01 };
	const uint8_t add[16] = { 0x01, 0x06 };
	const uint8_t inc[16] = { 0xff, 0x06 };
	struct ab_regs r = regs();
	struct bm_ea ea;
	cr_assert_eq(bm_ea_bytes(cmp, &r, &ea), 0);
	cr_assert_eq(ea.write, 0);
	cr_assert_eq(bm_ea_bytes(add, &r, &ea), 0);
	cr_assert_eq(ea.write, 1);
	cr_assert_eq(bm_ea_bytes(inc, &r, &ea), 0);
	cr_assert_eq(ea.write, 1);
	cr_assert_eq(ea.addr, 0xFD100000);
}

Test(ea, no_memory_operand)
{
	const uint8_t regreg[16] = { 0x89, 0xc3 };     /* movl %eax, %ebx */
	const uint8_t lea[16] = { 0x8d, 0x03 };        /* leal (%ebx), %eax */
	const uint8_t push[16] = { 0x50 };             /* pushl %eax */
	const uint8_t a16[16] = { 0x67, 0x8b, 0x07 };  /* 16-bit addressing */
	struct ab_regs r = regs();
	struct bm_ea ea;
	cr_assert_eq(bm_ea_bytes(regreg, &r, &ea), -1);
	cr_assert_eq(bm_ea_bytes(lea, &r, &ea), -1);
	cr_assert_eq(bm_ea_bytes(push, &r, &ea), -1);
	cr_assert_eq(bm_ea_bytes(a16, &r, &ea), -1);
}
