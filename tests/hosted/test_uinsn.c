/*
 * test_uinsn.c - criterion units of backends/hosted/uinsn.c: which user
 * instructions the hosted backend may report as writing the page they
 * faulted on.  A false "write" would make the guest kernel refuse a legal
 * read (SIGSEGV on a read-only mapping), so every doubtful form must say
 * 0.  Runs: host, `meson test --suite hosted`.
 */
#include <criterion/criterion.h>
#include "uinsn.h"

#define STACK 0x0bfff000u                 /* page of esp - 4 below */
static const struct ho_uctx data_fault = { 0x08050000u, STACK + 0x800,
					   0x08060000u, 0x08050000u };
static const struct ho_uctx stack_fault = { STACK, STACK + 0x800,
					    0x08060000u, 0x08050000u };

#define WRITES(ctx, ...) ({ static const uint8_t b_[] = { __VA_ARGS__ }; \
	ho_insn_writes(b_, sizeof b_, &(ctx)); })

Test(uinsn, stores_are_writes)
{
	cr_expect(WRITES(data_fault, 0x88, 0x0c, 0x10));      /* mov %cl,(%eax,%edx) */
	cr_expect(WRITES(data_fault, 0x89, 0x03));            /* mov %eax,(%ebx) */
	cr_expect(WRITES(data_fault, 0xc7, 0x00, 1, 0, 0, 0)); /* movl $1,(%eax) */
	cr_expect(WRITES(data_fault, 0x01, 0x03));            /* add %eax,(%ebx) */
	cr_expect(WRITES(data_fault, 0x83, 0x00, 0x01));      /* addl $1,(%eax) */
	cr_expect(WRITES(data_fault, 0xff, 0x00));            /* incl (%eax) */
	cr_expect(WRITES(data_fault, 0xa3, 0, 0, 5, 8));      /* mov %eax,0x08050000 */
	cr_expect(WRITES(data_fault, 0xf3, 0xab));            /* rep stos */
	cr_expect(WRITES(data_fault, 0x66, 0x89, 0x03));      /* mov %ax,(%ebx) */
	cr_expect(WRITES(data_fault, 0xf0, 0x0f, 0xb1, 0x0b)); /* lock cmpxchg */
	cr_expect(WRITES(data_fault, 0x0f, 0x11, 0x00));      /* movups %xmm0,(%eax) */
	cr_expect(WRITES(data_fault, 0x0f, 0x94, 0x00));      /* sete (%eax) */
	cr_expect(WRITES(data_fault, 0xa5));                  /* movs: edi's page */
}

Test(uinsn, loads_and_doubtful_forms_are_not)
{
	cr_expect(!WRITES(data_fault, 0x8b, 0x08));           /* mov (%eax),%ecx */
	cr_expect(!WRITES(data_fault, 0x89, 0xc3));           /* mov %eax,%ebx */
	cr_expect(!WRITES(data_fault, 0x39, 0x03));           /* cmp %eax,(%ebx) */
	cr_expect(!WRITES(data_fault, 0x83, 0x38, 0x01));     /* cmpl $1,(%eax) */
	cr_expect(!WRITES(data_fault, 0xf7, 0x00, 1, 0, 0, 0)); /* test */
	cr_expect(!WRITES(data_fault, 0xa1, 0, 0, 5, 8));     /* mov 0x08050000,%eax */
	cr_expect(!WRITES(data_fault, 0x0f, 0x10, 0x00));     /* movups (%eax),%xmm0 */
	cr_expect(!WRITES(data_fault, 0x65, 0x89, 0x03));     /* %gs: store: base unknown */
	cr_expect(!WRITES(data_fault, 0x67, 0x89, 0x07));     /* 16-bit addressing */
	cr_expect(!WRITES(data_fault, 0xff, 0x30));           /* push (%eax): reads it */
	cr_expect(!WRITES(data_fault, 0x50));                 /* push: not this page */
	cr_expect(!WRITES(data_fault, 0x89));                 /* truncated */
	static const struct ho_uctx src = { 0x08060000u, STACK + 0x800,
					    0x08060000u, 0x08050000u };
	cr_expect(!WRITES(src, 0xa5));                        /* movs: esi's page */
}

Test(uinsn, stack_writes_only_on_the_stack_page)
{
	cr_expect(WRITES(stack_fault, 0x50));                 /* push %eax */
	cr_expect(WRITES(stack_fault, 0x6a, 0x01));           /* push $1 */
	cr_expect(WRITES(stack_fault, 0xe8, 0, 0, 0, 0));     /* call rel32 */
	cr_expect(WRITES(stack_fault, 0xff, 0xd0));           /* call *%eax */
	cr_expect(!WRITES(stack_fault, 0x8b, 0x04, 0x24));    /* mov (%esp),%eax */
}
