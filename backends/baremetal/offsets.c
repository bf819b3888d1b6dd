/*
 * offsets.c - source of bm-offsets.h: the struct offsets that entry.S and
 * trap.S use.  Runs: build time only (compiled to assembly by
 * gen-offsets.sh, never linked; stubs.S uses them too); each DEF emits "->NAME value" which the
 * script turns into a #define.
 */
#include <stddef.h>
#include "previrt/backend.h"
#include "bm.h"

#define DEF(sym, val) __asm__ volatile("\n.ascii \"->" #sym " %c0\"" :: "i"(val))

void bm_offsets(void);
void bm_offsets(void)
{
	DEF(R_EBX, offsetof(struct ab_regs, ebx));
	DEF(R_EAX, offsetof(struct ab_regs, eax));
	DEF(R_ERR, offsetof(struct ab_regs, error_code));
	DEF(R_VEC, offsetof(struct ab_regs, entry_vector));
	DEF(R_EIP, offsetof(struct ab_regs, eip));
	DEF(R_CS, offsetof(struct ab_regs, cs));
	DEF(R_EFLAGS, offsetof(struct ab_regs, eflags));
	DEF(R_ESP, offsetof(struct ab_regs, esp));
	DEF(R_SS, offsetof(struct ab_regs, ss));
	DEF(R_ES, offsetof(struct ab_regs, es));
	DEF(R_DS, offsetof(struct ab_regs, ds));
	DEF(R_FS, offsetof(struct ab_regs, fs));
	DEF(R_GS, offsetof(struct ab_regs, gs));
	DEF(R_SIZE, sizeof(struct ab_regs));
	DEF(BM_DIRECT_VA, BM_DIRECT);
	DEF(BM_DIRECT_PDE_FIRST, BM_DIRECT_PDE);
	DEF(BM_KDATA_SEL, BM_SEL_KDATA);
	DEF(SH_VA, AB_WEDGE_SHARED);
	DEF(SH_PENDING, offsetof(struct ab_shared, upcall_pending));
	DEF(SH_MASK, offsetof(struct ab_shared, upcall_mask));
	DEF(SH_STUB, offsetof(struct ab_shared, stub));
	DEF(RUNTIME_VEC, BM_VEC_RUNTIME);
	DEF(BM_BOOT_SEL_MIN, BM_GUEST_GDT_MAX << 3);
}
