/*
 * bad.S - an image with a popf that cannot be windowed (branch targets on
 * both sides) and does not trap deprivileged: previrt-rewrite --check must
 * fail and name it.  Also two tiny functions ending in ret whose padding
 * is a branch target, so no window may take it (and no 10-byte run of
 * code is near enough to donate an island): the pushf stays unresolved,
 * the cli becomes a trap site.  Runs: host build (tests/rewriter,
 * check-e2e.py).
 */
	.text
	.globl _start
_start:
	jmp	island
	.globl	island
island:
	popf
	.globl	after
after:
	jmp	after
	.globl	padtgt_fn
padtgt_fn:
	pushf
	popl	%eax
	ret
.Lpad_a:			/* padding, but jumped to below */
	int3
	int3
	int3
	.globl	padtgt_cli
padtgt_cli:
	cli
	ret
.Lpad_b:
	int3
	int3
	int3
	int3
	.globl	jumper
jumper:
	jmp	.Lpad_a
	jmp	.Lpad_b
	.section .rodata
	.long	island, after
