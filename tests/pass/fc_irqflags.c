/*
 * fc_irqflags.c - FileCheck test of the compiler pass on irq-flag helpers
 * shaped like a kernel's irqflags header; an always_inline helper is
 * inlined three times and each copy must become its own site.
 * Runs: compiler only (tests/pass/run_filecheck.sh, at -O0, -O2 and -Os).
 */

static inline __attribute__((always_inline)) void fc_irq_disable(void)
{
	asm volatile("cli" : : : "memory");
}

static inline __attribute__((always_inline)) unsigned long fc_save_flags(void)
{
	unsigned long flags;
	asm volatile("pushf ; pop %0" : "=rm"(flags) : : "memory");
	return flags;
}

static inline __attribute__((always_inline)) void fc_restore(unsigned long f)
{
	asm volatile("push %0 ; popf" : : "g"(f) : "memory", "cc");
}

// CHECK-LABEL: fc_three_cli:
// CHECK-COUNT-3: .long {{\.Ltmp[0-9]+}}
// CHECK-NOT: .long
// CHECK: .size fc_three_cli
void fc_three_cli(void)
{
	fc_irq_disable();
	fc_irq_disable();
	fc_irq_disable();
}

// The exact site of one cli (class 0, pad 8, origin 1).
// CHECK-LABEL: fc_one_cli:
// CHECK:      [[B:\.Ltmp[0-9]+]]:
// CHECK-NEXT:   cli
// CHECK-NEXT: [[E:\.Ltmp[0-9]+]]:
// CHECK-NEXT:   .fill (-((8-([[E]]-[[B]]))>0))*(8-([[E]]-[[B]])), 1, 0x90
// CHECK-NEXT: [[END:\.Ltmp[0-9]+]]:
// CHECK-NEXT:   .section .previrt.sites,"",@progbits
// CHECK-NEXT:   .p2align 2, 0x0
// CHECK-NEXT:   .long [[B]]
// CHECK-NEXT:   .byte [[END]]-[[B]]
// CHECK-NEXT:   .byte [[E]]-[[B]]
// CHECK-NEXT:   .byte 0
// CHECK-NEXT:   .byte 1
// CHECK-NEXT:   .text
void fc_one_cli(void)
{
	fc_irq_disable();
}

// pushf gets a site (class 2, pad 24); the pop after it stays plain.
// CHECK-LABEL: fc_save_restore:
// CHECK:      [[PB:\.Ltmp[0-9]+]]:
// CHECK-NEXT:   pushfl
// CHECK-NEXT: [[PE:\.Ltmp[0-9]+]]:
// CHECK-NEXT:   .fill (-((24-([[PE]]-[[PB]]))>0))*(24-([[PE]]-[[PB]])), 1, 0x90
// CHECK:        .byte 2
// CHECK-NEXT:   .byte 1
// CHECK-NEXT:   .text
// CHECK-NEXT:   popl
// popf: class 3, pad 32, after the push of the saved flags.
// CHECK:        pushl
// CHECK-NEXT: [[FB:\.Ltmp[0-9]+]]:
// CHECK-NEXT:   popfl
// CHECK-NEXT: [[FE:\.Ltmp[0-9]+]]:
// CHECK-NEXT:   .fill (-((32-([[FE]]-[[FB]]))>0))*(32-([[FE]]-[[FB]])), 1, 0x90
// CHECK:        .byte 3
// CHECK-NEXT:   .byte 1
unsigned long fc_save_restore(void)
{
	unsigned long f = fc_save_flags();
	fc_irq_disable();
	fc_restore(f);
	return f;
}

// Raw text as handed to an external assembler (-fno-integrated-as).
// RAW-LABEL: fc_raw_sti:
// RAW:      88801: sti
// RAW-NEXT: 88802: .fill -(((24)-(88802b-88801b)) > 0) * ((24)-(88802b-88801b)), 1, 0x90
// RAW-NEXT: 88803:
// RAW-NEXT: .pushsection .previrt.sites,"",@progbits
// RAW-NEXT: .balign 4
// RAW-NEXT: .long 88801b
// RAW-NEXT: .byte 88803b-88801b, 88802b-88801b, 1, 1
// RAW-NEXT: .popsection
void fc_raw_sti(void)
{
	asm volatile("sti" : : : "memory");
}
