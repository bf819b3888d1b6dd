/*
 * igate.S - a tiny guest whose int $0x80 gate is a DPL-3 INTERRUPT gate,
 * as Linux registers it: user code (ring 3) makes system calls; the
 * handler checks with a patched pushf that it runs with the (virtual) IF
 * clear, as the interrupt gate promises; then user code spins until the
 * guest's own PIT interrupts (100 Hz, through its PIC) have ticked three
 * times after the calls, and a last call reports and exits 0.  On the
 * monitor the calls take the fast path (a trap gate to the wedge's
 * bm_sys_entry, no exit; the test checks that vector 0x80 has 0 exits).
 * Then a TLS-style rewrite: user code reads through %fs = 0x33 (GDT
 * entry 6, base 0), a system call moves that entry's base with plain
 * stores and returns through the patched iret, and user code reloads
 * %fs and must see the new base (the monitor guards the GDT page, so
 * that return must not go natively over a stale mirror).
 * Runs: guest kernel (natively ring 0; under the monitor ring 1) and
 * guest user code (ring 3).
 */
#include "common.h"
	pvh_note

#define NCALLS    1000

	.text
	.globl start
start:
	movl $PHYS(stack_top), %esp
	/* 0..4 MiB at 0 and at KERNBASE, user-accessible (U|W|P) */
	paging_on 0x007
high:
	movl $stack_top, %esp
	desc_base gdt + 5 * 8, tss      /* the TSS descriptor (entry 5) */
	lgdt gdtr
	movl $0x28, %eax
	ltr %ax
	/* gates: 0x20 timer (interrupt, DPL 0), 0x80 (interrupt, DPL 3) */
	idt_gate 0x20, timer, 0x8e00
	idt_gate 0x80, syscall, 0xee00
	lidt idtr
	/* PIC: master at 0x20, slave at 0x28, only IRQ0 unmasked */
	movb $0x11, %al
	outb %al, $0x20
	outb %al, $0xa0
	movb $0x20, %al
	outb %al, $0x21
	movb $0x28, %al
	outb %al, $0xa1
	movb $4, %al
	outb %al, $0x21
	movb $2, %al
	outb %al, $0xa1
	movb $1, %al
	outb %al, $0x21
	outb %al, $0xa1
	movb $0xfe, %al
	outb %al, $0x21
	movb $0xff, %al
	outb %al, $0xa1
	/* PIT channel 0, rate generator, 100 Hz */
	movb $0x34, %al
	outb %al, $0x43
	movb $(11932 & 0xff), %al
	outb %al, $0x40
	movb $(11932 >> 8), %al
	outb %al, $0x40
	say m_user
	/* to user mode with IF set (the patched iret: the iret stub) */
	pushl $0x23
	pushl $ustack_top
	pushl $0x202
	pushl $0x1b
	pushl $user
	PV PV_CLASS_IRET, 5, 1, iret

/* ring 3: NCALLS system calls, then wait for three timer ticks, then
 * the reporting call (eax = 2), which does not return */
user:
	movl $NCALLS, %ecx
1:	movl $1, %eax
	int $0x80
	loop 1b
	movl ticks, %ebx
	addl $3, %ebx
2:	cmpl %ebx, ticks
	jb 2b
	movw $0x33, %ax                 /* TLS: base 0 */
	movw %ax, %fs
	cmpl $0x7151a000, %fs:tls_a
	jne 4f
	movl $3, %eax                   /* kernel: base := tls_b - tls_a */
	int $0x80
	movw $0x33, %ax
	movw %ax, %fs
	cmpl $0x7151b000, %fs:tls_a
	jne 4f
	movl $2, %eax
	int $0x80
3:	jmp 3b
4:	movl $4, %eax                   /* report the stale descriptor */
	int $0x80
	jmp 3b

/* int $0x80: eax 1 = check IF, eax 2 = report and exit */
syscall:
	PV PV_CLASS_PUSHF, 24, 1, pushfl
	testl $0x200, (%esp)
	leal 4(%esp), %esp
	jz 1f
	incl if_set
	jmp 2f
1:	incl if_clear
2:	cmpl $2, %eax
	je report
	cmpl $3, %eax
	je set_tls
	cmpl $4, %eax
	je tls_fail
	PV PV_CLASS_IRET, 5, 1, iret
set_tls:                                /* entry 6 base := tls_b - tls_a */
	desc_base gdt + 6 * 8, (tls_b - tls_a)
	PV PV_CLASS_IRET, 5, 1, iret
tls_fail:
	say m_tlsfail
	exit_with 1
report:
	cmpl $0, if_set
	jne fail
	cmpl $NCALLS + 2, if_clear       /* the calls, the TLS call, report */
	jne fail
	say m_ifclear
	say m_ticks
	say m_tls
	exit_with 0
fail:	say m_fail
	exit_with 1

timer:
	pushl %eax
	incl ticks
	movb $0x20, %al
	outb %al, $0x20
	popl %eax
	PV PV_CLASS_IRET, 5, 1, iret

	puts_fn

	.section .rodata
m_user:    .asciz "igate: to user mode\n"
m_ifclear: .asciz "igate: handler ran with IF clear\n"
m_ticks:   .asciz "igate: timer ticks after the calls\n"
m_fail:    .asciz "igate: FAILED (IF set in the handler)\n"
m_tls:     .asciz "igate: rewritten TLS descriptor seen in user mode\n"
m_tlsfail: .asciz "igate: FAILED (stale TLS descriptor in user mode)\n"

	.data
	.balign 4096                    /* the GDT has a page of its own */
gdt:	.quad 0
	.quad 0x00cf9a000000ffff        /* 0x08 kernel code */
	.quad 0x00cf92000000ffff        /* 0x10 kernel data */
	.quad 0x00cffa000000ffff        /* 0x1b user code */
	.quad 0x00cff2000000ffff        /* 0x23 user data */
	.quad 0x0000890000000067        /* 0x28 TSS (base filled in) */
	.quad 0x00cff2000000ffff        /* 0x33 user data, "TLS" */
gdt_end:
	.balign 4096
gdtr:	.word gdt_end - gdt - 1
	.long gdt
	.balign 4
idtr:	.word 256 * 8 - 1
	.long idt
ticks:	.long 0
if_set:	.long 0
if_clear: .long 0
tls_a:	.long 0x7151a000
tls_b:	.long 0x7151b000
	.balign 4
tss:	.long 0, kstack_top, 0x10
	.space 104 - 12

	.bss
	.balign 4096
pd:	.space 4096
pt:	.space 4096
idt:	.space 256 * 8
	.balign 16
	.space 4096
stack_top:
	.space 4096
kstack_top:
	.space 4096
ustack_top:
