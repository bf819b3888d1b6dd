/*
 * sites-asm.h - the site-table ABI of sites.h for hand-written assembly:
 * the class numbers as assembler symbols PV_CLASS_<ID> (the row index in
 * classes.def, as in the C enum) and the PV macro that emits one site as
 * the compiler pass would (instruction, NOP padding, a .previrt.sites
 * entry with origin 1).  Runs: assembler (the tiny test guests); include
 * it from a .S file after nothing else has used those names.
 */
#ifndef PREVIRT_SITES_ASM_H
#define PREVIRT_SITES_ASM_H

	.set pv_class_next, 0
#define PV_CLASS(id, name, group, pad, dep) \
	.set PV_CLASS_##id, pv_class_next; .set pv_class_next, pv_class_next + 1;
#include "previrt/classes.def"
#undef PV_CLASS

/* One site of class cls: the instruction (ilen bytes), NOPs up to pad,
 * an entry at its link address (the patcher re-checks the length). */
	.macro PV cls, pad, ilen, insn:vararg
771:	\insn
	.skip \pad - \ilen, 0x90
	.pushsection .previrt.sites, "", @progbits
	.long 771b
	.byte \pad, \ilen, \cls, 1
	.popsection
	.endm

#endif
