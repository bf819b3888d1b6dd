/*
 * behave-probe.S - hand-written probes for behave.c: every function has
 * sensitive instructions the rewriter must move into trampolines, some
 * .byte-encoded, some next to PC-relative branches.  Runs: host, ring 3.
 */
	.text
	.globl probe_flags
probe_flags:				/* flags after a known add */
	movl	$0x7fffffff, %eax
	addl	$1, %eax
	pushf
	popl	%eax
	orl	$1, %eax
	pushl	%eax
	popf
	pushfl
	popl	%eax
	ret

	.globl probe_cpuid
probe_cpuid:
	pushl	%ebx
	pushl	%edi
	movl	12(%esp), %eax
	movl	16(%esp), %edi
	xorl	%ecx, %ecx
	.byte	0x0f, 0xa2		/* cpuid */
	movl	%eax, (%edi)
	movl	%ebx, 4(%edi)
	movl	%ecx, 8(%edi)
	movl	%edx, 12(%edi)
	popl	%edi
	popl	%ebx
	ret

	.globl probe_segs
probe_segs:				/* (cs & 3) | (ss & 3) << 8 */
	push	%cs
	popl	%eax
	andl	$3, %eax
	movl	%ds, %ecx
	cmpl	%ecx, %ecx
	je	1f
	xorl	%eax, %eax
1:	push	%ss
	popl	%ecx
	andl	$3, %ecx
	shll	$8, %ecx
	orl	%ecx, %eax
	ret

	.globl probe_loop
probe_loop:				/* sum of i for i < n, with pushf/popf */
	movl	4(%esp), %ecx
	xorl	%eax, %eax
2:	pushf
	call	add_ecx
	popf
	decl	%ecx
	jnz	2b
	ret
add_ecx:
	addl	%ecx, %eax
	ret
	.section .note.GNU-stack, "", @progbits
