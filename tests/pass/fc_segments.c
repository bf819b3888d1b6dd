/*
 * fc_segments.c - FileCheck test of the compiler pass on segment, port and
 * control-register asm: segment *overrides* stay plain, segment register
 * moves become sites; asm goto (callbr) and alternatives-style strings
 * with .pushsection .altinstr_replacement are marked too.
 * Runs: compiler only (tests/pass/run_filecheck.sh, at -O0, -O2 and -Os).
 */

// A per-CPU read through %fs is not sensitive: no site at all.
// CHECK-LABEL: fc_percpu_read:
// CHECK-NOT: .previrt.sites
// CHECK: .size fc_percpu_read
unsigned long fc_percpu_read(void)
{
	unsigned long v;
	asm volatile("movl %%fs:0x10, %0" : "=r"(v));
	return v;
}

// Loading %ds is SEG_LOAD (29), reading %cs is SEG_READ (28).
// CHECK-LABEL: fc_load_ds:
// CHECK:      [[B:\.Ltmp[0-9]+]]:
// CHECK-NEXT:   mov{{[lw]?}} %{{[a-z]+}}, %ds
// CHECK:        .byte 29
// CHECK-NEXT:   .byte 1
// CHECK:      [[C:\.Ltmp[0-9]+]]:
// CHECK-NEXT:   mov{{[lw]?}} %cs, %{{[a-z]+}}
// CHECK:        .byte 28
// CHECK-NEXT:   .byte 1
// CHECK: .size fc_load_ds
unsigned fc_load_ds(unsigned sel)
{
	unsigned cs;
	asm volatile("mov %0, %%ds" : : "r"(sel) : "memory");
	asm volatile("mov %%cs, %0" : "=r"(cs));
	return cs;
}

// asm goto is a callbr: still marked (cr3 write: class 18).
// CHECK-LABEL: fc_goto:
// CHECK:        .section .previrt.sites
// CHECK:        .byte 18
// CHECK: .size fc_goto
int fc_goto(unsigned long v)
{
	asm goto("mov %0, %%cr3\n\t"
		 "testl %0, %0\n\t"
		 "jz %l[zero]" : : "r"(v) : "memory" : zero);
	return 1;
zero:
	return 0;
}

// Alternatives shape: the replacement in .altinstr_replacement is marked
// inside that section, the original keeps its labels and padding maths.
// CHECK-LABEL: fc_alternative:
// CHECK:        pushfl
// CHECK:        .section .altinstr_replacement,"ax",@progbits
// CHECK-NEXT: {{\.Ltmp[0-9]+}}:
// CHECK-NEXT: [[RB:\.Ltmp[0-9]+]]:
// CHECK-NEXT:   cli
// CHECK-NEXT: [[RE:\.Ltmp[0-9]+]]:
// CHECK-NEXT:   .fill (-((8-([[RE]]-[[RB]]))>0))*(8-([[RE]]-[[RB]])), 1, 0x90
// CHECK-NEXT: {{\.Ltmp[0-9]+}}:
// CHECK-NEXT:   .section .previrt.sites,"",@progbits
// CHECK-NEXT:   .p2align 2, 0x0
// CHECK-NEXT:   .long [[RB]]
// CHECK: .size fc_alternative
unsigned long fc_alternative(void)
{
	unsigned long f;
	asm volatile("661:\n\tpushfl; popl %0\n662:\n"
		     ".skip -(((6651f-6641f)-(662b-661b)) > 0) * "
		     "((6651f-6641f)-(662b-661b)),0x90\n663:\n"
		     ".pushsection .altinstr_replacement, \"ax\"\n"
		     "6641:\n\tcli\n6651:\n\t.popsection"
		     : "=r"(f) : : "memory");
	return f;
}

// The segment override in a string next to a sensitive insn stays plain.
// CHECK-LABEL: fc_mixed:
// CHECK:        movl %fs:16, %{{[a-z]+}}
// CHECK-NEXT: {{\.Ltmp[0-9]+}}:
// CHECK-NEXT:   lsll
// CHECK: .size fc_mixed
unsigned fc_mixed(unsigned sel)
{
	unsigned v, lim;
	asm volatile("movl %%fs:0x10, %0\n\tlsl %2, %1"
		     : "=&r"(v), "=r"(lim) : "r"(sel));
	return v + lim;
}
