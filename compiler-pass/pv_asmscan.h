/*
 * pv_asmscan.h - the compiler pass's asm-text scanner: splits an inline-asm
 * string into statements, classifies each against classes.def and rewrites
 * every sensitive one into a padded, recorded site.
 * Runs: compiler (inside clang-16 via previrt-pass.so) and the pass's unit
 * tests.  Plain C11, no LLVM.  See docs/compiler-pass.md.
 */
#ifndef PV_ASMSCAN_H
#define PV_ASMSCAN_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* pvs_classify results below 0 (>= 0 is an enum pv_class). */
#define PVS_NONE    (-1)   /* not sensitive */
#define PVS_PREFIX  (-2)   /* prefixes only (rep, lock, ...): joins the next */
#define PVS_OPAQUE  (-3)   /* cannot tell (mnemonic from an operand, ...) */

/* Text flavour: LLVM IR inline asm ($N operands, $$ = '$') or raw
 * assembler text (module-level asm, .s files). */
enum pvs_syntax {
	PVS_SYNTAX_IR = 0,      /* LLVM IR inline asm */
	PVS_SYNTAX_RAW = 1,     /* plain assembler text */
	PVS_SYNTAX_INTEL = 2,   /* flag: Intel syntax (classified, never marked) */
};

struct pvs_result {
	char *text;           /* malloc'd rewritten text; NULL when unchanged */
	unsigned nsites;      /* statements turned into sites */
	unsigned nunmarked;   /* suspicious statements left unmarked */
	char why[256];        /* why the first one was left unmarked */
};

/* Classify one instruction statement (no labels, no comment).
 * Returns an enum pv_class or PVS_NONE / PVS_PREFIX / PVS_OPAQUE. */
int pvs_classify(const char *insn, size_t len, enum pvs_syntax syn);

/* Rewrite text (NUL-terminated).  Fills *res; returns 0, or -1 when out
 * of memory (res->text is then NULL). */
int pvs_rewrite(const char *text, enum pvs_syntax syn, struct pvs_result *res);

void pvs_result_free(struct pvs_result *res);

/* Numeric local labels used by every site (never collide across copies). */
#define PVS_LABEL_BEGIN "88801"
#define PVS_LABEL_INSN_END "88802"
#define PVS_LABEL_END "88803"

#ifdef __cplusplus
}
#endif

#endif
