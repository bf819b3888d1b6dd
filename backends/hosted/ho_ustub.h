/*
 * ho_ustub.h - the fixed layout of a user stub process (user.c, ustub.S):
 * where its three pages sit in the stub's address space, the shared op
 * page that the kernel side fills before each resume, and the seccomp
 * data values the stub's filter returns.  Included by C and by assembler.
 * Runs: hosted process (both sides of the stub).
 *
 * A user stub is the host process that runs guest user code: below 4 GiB
 * it holds only the guest user pages the kernel side mapped there, above
 * 4 GiB only these pages:
 *   HO_US_BASE + 0x0000  code (ustub.S, copied; read + execute)
 *   HO_US_BASE + 0x1000  op page (shared with the kernel side)
 *   HO_US_BASE + 0x2000  the code's stack
 */
#ifndef HO_USTUB_H
#define HO_USTUB_H

#define HO_US_BASE      0x100000000000
#define HO_US_OPS_PAGE  (HO_US_BASE + 0x1000)
#define HO_US_STACK_TOP (HO_US_BASE + 0x3000)
#define HO_US_SIZE      0x3000
#define HO_US_TASK_END  0x7ffffffff000    /* x86-64 Linux user space end */

/* Entry points, offsets in the code page (ustub.S). */
#define HO_US_RESUME    0x000   /* run the op list, then iret to the guest */
#define HO_US_INIT      0x100   /* unmap everything but the stub, trap */

/* Op page, byte offsets (struct ho_uop_page in user.c checks them). */
#define US_NOPS   0    /* u32: ops to run */
#define US_MEMFD  4    /* u32: guest RAM's fd in the stub */
#define US_SEIZED 8    /* u32: set by the kernel side once it traces */
#define US_RAX    16   /* guest frame: u64 each, in this order */
#define US_RBX    24
#define US_RCX    32
#define US_RDX    40
#define US_RSI    48
#define US_RDI    56
#define US_RBP    64
#define US_RSP    72
#define US_RIP    80
#define US_RFL    88
#define US_CS     96
#define US_SS     104
#define US_OPS    128  /* struct ho_uop[HO_US_MAXOPS] */
#define HO_US_MAXOPS 124
#define OP_VA     0    /* u64 */
#define OP_LEN    8    /* u64 */
#define OP_OFF    16   /* u64: memfd offset (map) */
#define OP_KIND   24   /* u32: HO_UOP_* */
#define OP_PROT   28   /* u32: PROT_* (map) */
#define OP_SIZE   32
#define HO_UOP_UNMAP 0
#define HO_UOP_MAP   1

#ifndef __ASSEMBLER__
#include <stdint.h>
struct ho_uop { uint64_t va, len, off; uint32_t kind, prot; };
struct ho_uop_page {
	uint32_t nops, memfd, seized, reserved;
	uint64_t frame[12];  /* rax rbx rcx rdx rsi rdi rbp rsp rip rfl cs ss */
	uint8_t pad[US_OPS - US_RAX - 12 * 8];
	struct ho_uop ops[HO_US_MAXOPS];
};
#endif

#endif
