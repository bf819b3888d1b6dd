/*
 * trapasm.S - interrupt/exception/syscall entry stubs, the common trap
 * path and the kernel thread switch.  Runs: guest kernel, ring 0.
 * Every vector pushes (error code or 0, vector number) and joins alltraps,
 * which builds a struct trapframe (kernel.h) and calls trap(tf).
 */
	.text
	.code32

/* vector N without a CPU error code */
.macro VEC n
	.globl vec\n
vec\n:
	pushl $0
	pushl $\n
	jmp alltraps
.endm

/* vector N with a CPU-pushed error code */
.macro VECE n
	.globl vec\n
vec\n:
	pushl $\n
	jmp alltraps
.endm

VEC 0;  VEC 1;  VEC 2;  VEC 3;  VEC 4;  VEC 5;  VEC 6;  VEC 7
VECE 8; VEC 9;  VECE 10; VECE 11; VECE 12; VECE 13; VECE 14; VEC 15
VEC 16; VECE 17; VEC 18; VEC 19; VEC 20; VEC 21; VEC 22; VEC 23
VEC 24; VEC 25; VEC 26; VEC 27; VEC 28; VEC 29; VEC 30; VEC 31
VEC 32; VEC 33; VEC 34; VEC 35; VEC 36; VEC 37; VEC 38; VEC 39
VEC 40; VEC 41; VEC 42; VEC 43; VEC 44; VEC 45; VEC 46; VEC 47
VEC 128; VEC 129

alltraps:
	pushl %ds
	pushl %es
	pushl %fs
	pushl %gs
	pushal
	movw $0x10, %ax                 /* SEL_KDATA */
	movw %ax, %ds
	movw %ax, %es
	pushl %esp
	call trap
	addl $4, %esp
	.globl trapret
trapret:
	popal
	popl %gs
	popl %fs
	popl %es
	popl %ds
	addl $8, %esp                   /* vector number and error code */
	iret

/* void swtch(struct context **old, struct context *new) */
	.globl swtch
swtch:
	movl 4(%esp), %eax
	movl 8(%esp), %edx
	pushl %ebp
	pushl %ebx
	pushl %esi
	pushl %edi
	movl %esp, (%eax)
	movl %edx, %esp
	popl %edi
	popl %esi
	popl %ebx
	popl %ebp
	ret

/* int $0x81 where the pass cannot see it (ktest.c: the rewriter makes it
 * a site; in the pass-only image it runs unmarked and traps on a backend). */
	.text
	.globl int81_raw
int81_raw:
	int $0x81
	ret

/* vector table for desc.c: addresses of vec0..vec47, vec128, vec129 */
	.section .rodata
	.balign 4
	.globl vectors
vectors:
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23
	.long vec\n
	.endr
	.irp n, 24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
	.long vec\n
	.endr
	.long vec128
	.long vec129
