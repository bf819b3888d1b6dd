/*
 * bm.h - the bare-metal monitor's memory map, selectors and the prototypes
 * of its subsystems (one group per .c file).  Runs: monitor ring 0
 * (32-bit freestanding); the pure-C parts (shadow.c, desc.c) are also
 * compiled for the host by the criterion tests.  docs/baremetal.md draws
 * the map.
 */
#ifndef BM_BM_H
#define BM_BM_H

#include <stddef.h>
#include <stdint.h>
#include "previrt/backend.h"

/* ---- Memory map (host physical <-> monitor virtual) -------------------
 * Host-physical [0, BM_DIRECT_SIZE) is mapped at BM_DIRECT with 4 MiB
 * pages in every address space (supervisor only; the guest's segment
 * limits stop below AB_WEDGE_GUEST_END, so ring 1 cannot reach it). */
#define BM_DIRECT        0xFD000000u
#define BM_DIRECT_SIZE   0x01000000u          /* 16 MiB: monitor, pool */
#define BM_PHYS_LOAD     0x00100000u          /* monitor image (multiboot) */
#define BM_POOL_PA       0x00800000u          /* page-table pool */
#define BM_POOL_SIZE     0x00800000u          /* 8 MiB = 2048 pages */
#define BM_GUEST_PA      0x01000000u          /* guest-physical 0 */
#define BM_GUEST_MEM_DEF 128u                /* MiB, like the other backends */
#define BM_GUEST_MEM_MAX 2048u               /* MiB (bm.mem=N) */
#define BM_LOAD_MAP_MAX  0xF0000000u          /* the load map's end (main.c:
						 host RAM 1:1 while loading) */
#define BM_UNMAPPED_VA   0xF0001000u          /* never mapped in the monitor
						 (self-tests fault there) */
/* Guest RAM is reached through a window of 4 MiB slots after the direct
 * map (vm.c, ab_backend_gpa): slot i maps a 4 MiB chunk of guest RAM.
 * At boot slot i holds chunk i (host 16 MiB + 4i, what entry.S mapped). */
#define BM_WIN           0xFE000000u
#define BM_WIN_PDE       (BM_WIN >> 22)       /* 1016..1023 */
#define BM_WIN_SLOTS     8u
#define BM_CHUNK_SHIFT   22
#define BM_P2V(pa)       ((void *)(uintptr_t)((uint32_t)(pa) + BM_DIRECT))
#define BM_V2P(va)       ((uint32_t)(uintptr_t)(va) - BM_DIRECT)

/* The ring-0 trap stack is also mapped (writable) in the wedge page
 * table: the CPU pushes guest frames there while the direct map, where
 * the rest of the monitor lives, is read-only in guest address spaces. */
#define BM_TRAP_STACK_VA    0xFC010000u
#define BM_TRAP_STACK_PAGES 4

/* The backend's words in the shared page (struct ab_shared.stub[], "filled
 * by the backend"): what the iret stub (stubs.S) checks before returning
 * to user mode natively.  All guest-writable: a guest that forges them
 * only misleads itself. */
#define BM_SH_TSS        0     /* guest TSS linear address, 0 = unknown */
#define BM_SH_ESP1       1     /* guest esp0 now in the real TSS esp1 */
#define BM_SH_SS1        2     /* guest ss0 (raw) behind the real ss1 */
#define BM_SH_SLOW       5     /* 1: the monitor wants to see the next iret
				  (GDT written or not guarded, fast gate
				  stale, page-fault retry to prefill) */
#define BM_SH_NATIVE     6     /* count: native returns to user */
#define BM_SH_SYSCALL    7     /* guest int $0x80 handler (bm_sys_entry) */
#define BM_SH_FASTPF     30    /* count: write-free #PF reflections */
#define BM_SH_FASTC      31    /* count: write-free returns in the monitor */
#define BM_SH_PF_RETRY   0x400 /* offset in the page: struct bm_pf_retry */
#define BM_IRET_STUB     (AB_WEDGE_STUBS + 16)
/* mov %cs / %ss to a 32-bit register: 32 bytes per (segment, register),
 * CS first, registers in ModRM order (stubs.S bm_segread_stubs). */
#define BM_SEGREAD_STUB  (AB_WEDGE_STUBS + 0x200)
/* The shared page through its wedge address: the one mapping of it that
 * stays writable while CR0.WP is set (vm->sh is the direct-map alias), so
 * the write-free paths (bm_fast_iret, bm_fast_user_fault) use this one. */
#define BM_WEDGE_SH      ((struct ab_shared *)AB_WEDGE_SHARED)

/* PDE slots the monitor owns in every address space. */
#define BM_WEDGE_PDE     (AB_WEDGE_BASE >> 22)       /* 1008: wedge pages */
#define BM_DIRECT_PDE    (BM_DIRECT >> 22)           /* 1012..1023 */

/* ---- Real GDT layout ---------------------------------------------------
 * Entries [0, BM_GUEST_GDT_MAX) mirror the guest's own GDT (demoted);
 * the monitor's descriptors sit at the top, out of the guest's reach. */
#define BM_GDT_ENTRIES   8192
#define BM_GUEST_GDT_MAX 8176
#define BM_SEL_LDT       (8183 << 3)          /* 0xffb8 mirror of the guest LDT */
#define BM_LDT_MAX       8192                 /* guest LDT entries */
#define BM_SEL_KCODE     (8184 << 3)          /* 0xffc0 monitor code */
#define BM_SEL_KDATA     (8185 << 3)          /* 0xffc8 monitor data */
#define BM_SEL_TSS       (8186 << 3)          /* 0xffd0 */
#define BM_SEL_DFTSS     (8187 << 3)          /* 0xffd8 double-fault task */
#define BM_SEL_GCODE     ((8188 << 3) | 1)    /* guest boot code, ring 1 */
#define BM_SEL_GDATA     ((8189 << 3) | 1)    /* guest boot data, ring 1 */
#define BM_SEL_GUCODE    ((8190 << 3) | 3)    /* guest boot user code */
#define BM_SEL_GUDATA    ((8191 << 3) | 3)    /* guest boot user data */

/* Real vectors with special gates. */
#define BM_VEC_SYSCALL   0x80                 /* DPL 3: guest's int $0x80 */
#define BM_VEC_RUNTIME   0x82                 /* DPL 1: patched-site call */
#define BM_VEC_IRQ0      0x20                 /* real PIC remapped here */

/* ---- console.c: 16550 serial and formatted output -------------------- */
void bm_serial_init(void);
void bm_putc(char c);
void bm_write(const char *s, size_t n);
int  bm_getc(void);                            /* -1 if none */
void bm_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int  bm_vsnprintf(char *buf, size_t n, const char *fmt, __builtin_va_list ap);
void bm_exit(int status) __attribute__((noreturn));
void bm_panic(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));

/* ---- lib.c: freestanding string helpers ------------------------------ */
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int   memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int   bm_strncmp(const char *a, const char *b, size_t n);

/* ---- cpu.c: GDT, IDT, TSS, PIC, PIT ------------------------------------ */
extern uint64_t bm_gdt[BM_GDT_ENTRIES];
void bm_cpu_init(void);
void bm_idt_set(unsigned vec, uint32_t handler, uint16_t sel, unsigned dpl,
		int trap);
void bm_idt_reset(unsigned vec);
uint32_t bm_vector_addr(unsigned vec);
void bm_tss_set_ring1(uint16_t ss1, uint32_t esp1);
void bm_timer_init(unsigned hz);
void bm_timer_oneshot(uint64_t delta_ns);
uint64_t bm_now_ns(void);
void bm_pic_eoi(unsigned irq);

/* ---- pool.c: physical page pool for page tables ------------------------ */
uint32_t bm_page_alloc(void);                  /* zeroed page, PA; 0 = none */
void bm_page_free(uint32_t pa);
unsigned bm_pages_free(void);

#endif
