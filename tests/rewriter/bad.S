/*
 * bad.S - an image with a popf that cannot be windowed (branch targets on
 * both sides) and does not trap deprivileged: previrt-rewrite --check must
 * fail and name it.  Runs: host build (tests/rewriter, check-e2e.py).
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
	.section .rodata
	.long	island, after
