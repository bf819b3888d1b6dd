/*
 * test_asmscan.c - criterion unit tests of the compiler pass's asm-text
 * scanner (compiler-pass/pv_asmscan.c): classification of statements and
 * the exact rewritten text, on strings shaped like the inline asm of a
 * 32-bit kernel (irq flags, port I/O, descriptor tables, control
 * registers, MSRs, segments, alternatives).  Runs: host.
 * Used by: meson test -C <build> --suite pass
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pv_asmscan.h"
#include "previrt/sites.h"

/* ---- helpers ---------------------------------------------------------- */

static int cls_ir(const char *s)
{
	return pvs_classify(s, strlen(s), PVS_SYNTAX_IR);
}

/* The documented site text (docs/compiler-pass.md) for insn of class cls. */
static char *site(const char *insn, int cls)
{
	char *s = NULL;
	unsigned pad = pv_class_info((unsigned)cls)->pad;
	cr_assert(asprintf(&s,
		"88801: %s\n\t"
		"88802: .fill -(((%u)-(88802b-88801b)) > 0) * ((%u)-(88802b-88801b)), 1, 0x90\n\t"
		"88803:\n\t"
		".pushsection .previrt.sites,\"\",@progbits\n\t"
		".balign 4\n\t"
		".long 88801b\n\t"
		".byte 88803b-88801b, 88802b-88801b, %d, 1\n\t"
		".popsection", insn, pad, pad, cls) > 0);
	return s;
}

/* Concatenate NULL-terminated pieces; pieces from site() are freed. */
static char *cat(const char *first, ...)
{
	size_t n = 1;
	va_list ap;
	va_start(ap, first);
	for (const char *p = first; p; p = va_arg(ap, const char *))
		n += strlen(p);
	va_end(ap);
	char *out = calloc(1, n);
	va_start(ap, first);
	for (const char *p = first; p; p = va_arg(ap, const char *))
		strcat(out, p);
	va_end(ap);
	return out;
}

static void expect_rewrite(const char *in, int syn, const char *want,
			   unsigned nsites)
{
	struct pvs_result r;
	cr_assert_eq(pvs_rewrite(in, syn, &r), 0);
	cr_assert_not_null(r.text, "no rewrite of [%s]", in);
	cr_expect_str_eq(r.text, want, "rewrite of [%s]", in);
	cr_expect_eq(r.nsites, nsites, "sites in [%s]: %u", in, r.nsites);
	cr_expect_eq(r.nunmarked, 0, "unmarked in [%s]: %s", in, r.why);
	pvs_result_free(&r);
}

static void expect_unchanged(const char *in, int syn, unsigned nunmarked)
{
	struct pvs_result r;
	cr_assert_eq(pvs_rewrite(in, syn, &r), 0);
	cr_expect_null(r.text, "[%s] was rewritten to [%s]", in,
		       r.text ? r.text : "");
	cr_expect_eq(r.nsites, 0);
	cr_expect_eq(r.nunmarked, nunmarked, "unmarked in [%s]: %u (%s)", in,
		     r.nunmarked, r.why);
	pvs_result_free(&r);
}

/* ---- classification --------------------------------------------------- */

struct cls_case {
	const char *insn;
	int cls;
};

static void check_cases(const struct cls_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cr_expect_eq(cls_ir(c[i].insn), c[i].cls, "[%s]: got %d want %d",
			     c[i].insn, cls_ir(c[i].insn), c[i].cls);
}

#define CHECK(arr) check_cases(arr, sizeof(arr) / sizeof(arr[0]))

Test(classify, irq_flags)
{
	static const struct cls_case c[] = {
		{ "cli", PV_CLASS_CLI }, { "sti", PV_CLASS_STI },
		{ "CLI", PV_CLASS_CLI }, { "pushf", PV_CLASS_PUSHF },
		{ "pushfl", PV_CLASS_PUSHF }, { "pushfw", PV_CLASS_PUSHF },
		{ "popf", PV_CLASS_POPF }, { "popfl", PV_CLASS_POPF },
		{ "popfw", PV_CLASS_POPF }, { "hlt", PV_CLASS_HLT },
		{ "iret", PV_CLASS_IRET }, { "iretl", PV_CLASS_IRET },
		{ "iretw", PV_CLASS_IRET }, { "int $$0x80", PV_CLASS_INT },
		{ "int $$3", PVS_NONE }, { "int $$0x03", PVS_NONE },
		{ "int $3", PV_CLASS_INT },     /* IR: operand 3, not imm 3 */
		{ "int $$4", PV_CLASS_INT }, { "int ${0:c}", PV_CLASS_INT },
		{ "int3", PVS_NONE }, { "into", PVS_NONE },
		{ "lret", PV_CLASS_LRET }, { "lretl $$8", PV_CLASS_LRET },
		{ "lretw", PV_CLASS_LRET },
	};
	CHECK(c);
}

Test(classify, port_io)
{
	static const struct cls_case c[] = {
		{ "inb ${1:w}, ${0:b}", PV_CLASS_IO },
		{ "inb $$0x80, %al", PV_CLASS_IO },
		{ "inw %dx, %ax", PV_CLASS_IO },
		{ "inl %dx, %eax", PV_CLASS_IO },
		{ "in %dx, %al", PV_CLASS_IO },
		{ "outb ${0:b}, ${1:w}", PV_CLASS_IO },
		{ "outw %ax, %dx", PV_CLASS_IO },
		{ "outl %eax, $$0x70", PV_CLASS_IO },
		{ "out %al, $$0x80", PV_CLASS_IO },
		{ "insb", PV_CLASS_IO_STRING }, { "insw", PV_CLASS_IO_STRING },
		{ "insl", PV_CLASS_IO_STRING }, { "outsb", PV_CLASS_IO_STRING },
		{ "outsw", PV_CLASS_IO_STRING },
		{ "rep outsl", PV_CLASS_IO_STRING },
		{ "rep insw", PV_CLASS_IO_STRING },
		{ "rep; outsb", PVS_OPAQUE },   /* ';' splits: never one insn */
		{ "data16 outsl", PV_CLASS_IO_STRING },
	};
	CHECK(c);
}

Test(classify, descriptors_and_tasks)
{
	static const struct cls_case c[] = {
		{ "lgdt $0", PV_CLASS_LOAD_DT }, { "lidt $0", PV_CLASS_LOAD_DT },
		{ "lidtl (%eax)", PV_CLASS_LOAD_DT },
		{ "lgdtl ${0:P}", PV_CLASS_LOAD_DT },
		{ "sgdt $0", PV_CLASS_STORE_DT }, { "sidt $0", PV_CLASS_STORE_DT },
		{ "sidtl (%ecx)", PV_CLASS_STORE_DT },
		{ "lldt ${0:w}", PV_CLASS_LOAD_TR_LDT },
		{ "ltr ${0:w}", PV_CLASS_LOAD_TR_LDT },
		{ "ltrw %ax", PV_CLASS_LOAD_TR_LDT },
		{ "sldt $0", PV_CLASS_STORE_TR_LDT },
		{ "str $0", PV_CLASS_STORE_TR_LDT },
		{ "strl %eax", PV_CLASS_STORE_TR_LDT },
		{ "smsw $0", PV_CLASS_SMSW }, { "smswl %eax", PV_CLASS_SMSW },
		{ "lmsw ${0:w}", PV_CLASS_LMSW }, { "clts", PV_CLASS_CLTS },
		{ "lar $1, $0", PV_CLASS_SEG_QUERY },
		{ "lsll %eax, %edx", PV_CLASS_SEG_QUERY },
		{ "verr $0", PV_CLASS_SEG_QUERY },
		{ "verw ${0:w}", PV_CLASS_SEG_QUERY },
	};
	CHECK(c);
}

Test(classify, control_debug_msr)
{
	static const struct cls_case c[] = {
		{ "movl %cr0, $0", PV_CLASS_MOV_FROM_CR },
		{ "mov %cr2, $0", PV_CLASS_MOV_FROM_CR },
		{ "mov %cr3, %eax", PV_CLASS_MOV_FROM_CR },
		{ "movl %CR4, ${0:k}", PV_CLASS_MOV_FROM_CR },
		{ "mov $0, %cr3", PV_CLASS_MOV_TO_CR },
		{ "movl %eax, %cr0", PV_CLASS_MOV_TO_CR },
		{ "mov $0,%cr4", PV_CLASS_MOV_TO_CR },
		{ "movl %db7, $0", PV_CLASS_MOV_DR },
		{ "mov %dr6, $0", PV_CLASS_MOV_DR },
		{ "mov $0, %dr7", PV_CLASS_MOV_DR },
		{ "invlpg ($0)", PV_CLASS_INVLPG },
		{ "invlpg $0", PV_CLASS_INVLPG },
		{ "wbinvd", PV_CLASS_CACHE }, { "invd", PV_CLASS_CACHE },
		{ "rdmsr", PV_CLASS_MSR }, { "wrmsr", PV_CLASS_MSR },
		{ "cpuid", PV_CLASS_CPUID }, { "sysenter", PV_CLASS_SYSENTER },
		{ "sysexit", PV_CLASS_SYSEXIT },
	};
	CHECK(c);
}

Test(classify, segments)
{
	static const struct cls_case c[] = {
		{ "movl %eax, %fs", PV_CLASS_SEG_LOAD },
		{ "movw ${0:w}, %gs", PV_CLASS_SEG_LOAD },
		{ "mov $0, %ss", PV_CLASS_SEG_LOAD },
		{ "mov %ds, %ax", PV_CLASS_SEG_READ },
		{ "movl %cs, $0", PV_CLASS_SEG_READ },
		{ "movw %gs, ${0:w}", PV_CLASS_SEG_READ },
		{ "push %cs", PV_CLASS_SEG_READ },
		{ "pushl %fs", PV_CLASS_SEG_READ },
		{ "pushw %ss", PV_CLASS_SEG_READ },
		{ "pop %ss", PV_CLASS_SEG_LOAD },
		{ "popl %ds", PV_CLASS_SEG_LOAD },
		{ "ljmp $$0x10, $$1f", PV_CLASS_FAR_XFER },
		{ "ljmp *($0)", PV_CLASS_FAR_XFER },
		{ "lcall *%cs:(%eax)", PV_CLASS_FAR_XFER },
		{ "lcall $$0x8, $$0", PV_CLASS_FAR_XFER },
		{ "jmp $$0x10, $$2f", PV_CLASS_FAR_XFER },
		{ "lds ($0), %eax", PV_CLASS_SEG_LOAD_FAR },
		{ "lssl (%esp), %esp", PV_CLASS_SEG_LOAD_FAR },
		{ "lgs $1, $0", PV_CLASS_SEG_LOAD_FAR },
		{ "lfs $1, $0", PV_CLASS_SEG_LOAD_FAR },
		{ "les $1, $0", PV_CLASS_SEG_LOAD_FAR },
	};
	CHECK(c);
}

Test(classify, not_sensitive)
{
	static const struct cls_case c[] = {
		{ "movl %fs:0x10, %eax", PVS_NONE },
		{ "movl %eax, %fs:0x10", PVS_NONE },
		{ "mov %gs:(%eax), $0", PVS_NONE },
		{ "movl %es:(%edi), %eax", PVS_NONE },
		{ "movl %eax, %ebx", PVS_NONE },
		{ "movl $$0x10, %eax", PVS_NONE },
		{ "incl $0", PVS_NONE }, { "lock incl $0", PVS_NONE },
		{ "lock; incl", PVS_OPAQUE },
		{ "push %eax", PVS_NONE }, { "pop %ebx", PVS_NONE },
		{ "pushl $$0", PVS_NONE }, { "jmp *%eax", PVS_NONE },
		{ "jmp 1f", PVS_NONE }, { "call ${1:P}", PVS_NONE },
		{ "rdtsc", PVS_NONE }, { "pause", PVS_NONE },
		{ "movsl", PVS_NONE }, { "cmpxchg8b $0", PVS_NONE },
		{ "xchg %eax, %eax", PVS_NONE }, { "int3", PVS_NONE },
		{ "inc %eax", PVS_NONE }, { "incb $0", PVS_NONE },
		{ "clts_done", PVS_NONE }, { "string", PVS_NONE },
		{ "cli_x", PVS_NONE }, { "movl %ecx, %cr", PVS_NONE },
		{ "mov %crx, %eax", PVS_NONE }, { "x = 1", PVS_NONE },
		{ "x=1", PVS_NONE }, { "", PVS_NONE }, { "   ", PVS_NONE },
		{ "_ASM_EXTABLE 1b, 2b", PVS_NONE },
	};
	CHECK(c);
}

Test(classify, prefixes_and_opaque)
{
	static const struct cls_case c[] = {
		{ "rep", PVS_PREFIX }, { "lock", PVS_PREFIX },
		{ "repz", PVS_PREFIX }, { " data16 ", PVS_PREFIX },
		{ "$0", PVS_OPAQUE }, { "\\insn %eax", PVS_OPAQUE },
		{ "${0:c} %eax", PVS_OPAQUE }, { "{disp32} mov %eax, %ebx", PVS_OPAQUE },
	};
	CHECK(c);
}

Test(classify, raw_int3)
{
	const char *s = "int $3";
	cr_expect_eq(pvs_classify(s, strlen(s), PVS_SYNTAX_RAW), PVS_NONE);
	s = "int $0x80";
	cr_expect_eq(pvs_classify(s, strlen(s), PVS_SYNTAX_RAW), PV_CLASS_INT);
	s = "int3";
	cr_expect_eq(pvs_classify(s, strlen(s), PVS_SYNTAX_RAW), PVS_NONE);
}

Test(classify, intel_operands)
{
	const char *s = "mov cr3, eax";
	cr_expect_eq(pvs_classify(s, strlen(s), PVS_SYNTAX_IR | PVS_SYNTAX_INTEL),
		     PV_CLASS_MOV_FROM_CR);
	s = "mov ds, ax";
	cr_expect_geq(pvs_classify(s, strlen(s), PVS_SYNTAX_INTEL), 0);
	cr_expect_eq(cls_ir("mov cr3, eax"), PVS_NONE);   /* AT&T: symbols */
}

/* ---- rewriting -------------------------------------------------------- */

Test(rewrite, exact_cli_text)
{
	/* The literal format, spelled out once with the class-table values. */
	char want[600];
	snprintf(want, sizeof want,
		 "88801: cli\n\t"
		 "88802: .fill -(((%u)-(88802b-88801b)) > 0) * ((%u)-(88802b-88801b)), 1, 0x90\n\t"
		 "88803:\n\t"
		 ".pushsection .previrt.sites,\"\",@progbits\n\t"
		 ".balign 4\n\t.long 88801b\n\t"
		 ".byte 88803b-88801b, 88802b-88801b, 0, 1\n\t.popsection",
		 (unsigned)pv_class_info(PV_CLASS_CLI)->pad,
		 (unsigned)pv_class_info(PV_CLASS_CLI)->pad);
	expect_rewrite("cli", PVS_SYNTAX_IR, want, 1);
	cr_expect_eq(PV_CLASS_CLI, 0);
}

Test(rewrite, save_flags_two_statements)
{
	char *want = cat(site("pushf", PV_CLASS_PUSHF), " ; pop $0", NULL);
	expect_rewrite("pushf ; pop $0", PVS_SYNTAX_IR, want, 1);
	free(want);
	want = cat(site("pushfl", PV_CLASS_PUSHF), "\n\tpopl $0", NULL);
	expect_rewrite("pushfl\n\tpopl $0", PVS_SYNTAX_IR, want, 1);
	free(want);
}

Test(rewrite, restore_flags_and_safe_halt)
{
	char *want = cat("push $0 ; ", site("popf", PV_CLASS_POPF), NULL);
	expect_rewrite("push $0 ; popf", PVS_SYNTAX_IR, want, 1);
	free(want);
	want = cat(site("sti", PV_CLASS_STI), "; ", site("hlt", PV_CLASS_HLT),
		   NULL);
	expect_rewrite("sti; hlt", PVS_SYNTAX_IR, want, 2);
	free(want);
}

Test(rewrite, labels_before_insn)
{
	char *want = cat("1: ", site("cli", PV_CLASS_CLI), "\n\tjmp 1b", NULL);
	expect_rewrite("1: cli\n\tjmp 1b", PVS_SYNTAX_IR, want, 1);
	free(want);
	want = cat(".Lpv${:uid}: ", site("hlt", PV_CLASS_HLT), NULL);
	expect_rewrite(".Lpv${:uid}: hlt", PVS_SYNTAX_IR, want, 1);
	free(want);
	want = cat("2:\n\t", site("sti", PV_CLASS_STI), NULL);
	expect_rewrite("2:\n\tsti", PVS_SYNTAX_IR, want, 1);
	free(want);
}

Test(rewrite, comments)
{
	char *want = cat(site("cli", PV_CLASS_CLI),
			 " # irqs off: cli; sti\n\tnop", NULL);
	expect_rewrite("cli # irqs off: cli; sti\n\tnop", PVS_SYNTAX_IR, want, 1);
	free(want);
	want = cat(site("sti /* on */", PV_CLASS_STI), NULL);
	expect_rewrite("sti /* on */", PVS_SYNTAX_IR, want, 1);
	free(want);
	expect_unchanged("# cli\n\tnop", PVS_SYNTAX_IR, 0);
	expect_unchanged("/* cli; sti\n hlt */ nop", PVS_SYNTAX_IR, 0);
	expect_unchanged("nop # pushf; popf", PVS_SYNTAX_IR, 0);
}

Test(rewrite, rep_prefix_statements)
{
	char *want = cat(site("rep; outsb", PV_CLASS_IO_STRING), NULL);
	expect_rewrite("rep; outsb", PVS_SYNTAX_IR, want, 1);
	free(want);
	want = cat(site("rep outsl", PV_CLASS_IO_STRING), NULL);
	expect_rewrite("rep outsl", PVS_SYNTAX_IR, want, 1);
	free(want);
	want = cat("cld\n\t", site("rep ; insw", PV_CLASS_IO_STRING),
		   "\n\tnop", NULL);
	expect_rewrite("cld\n\trep ; insw\n\tnop", PVS_SYNTAX_IR, want, 1);
	free(want);
	expect_unchanged("lock; incl $0", PVS_SYNTAX_IR, 0);
	expect_unchanged("rep; movsl", PVS_SYNTAX_IR, 0);
}

Test(rewrite, port_io_shapes)
{
	char *want = cat(site("outb ${0:b}, ${1:w}", PV_CLASS_IO), NULL);
	expect_rewrite("outb ${0:b}, ${1:w}", PVS_SYNTAX_IR, want, 1);
	free(want);
	/* io delay after an access: two sites */
	want = cat(site("inb ${1:w}, ${0:b}", PV_CLASS_IO), "\n\t",
		   site("outb %al, $$0x80", PV_CLASS_IO), NULL);
	expect_rewrite("inb ${1:w}, ${0:b}\n\toutb %al, $$0x80", PVS_SYNTAX_IR,
		       want, 2);
	free(want);
}

Test(rewrite, descriptor_reload)
{
	const char *in = "lgdt $0\n\tljmp $$0x10, $$1f\n1:\n\t"
			 "movl ${1:k}, %ds\n\tmovl ${1:k}, %es\n\t"
			 "movl %fs:0x10, %eax";
	char *want = cat(site("lgdt $0", PV_CLASS_LOAD_DT), "\n\t",
			 site("ljmp $$0x10, $$1f", PV_CLASS_FAR_XFER), "\n1:\n\t",
			 site("movl ${1:k}, %ds", PV_CLASS_SEG_LOAD), "\n\t",
			 site("movl ${1:k}, %es", PV_CLASS_SEG_LOAD),
			 "\n\tmovl %fs:0x10, %eax", NULL);
	expect_rewrite(in, PVS_SYNTAX_IR, want, 4);
	free(want);
}

Test(rewrite, control_registers_and_msr)
{
	char *want = cat(site("mov %cr3, $0", PV_CLASS_MOV_FROM_CR), NULL);
	expect_rewrite("mov %cr3, $0", PVS_SYNTAX_IR, want, 1);
	free(want);
	want = cat(site("wrmsr", PV_CLASS_MSR), NULL);
	expect_rewrite("wrmsr", PVS_SYNTAX_IR, want, 1);
	free(want);
	want = cat("1: ", site("rdmsr", PV_CLASS_MSR), " ; 2:\n\t"
		   ".pushsection __ex_table,\"a\"\n\t.long 1b, 2b\n\t.popsection",
		   NULL);
	expect_rewrite("1: rdmsr ; 2:\n\t.pushsection __ex_table,\"a\"\n\t"
		       ".long 1b, 2b\n\t.popsection", PVS_SYNTAX_IR, want, 1);
	free(want);
}

Test(rewrite, alternatives_replacement_marked)
{
	const char *in =
		"661:\n\tpushfl ; popl $0\n662:\n"
		".skip -(((6651f-6641f)-(662b-661b)) > 0) * "
		"((6651f-6641f)-(662b-661b)),0x90\n663:\n"
		".pushsection .altinstructions,\"a\"\n .long 661b - .\n"
		".popsection\n"
		".pushsection .altinstr_replacement, \"ax\"\n"
		"6641:\n\tcli\n6651:\n\t.popsection";
	char *want = cat(
		"661:\n\t", site("pushfl", PV_CLASS_PUSHF), " ; popl $0\n662:\n"
		".skip -(((6651f-6641f)-(662b-661b)) > 0) * "
		"((6651f-6641f)-(662b-661b)),0x90\n663:\n"
		".pushsection .altinstructions,\"a\"\n .long 661b - .\n"
		".popsection\n"
		".pushsection .altinstr_replacement, \"ax\"\n"
		"6641:\n\t", site("cli", PV_CLASS_CLI),
		"\n6651:\n\t.popsection", NULL);
	expect_rewrite(in, PVS_SYNTAX_IR, want, 2);
	free(want);
}

Test(rewrite, asm_goto_shape)
{
	const char *in = "1: movl ${0:k}, %gs\n\tjmp ${1:l}\n\t"
			 ".pushsection .fixup,\"ax\"\n2: jmp ${2:l}\n\t.popsection";
	char *want = cat("1: ", site("movl ${0:k}, %gs", PV_CLASS_SEG_LOAD),
			 "\n\tjmp ${1:l}\n\t.pushsection .fixup,\"ax\"\n2: jmp "
			 "${2:l}\n\t.popsection", NULL);
	expect_rewrite(in, PVS_SYNTAX_IR, want, 1);
	free(want);
}

Test(rewrite, raw_module_asm)
{
	char *want = cat("\t.text\npv_trap:\n\tint $3\n\t",
			 site("int $0x80", PV_CLASS_INT), "\n\t",
			 site("iret", PV_CLASS_IRET), "\n", NULL);
	expect_rewrite("\t.text\npv_trap:\n\tint $3\n\tint $0x80\n\tiret\n",
		       PVS_SYNTAX_RAW, want, 2);
	free(want);
}

Test(rewrite, macro_body_marked)
{
	char *want = cat(".macro pv_seg reg\n\t",
			 site("movl \\reg, %ds", PV_CLASS_SEG_LOAD),
			 "\n\t.endm\n", NULL);
	expect_rewrite(".macro pv_seg reg\n\tmovl \\reg, %ds\n\t.endm\n",
		       PVS_SYNTAX_RAW, want, 1);
	free(want);
}

Test(rewrite, idempotent)
{
	struct pvs_result a, b;
	cr_assert_eq(pvs_rewrite("cli; sti", PVS_SYNTAX_IR, &a), 0);
	cr_assert_not_null(a.text);
	cr_assert_eq(pvs_rewrite(a.text, PVS_SYNTAX_IR, &b), 0);
	cr_expect_null(b.text);
	pvs_result_free(&a);
	pvs_result_free(&b);
}

Test(rewrite, untouched)
{
	expect_unchanged("movl %fs:0x10, $0", PVS_SYNTAX_IR, 0);
	expect_unchanged("movl %eax, %ebx\n\tincl $0", PVS_SYNTAX_IR, 0);
	expect_unchanged(".byte 0xfa\n\t.byte 0x0f, 0x01, 0xd9", PVS_SYNTAX_IR, 0);
	expect_unchanged(".ascii \"cli; sti\"\n\tnop", PVS_SYNTAX_IR, 0);
	expect_unchanged("cli_done: nop\n\tjmp cli_done", PVS_SYNTAX_IR, 0);
	expect_unchanged("str_end:\n\tleal str_end, $0", PVS_SYNTAX_IR, 0);
	expect_unchanged(".section .text.cli,\"ax\"\n\t.previous", PVS_SYNTAX_IR, 0);
	expect_unchanged("", PVS_SYNTAX_IR, 0);
	expect_unchanged("rdtsc", PVS_SYNTAX_IR, 0);
	expect_unchanged("lock; cmpxchg8b $0", PVS_SYNTAX_IR, 0);
	expect_unchanged("cli\n\t.pushsection .previrt.sites\n\t.popsection",
			 PVS_SYNTAX_IR, 0);
}

Test(rewrite, intel_left_with_warning)
{
	expect_unchanged("cli", PVS_SYNTAX_IR | PVS_SYNTAX_INTEL, 1);
	expect_unchanged("mov eax, 1", PVS_SYNTAX_IR | PVS_SYNTAX_INTEL, 0);
	char *want = cat(".intel_syntax noprefix\n\tmov cr3, eax\n\t"
			 ".att_syntax prefix\n\t", site("cli", PV_CLASS_CLI), NULL);
	struct pvs_result r;
	cr_assert_eq(pvs_rewrite(".intel_syntax noprefix\n\tmov cr3, eax\n\t"
				 ".att_syntax prefix\n\tcli", PVS_SYNTAX_IR, &r), 0);
	cr_expect_str_eq(r.text, want);
	cr_expect_eq(r.nsites, 1);
	cr_expect_eq(r.nunmarked, 1);
	cr_expect(strstr(r.why, "mov cr3, eax") != NULL, "why: %s", r.why);
	pvs_result_free(&r);
	free(want);
}

Test(rewrite, opaque_warns)
{
	expect_unchanged("\\insn %eax", PVS_SYNTAX_RAW, 1);
	expect_unchanged("nop\n\t$0", PVS_SYNTAX_IR, 1);
}

Test(rewrite, every_class_has_pad_ge_min)
{
	for (unsigned c = 0; c < PV_CLASS_COUNT; c++)
		cr_expect_geq(pv_class_info(c)->pad, PV_SITE_MIN_LEN);
}
