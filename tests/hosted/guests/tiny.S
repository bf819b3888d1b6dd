/*
 * tiny.S - tiny PVH test guests for the hosted backend, one per -DMODE:
 *   HELLO   print over the UART through patched sites (call and inline),
 *           take timer interrupts through a guest IDT, read through %fs
 *           and %gs with non-zero descriptor bases, exit 42 on 0xf4
 *   ESCAPE  far-jump to 64-bit code and try a host write(2) (allowed to
 *           the backend) then open(2): the sandbox must stop the first
 *   PRIVATE jump into the runtime's private area above the wedge
 *   BADSITE a site whose bytes are not its recorded class: refused
 *   TRIPLE  #UD with an empty IDT: #DF, then a triple fault
 *   TLB     paging on; change a kernel-half (0xC0000000) page-table entry
 *           and reload CR3, switch between directories whose kernel-half
 *           entries differ or agree: every read must see the current
 *           mapping (the hosted TLB keeps the kernel half across CR3
 *           loads only when that is invisible); exit 42
 *   EXC     #DE (SIGFPE), int3 (SIGTRAP) and #UD (SIGILL) in the guest
 *           kernel reach the guest IDT with fault/trap return addresses
 *           right; exit 42
 *   ECHO    read one byte from the UART (polling LSR), echo it, exit
 *           with it as the status
 *   USERTLS user code loads %gs itself with GDT selector 0x33 (as glibc
 *           does with set_thread_area's entry; 0x33 is the host's 64-bit
 *           code selector), reads %gs:0 and %gs:-4 (wrapping below the
 *           base), then int $0x80: the kernel must see both words and
 *           %gs = 0x33; exit 42
 *   SEGS    segment sites (the hosted fast stubs, or the runtime with
 *           PREVIRT_HOSTED_NO_SEGSTUBS=1): values read back after mov/pop
 *           loads of DS/ES (null too), flags and scratch registers kept,
 *           FS/GS loads (fast only when the base stays, else the runtime
 *           with the new base seen through %fs:/%gs:), the value surviving an
 *           exit; loads of a not-present (#NP), system, beyond-limit and
 *           LDT selector (#GP) fault with the error code and leave the
 *           register and the stack as they were, also after the GDT entry
 *           is edited in place without lgdt; a GDT outside RAM (the
 *           stub's read fails: the runtime takes over); exit 42
 *   FSRACE  as HELLO, then with the timer at 1 kHz and interrupts on,
 *           500 ms of fast-path site calls (inb) each followed by a read
 *           through %fs (non-zero base): a timer signal that lands
 *           while the backend returns to the guest must not leave the
 *           host's TLS base in FS (Linux SMP's per-CPU %fs); exit 42
 * Runs: guest kernel (ring 0 natively; deprivileged under previrt), flat,
 * paging off, linked at 0x100000.  Sites are recorded by the PV macro in
 * the site-table ABI (sites.h), as the compiler pass would.
 */
#define MODE_HELLO 1
#define MODE_ESCAPE 2
#define MODE_PRIVATE 3
#define MODE_BADSITE 4
#define MODE_TRIPLE 5
#define MODE_ECHO 6
#define MODE_TLB 7
#define MODE_EXC 8
#define MODE_USERTLS 9
#define MODE_SEGS 10
#define MODE_FSRACE 11

#include "previrt/sites-asm.h"            /* PV, PV_CLASS_* */

	.section .note.Xen, "a", @note
	.balign 4
	.long 4, 4, 18
	.asciz "Xen"
	.long start

	.text
	.code32
	.globl start
start:
	movl $stack_top, %esp
	PV PV_CLASS_CLI, 8, 1, cli
	movl $msg_start, %esi
	call puts
#if MODE == MODE_TLB
	call tlb_test
	movl $msg_tlb, %esi
	call puts
	movb $42, %al
	PV PV_CLASS_IO, 5, 2, outb %al, $0xf4
#endif
#if MODE == MODE_EXC
	call exc_test
	movl $msg_exc, %esi
	call puts
	movb $42, %al
	PV PV_CLASS_IO, 5, 2, outb %al, $0xf4
#endif
#if MODE == MODE_USERTLS
	jmp usertls_test
#endif
#if MODE == MODE_SEGS
	call segs_test
	movl $msg_segs, %esi
	call puts
	movb $42, %al
	PV PV_CLASS_IO, 5, 2, outb %al, $0xf4
#endif
#if MODE == MODE_HELLO || MODE == MODE_FSRACE
	call timer_test
	movl $msg_ok, %esi
	call puts
	call seg_base_test
	movl $msg_seg, %esi
	call puts
#if MODE == MODE_FSRACE
	call fs_race_test
	movl $msg_race, %esi
	call puts
#endif
	movb $42, %al
	PV PV_CLASS_IO, 5, 2, outb %al, $0xf4
#elif MODE == MODE_ESCAPE
	ljmp $0x33, $code64
#elif MODE == MODE_PRIVATE
	movl $0xfe000000, %eax
	jmp *%eax
#elif MODE == MODE_BADSITE
	PV PV_CLASS_CLI, 8, 1, sti
#elif MODE == MODE_ECHO
	movw $0x3fd, %dx
1:	PV PV_CLASS_IO, 5, 1, inb %dx, %al
	testb $1, %al
	jz 1b
	movw $0x3f8, %dx
	PV PV_CLASS_IO, 5, 1, inb %dx, %al
	PV PV_CLASS_IO, 5, 1, outb %al, %dx
	PV PV_CLASS_IO, 5, 2, outb %al, $0xf4
#elif MODE == MODE_TRIPLE
	PV PV_CLASS_LOAD_DT, 7, 7, lidt idtr_empty
	ud2
#endif
1:	jmp 1b

/* puts: %esi -> COM1, through an `outb %al, %dx` call site. */
puts:
	movw $0x3f8, %dx
1:	lodsb
	testb %al, %al
	jz 2f
	PV PV_CLASS_IO, 5, 1, outb %al, %dx
	jmp 1b
2:	ret

#if MODE == MODE_HELLO || MODE == MODE_FSRACE
/* IDT with IRQ0 (vector 0x20) -> tick; PIC remapped; PIT at 1 kHz;
 * sti; hlt until three ticks; cli. */
timer_test:
	movl $tick, %eax
	movw %ax, idt + 0x20 * 8
	movw $0x10, idt + 0x20 * 8 + 2
	movw $0x8e00, idt + 0x20 * 8 + 4
	shrl $16, %eax
	movw %ax, idt + 0x20 * 8 + 6
	PV PV_CLASS_LOAD_DT, 7, 7, lgdt gdtr
	PV PV_CLASS_LOAD_DT, 7, 7, lidt idtr
	movb $0x11, %al
	PV PV_CLASS_IO, 5, 2, outb %al, $0x20
	movb $0x20, %al
	PV PV_CLASS_IO, 5, 2, outb %al, $0x21
	movb $0x04, %al
	PV PV_CLASS_IO, 5, 2, outb %al, $0x21
	movb $0x01, %al
	PV PV_CLASS_IO, 5, 2, outb %al, $0x21
	movb $0xfe, %al
	PV PV_CLASS_IO, 5, 2, outb %al, $0x21
	movb $0x34, %al
	PV PV_CLASS_IO, 5, 2, outb %al, $0x43
	movb $0xa9, %al                 /* 1193 = 0x4a9: 1 kHz */
	PV PV_CLASS_IO, 5, 2, outb %al, $0x40
	movb $0x04, %al
	PV PV_CLASS_IO, 5, 2, outb %al, $0x40
1:	cmpl $3, ticks
	jae 2f
	PV PV_CLASS_STI, 24, 1, sti
	PV PV_CLASS_HLT, 5, 1, hlt
	PV PV_CLASS_CLI, 8, 1, cli
	jmp 1b
2:	ret

/* GDT entry 4 gets base = magic; %fs and %gs load it (emulated
 * sites); %fs:0 and %gs:4 must read magic's words.  Else hang. */
seg_base_test:
	movl $magic, %eax
	movw %ax, gdt + 0x20 + 2
	shrl $16, %eax
	movb %al, gdt + 0x20 + 4
	movb %ah, gdt + 0x20 + 7
	movl $0x20, %eax
	PV PV_CLASS_SEG_LOAD, 5, 2, movl %eax, %fs
	PV PV_CLASS_SEG_LOAD, 5, 2, movl %eax, %gs
	cmpl $0x600dbeef, %fs:0
	jne 1f
	cmpl $0x12345678, %gs:4
	jne 1f
	ret
1:	jmp 1b

#if MODE == MODE_FSRACE
/* Interrupts on, until 500 ticks: a site call (inb of the PIC mask: the
 * fast path, no signal) then %fs:0, which must still be magic's word;
 * else print FAILED and exit 1. */
fs_race_test:
	PV PV_CLASS_STI, 24, 1, sti
1:	PV PV_CLASS_IO, 5, 2, inb $0x21, %al
	cmpl $0x600dbeef, %fs:0
	jne 2f
	cmpl $500, ticks
	jb 1b
	PV PV_CLASS_CLI, 8, 1, cli
	ret
2:	movl $msg_racefail, %esi
	call puts
	movb $1, %al
	PV PV_CLASS_IO, 5, 2, outb %al, $0xf4
3:	jmp 3b
#endif

tick:
	pushl %eax
	incl ticks
	movb $0x20, %al
	PV PV_CLASS_IO, 5, 2, outb %al, $0x20
	popl %eax
	PV PV_CLASS_IRET, 5, 1, iret
#endif

#if MODE == MODE_TLB
#define KVA 0xC0000000
#define PTE_PW 3
/* fail unless the word at KVA is \want */
.macro EXPECT want
	cmpl $\want, KVA
	jne tlb_fail
.endm
tlb_test:
	movl $0xaaaa0001, page_a
	movl $0xbbbb0002, page_b
	/* pt0: identity 0..4 MiB; pd[0] = pd2[0] = pt0 */
	movl $pt0, %edi
	movl $PTE_PW, %eax
	movl $1024, %ecx
1:	movl %eax, (%edi)
	addl $4, %edi
	addl $0x1000, %eax
	loop 1b
	movl $pt0 + PTE_PW, pd
	movl $pt0 + PTE_PW, pd2
	/* kernel half: pd[768] = ptk -> page_a, pd2[768] = ptk2 -> page_a */
	movl $page_a + PTE_PW, ptk
	movl $page_a + PTE_PW, ptk2
	movl $ptk + PTE_PW, pd + 768 * 4
	movl $ptk2 + PTE_PW, pd2 + 768 * 4
	movl $pd, %eax
	PV PV_CLASS_MOV_TO_CR, 5, 3, movl %eax, %cr3
	PV PV_CLASS_MOV_FROM_CR, 8, 3, movl %cr0, %eax
	orl $0x80000000, %eax
	PV PV_CLASS_MOV_TO_CR, 5, 3, movl %eax, %cr0
	EXPECT 0xaaaa0001
	movl $pd, %eax                 /* reload: nothing changed */
	PV PV_CLASS_MOV_TO_CR, 5, 3, movl %eax, %cr3
	EXPECT 0xaaaa0001
	movl $page_b + PTE_PW, ptk     /* change the entry, reload CR3 */
	movl $pd, %eax
	PV PV_CLASS_MOV_TO_CR, 5, 3, movl %eax, %cr3
	EXPECT 0xbbbb0002
	movl $pd2, %eax                /* other kernel-half directory entry */
	PV PV_CLASS_MOV_TO_CR, 5, 3, movl %eax, %cr3
	EXPECT 0xaaaa0001
	movl $pd, %eax
	PV PV_CLASS_MOV_TO_CR, 5, 3, movl %eax, %cr3
	EXPECT 0xbbbb0002
	movl $pd, %eax                 /* reload again: kept, still right */
	PV PV_CLASS_MOV_TO_CR, 5, 3, movl %eax, %cr3
	EXPECT 0xbbbb0002
	movl $page_a + PTE_PW, ptk     /* and back, after a kept reload */
	movl $pd, %eax
	PV PV_CLASS_MOV_TO_CR, 5, 3, movl %eax, %cr3
	EXPECT 0xaaaa0001
	ret
tlb_fail:
	movl $msg_tlbfail, %esi
	call puts
	movb $1, %al
	PV PV_CLASS_IO, 5, 2, outb %al, $0xf4

	.bss
	.balign 4096
pd:	.space 4096
pd2:	.space 4096
pt0:	.space 4096
ptk:	.space 4096
ptk2:	.space 4096
page_a:	.space 4096
page_b:	.space 4096
	.text
#endif

/* IDT gate vec -> handler (interrupt gate, selector 0x10). */
.macro GATE vec, handler
	movl $\handler, %eax
	movw %ax, idt + \vec * 8
	movw $0x10, idt + \vec * 8 + 2
	movw $0x8e00, idt + \vec * 8 + 4
	shrl $16, %eax
	movw %ax, idt + \vec * 8 + 6
.endm

#if MODE == MODE_EXC
exc_test:
	GATE 0, h_de
	GATE 3, h_bp
	GATE 6, h_ud
	PV PV_CLASS_LOAD_DT, 7, 7, lgdt gdtr
	PV PV_CLASS_LOAD_DT, 7, 7, lidt idtr
	movl $7, %eax
	xorl %edx, %edx
	xorl %ecx, %ecx
de_at:	divl %ecx                      /* #DE: a fault, eip = de_at */
	int3                            /* #BP: a trap, eip after */
bp_after:
ud_at:	ud2                             /* #UD: a fault, eip = ud_at */
	cmpl $7, exc_seen
	jne 1f
	ret
1:	movl $msg_excfail, %esi
	call puts
	movb $1, %al
	PV PV_CLASS_IO, 5, 2, outb %al, $0xf4
h_de:	cmpl $de_at, (%esp)
	jne 1f
	orl $1, exc_seen
	addl $2, (%esp)                 /* skip the divl */
1:	PV PV_CLASS_IRET, 5, 1, iret
h_bp:	cmpl $bp_after, (%esp)
	jne 1f
	orl $2, exc_seen
1:	PV PV_CLASS_IRET, 5, 1, iret
h_ud:	cmpl $ud_at, (%esp)
	jne 1f
	orl $4, exc_seen
	addl $2, (%esp)
1:	PV PV_CLASS_IRET, 5, 1, iret
#endif

#if MODE == MODE_SEGS
/* Fail (exit 1, message) unless \reg == \want. */
.macro WANT reg, want
	cmpl \want, \reg
	jne segs_fail
.endm
/* Load \sel with \insn (a PV site using %eax or the stack) expecting
 * fault vector \vec with error code \sel: resume after it. */
.macro BADLOAD sel, vec, insn:vararg
	movl $0, fault_vec
	movl $1f, fault_resume
	movl $\sel, %eax
	\insn
	jmp segs_fail
1:	WANT fault_vec, $\vec
	WANT fault_err, $\sel
.endm
segs_test:
	GATE 11, h_fault11
	GATE 13, h_fault13
	PV PV_CLASS_LOAD_DT, 7, 7, lgdt gdtr_s
	PV PV_CLASS_LOAD_DT, 7, 7, lidt idtr
	/* mov to DS / ES, read back with mov and push */
	movl $0x18, %eax
	PV PV_CLASS_SEG_LOAD, 5, 2, movl %eax, %ds
	PV PV_CLASS_SEG_READ, 5, 2, movl %ds, %ebx
	WANT %ebx, $0x18
	movl $0x20, %ecx
	movl $0x5a5a, %edx
	stc
	PV PV_CLASS_SEG_LOAD, 5, 2, movl %ecx, %es
	jnc segs_fail                   /* flags kept */
	WANT %edx, $0x5a5a              /* scratch registers kept */
	WANT %eax, $0x18
	PV PV_CLASS_SEG_READ, 5, 1, push %es
	popl %ebx
	WANT %ebx, $0x20
	/* pop ES: stack balanced, value read back */
	movl %esp, %esi
	pushl $0xffff0018               /* pop uses the low 16 bits */
	PV PV_CLASS_SEG_LOAD, 5, 1, pop %es
	WANT %esp, %esi
	PV PV_CLASS_SEG_READ, 5, 2, movl %es, %edi
	WANT %edi, $0x18
	/* null into DS is allowed */
	xorl %eax, %eax
	PV PV_CLASS_SEG_LOAD, 5, 2, movl %eax, %ds
	PV PV_CLASS_SEG_READ, 5, 1, push %ds
	popl %ebx
	WANT %ebx, $0
	movl $0x20, %eax
	PV PV_CLASS_SEG_LOAD, 5, 2, movl %eax, %ds
	/* an exit in between (port 0x80) keeps the loaded values */
	PV PV_CLASS_IO, 5, 2, outb %al, $0x80
	PV PV_CLASS_SEG_READ, 5, 2, movl %ds, %ebx
	WANT %ebx, $0x20
	PV PV_CLASS_SEG_READ, 5, 2, movl %es, %ebx
	WANT %ebx, $0x18
	/* FS / GS: loads through the runtime, reads back */
	movl $0x18, %eax
	PV PV_CLASS_SEG_LOAD, 5, 2, movl %eax, %fs
	movl $0x20, %eax
	PV PV_CLASS_SEG_LOAD, 5, 2, movl %eax, %gs
	PV PV_CLASS_SEG_READ, 5, 2, movl %fs, %ecx
	WANT %ecx, $0x18
	PV PV_CLASS_SEG_READ, 5, 2, push %gs
	popl %ecx
	WANT %ecx, $0x20
	/* FS / GS with another base: the runtime loads them (new base) */
	movl $fsdata, %eax
	movw %ax, gdt_s + 0x38 + 2
	shrl $16, %eax
	movb %al, gdt_s + 0x38 + 4
	movb %ah, gdt_s + 0x38 + 7
	movl $0x38, %eax
	PV PV_CLASS_SEG_LOAD, 5, 2, movl %eax, %fs
	PV PV_CLASS_SEG_LOAD, 5, 2, movl %eax, %gs
	movl %fs:0, %ebx
	WANT %ebx, $0x600dcafe
	movl %gs:4, %ebx
	WANT %ebx, $0x0badf00d
	PV PV_CLASS_SEG_READ, 5, 2, movl %gs, %ebx
	WANT %ebx, $0x38
	pushl $0x18
	PV PV_CLASS_SEG_LOAD, 5, 2, pop %fs
	movl %fs:fsdata, %ebx           /* base 0 again */
	WANT %ebx, $0x600dcafe
	movl $0x18, %eax
	PV PV_CLASS_SEG_LOAD, 5, 2, movl %eax, %gs
	movl %gs:fsdata + 4, %ebx
	WANT %ebx, $0x0badf00d
	BADLOAD 0x28, 11, PV PV_CLASS_SEG_LOAD, 5, 2, movl %eax, %fs
	PV PV_CLASS_SEG_READ, 5, 2, movl %fs, %ebx
	WANT %ebx, $0x18
	/* invalid selectors fault as before, DS unchanged */
	BADLOAD 0x28, 11, PV PV_CLASS_SEG_LOAD, 5, 2, movl %eax, %ds
	BADLOAD 0x30, 13, PV PV_CLASS_SEG_LOAD, 5, 2, movl %eax, %ds
	BADLOAD 0x40, 13, PV PV_CLASS_SEG_LOAD, 5, 2, movl %eax, %es
	BADLOAD 0x0c, 13, PV PV_CLASS_SEG_LOAD, 5, 2, movl %eax, %ds
	movl %esp, %esi
	pushl $0x28
	BADLOAD 0x28, 11, PV PV_CLASS_SEG_LOAD, 5, 1, pop %ds
	popl %ebx                       /* the faulting pop kept esp */
	WANT %esp, %esi
	WANT %ebx, $0x28
	PV PV_CLASS_SEG_READ, 5, 2, movl %ds, %ebx
	WANT %ebx, $0x20
	PV PV_CLASS_SEG_READ, 5, 2, movl %es, %ebx
	WANT %ebx, $0x18
	/* the GDT edited in place (no lgdt): the next load sees it */
	andb $0x7f, gdt_s + 0x20 + 5    /* 0x20 not present */
	BADLOAD 0x20, 11, PV PV_CLASS_SEG_LOAD, 5, 2, movl %eax, %es
	orb $0x80, gdt_s + 0x20 + 5
	movl $0x20, %eax
	PV PV_CLASS_SEG_LOAD, 5, 2, movl %eax, %es
	PV PV_CLASS_SEG_READ, 5, 2, movl %es, %ebx
	WANT %ebx, $0x20
	/* a GDT the stub cannot read (outside RAM): its frame is undone and
	 * the runtime loads as before (reads there are all ones) */
	PV PV_CLASS_LOAD_DT, 7, 7, lgdt gdtr_far
	movl $0x5a5a, %edx
	movl $0x20, %eax
	stc
	PV PV_CLASS_SEG_LOAD, 5, 2, movl %eax, %es
	jnc segs_fail
	WANT %edx, $0x5a5a
	WANT %eax, $0x20
	PV PV_CLASS_LOAD_DT, 7, 7, lgdt gdtr_s
	PV PV_CLASS_SEG_READ, 5, 2, movl %es, %ebx
	WANT %ebx, $0x20
	movl $0x18, %eax
	PV PV_CLASS_SEG_LOAD, 5, 2, movl %eax, %ds
	PV PV_CLASS_SEG_LOAD, 5, 2, movl %eax, %es
	ret
segs_fail:
	movl $0x18, %eax
	PV PV_CLASS_SEG_LOAD, 5, 2, movl %eax, %ds
	movl $msg_segsfail, %esi
	call puts
	movb $1, %al
	PV PV_CLASS_IO, 5, 2, outb %al, $0xf4
h_fault11:
	movl $11, fault_vec
	jmp 1f
h_fault13:
	movl $13, fault_vec
1:	popl fault_err
	pushl %eax
	movl fault_resume, %eax
	movl %eax, 4(%esp)
	popl %eax
	PV PV_CLASS_IRET, 5, 1, iret
	.data
	.balign 8
gdt_s:	.quad 0
	.quad 0
	.quad 0x00cf9a000000ffff        /* 0x10 code */
	.quad 0x00cf92000000ffff        /* 0x18 data */
	.quad 0x00cf92000000ffff        /* 0x20 data */
	.quad 0x00cf12000000ffff        /* 0x28 data, not present */
	.quad 0x0000820000000000        /* 0x30 system (LDT) */
	.quad 0x00cf92000000ffff        /* 0x38 data, base fsdata, last */
gdtr_s:	.word 8 * 8 - 1
	.long gdt_s
gdtr_far: .word 8 * 8 - 1
	.long 0x20000000
fsdata:	.long 0x600dcafe, 0x0badf00d
fault_vec: .long 0
fault_err: .long 0
fault_resume: .long 0
msg_segs: .asciz "tiny: segment loads ok\n"
msg_segsfail: .asciz "tiny: segment loads FAILED\n"
	.text
#endif

#if MODE == MODE_USERTLS
/* GDT entry 6 (0x33): data, base tls; entry 8: the TSS (esp0 = stack_top);
 * IDT 0x80: DPL 3 interrupt gate -> h_sys; iret to user_code at CPL 3. */
usertls_test:
	movl $tls, %eax
	movw %ax, gdt_u + 0x30 + 2
	shrl $16, %eax
	movb %al, gdt_u + 0x30 + 4
	movb %ah, gdt_u + 0x30 + 7
	movl $tss, %eax
	movw %ax, gdt_u + 0x40 + 2
	shrl $16, %eax
	movb %al, gdt_u + 0x40 + 4
	movb %ah, gdt_u + 0x40 + 7
	movl $stack_top, tss + 4
	movl $0x18, tss + 8
	movl $h_sys, %eax
	movw %ax, idt + 0x80 * 8
	movw $0x10, idt + 0x80 * 8 + 2
	movw $0xee00, idt + 0x80 * 8 + 4
	shrl $16, %eax
	movw %ax, idt + 0x80 * 8 + 6
	PV PV_CLASS_LOAD_DT, 7, 7, lgdt gdtr_u
	PV PV_CLASS_LOAD_DT, 7, 7, lidt idtr
	movw $0x40, %ax
	PV PV_CLASS_LOAD_TR_LDT, 5, 3, ltr %ax
	pushl $0x3b                     /* ss: user data */
	pushl $ustack_top
	pushl $0x202
	pushl $0x2b                     /* cs: user code */
	pushl $user_code
	PV PV_CLASS_IRET, 5, 1, iret
user_code:                              /* CPL 3: no sites here */
	movl $0x33, %eax
	movl %eax, %gs
	movl %gs:0, %eax
	movl $-4, %edx
	movl %gs:(%edx), %ecx
	int $0x80
1:	jmp 1b
h_sys:
	PV PV_CLASS_SEG_READ, 5, 2, movl %gs, %ebx
	cmpl $0x600dbeef, %eax
	jne 1f
	cmpl $0xcafe1234, %ecx
	jne 1f
	cmpl $0x33, %ebx
	jne 1f
	movl $msg_utls, %esi
	call puts
	movb $42, %al
	PV PV_CLASS_IO, 5, 2, outb %al, $0xf4
1:	movl $msg_utlsfail, %esi
	call puts
	movb $1, %al
	PV PV_CLASS_IO, 5, 2, outb %al, $0xf4

	.data
	.balign 8
gdt_u:	.quad 0
	.quad 0
	.quad 0x00cf9a000000ffff        /* 0x10 kernel code */
	.quad 0x00cf92000000ffff        /* 0x18 kernel data */
	.quad 0
	.quad 0x00cffa000000ffff        /* 0x28 (0x2b) user code */
	.quad 0x00cff2000000ffff        /* 0x30 (0x33) TLS, base at run time */
	.quad 0x00cff2000000ffff        /* 0x38 (0x3b) user data */
	.quad 0x0000890000000067        /* 0x40 TSS, base at run time */
gdtr_u:	.word 9 * 8 - 1
	.long gdt_u
	.long 0xcafe1234                /* %gs:-4 */
tls:	.long 0x600dbeef                /* %gs:0 */
msg_utls: .asciz "tiny: user tls ok\n"
msg_utlsfail: .asciz "tiny: user tls FAILED\n"
	.bss
	.balign 16
tss:	.space 104
	.space 4096
ustack_top:
	.text
#endif

#if MODE == MODE_ESCAPE
	.code64
code64:
	movl $1, %edi                   /* x86-64 write(1, ...): allowed */
	leaq path(%rip), %rsi           /* for the backend, not from here */
	movl $11, %edx
	movl $1, %eax
	syscall
	leaq path(%rip), %rdi
	xorl %esi, %esi
	movl $2, %eax                   /* x86-64 open(2) */
	syscall
	movl $0x3f8, %edx
	movb $'!', %al
	outb %al, %dx
1:	jmp 1b
path:	.asciz "/etc/passwd"
	.code32
#endif

	.data
	.balign 8
gdt:	.quad 0
	.quad 0
	.quad 0x00cf9a000000ffff        /* 0x10 code */
	.quad 0x00cf92000000ffff        /* 0x18 data */
	.quad 0x00cf92000000ffff        /* 0x20 data, base set at run time */
gdtr:	.word 5 * 8 - 1
	.long gdt
idtr:	.word 256 * 8 - 1
	.long idt
idtr_empty: .word 0
	.long 0
ticks:	.long 0
msg_start: .asciz "tiny: start\n"
msg_ok:	.asciz "tiny: three timer ticks ok\n"
msg_seg: .asciz "tiny: fs and gs bases ok\n"
msg_race: .asciz "tiny: fs base kept across timer signals ok\n"
msg_racefail: .asciz "tiny: fs base LOST after a site call\n"
msg_tlb: .asciz "tiny: kernel-half tlb ok\n"
msg_exc: .asciz "tiny: exceptions ok\n"
msg_excfail: .asciz "tiny: exceptions FAILED\n"
exc_seen: .long 0
msg_tlbfail: .asciz "tiny: kernel-half tlb STALE\n"
magic:	.long 0x600dbeef, 0x12345678
	.bss
	.balign 8
idt:	.space 256 * 8
	.space 4096
stack_top:
