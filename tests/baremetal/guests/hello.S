/*
 * hello.S - the smallest guest the monitor test boots: prints from
 * ring 1 with paging off, builds its own page tables, turns paging on
 * (mov to CR3/CR0 trap and are emulated; the monitor shadows the tables),
 * checks that the accessed/dirty bits of a written page appear in its
 * own PTE, remaps a page and checks invlpg, then exits with status 0.
 * Runs: guest kernel (natively ring 0; under the monitor ring 1).
 */
#include "common.h"
	pvh_note

	.text
	.globl start
start:
	movl $PHYS(stack_top), %esp
	say PHYS(m_hello)
	/* page table: 0..4 MiB, mapped at 0 and at KERNBASE; no A/D set */
	paging_on 0x003
high:
	movl $stack_top, %esp
	say m_paging
	/* the write below must set A and D in the PTE of its page */
	movl $0x1234, var
	movl $var, %ebx
	shrl $12, %ebx
	andl $1023, %ebx
	movl pt(, %ebx, 4), %eax
	andl $0x60, %eax
	cmpl $0x60, %eax
	jne fail
	say m_ad
	/* invlpg: map page 0x3ff at the frame of var, then at frame 0x3fe */
	movl $var - KERNBASE + 3, %eax
	andl $~0xfff, %eax
	orl $3, %eax
	movl %eax, pt + 0x3ff * 4
	movl 0xC03ff000, %ecx
	cmpl $0x1234, %ecx
	jne fail
	movl $0x3fe003, pt + 0x3ff * 4
	movl $0x5678, 0xC03fe000
	invlpg 0xC03ff000
	movl 0xC03ff000, %ecx
	cmpl $0x5678, %ecx
	jne fail
	say m_invlpg
	/* CR3 reload after changing the PTE back */
	movl $var - KERNBASE + 3, pt + 0x3ff * 4
	movl %cr3, %eax
	movl %eax, %cr3
	movl 0xC03ff000, %ecx
	cmpl $0x1234, %ecx
	jne fail
	say m_ok
	exit_with 0
fail:	say m_fail
	exit_with 1

	puts_fn

	.section .rodata
m_hello:  .asciz "hello: running deprivileged, paging off\n"
m_paging: .asciz "hello: paging on\n"
m_ad:     .asciz "hello: accessed/dirty ok\n"
m_invlpg: .asciz "hello: invlpg ok\n"
m_ok:     .asciz "hello: all ok\n"
m_fail:   .asciz "hello: FAILED\n"

	.bss
	.balign 4096
pd:	.space 4096
pt:	.space 4096
	.balign 4096
var:	.space 4096
	.space 4096
stack_top:
