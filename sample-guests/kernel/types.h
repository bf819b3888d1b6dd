/*
 * types.h - fixed-width integer types and address-space constants of the
 * sample kernel.  Runs: guest kernel (freestanding, no libc).
 */
#ifndef SG_TYPES_H
#define SG_TYPES_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char i8;
typedef int i32;
typedef long long i64;
typedef unsigned int size_t;

#define NULL ((void *)0)

#define KERNBASE   0xC0000000u   /* direct map of physical RAM starts here */
#define MONBASE    0xFC000000u   /* top 64 MiB: never mapped, for a monitor */
/* KGUARD: the 4 MiB (one page-directory entry) below MONBASE are never
 * mapped whatever the RAM size, because the direct map stops there;
 * selftest=kfault reads KGUARD to force a kernel page fault. */
#define KGUARD     (MONBASE - 0x400000u)
#define USERTOP    KERNBASE      /* user space is [0, USERTOP) */
#define DIRECTMAX  (KGUARD - KERNBASE)  /* largest RAM direct-mapped: 956 MiB */
#define BOOT_MAPPED 0x4000000u   /* what boot.S maps (at 0 and KERNBASE) */
#define PGSIZE     4096u
#define PGROUNDUP(a)   (((u32)(a) + PGSIZE - 1) & ~(PGSIZE - 1))
#define PGROUNDDOWN(a) ((u32)(a) & ~(PGSIZE - 1))
#define P2V(a) ((void *)((u32)(a) + KERNBASE))
#define V2P(a) ((u32)(a) - KERNBASE)

/* Selectors of our GDT (desc.c). */
#define SEL_KCODE  0x08
#define SEL_KDATA  0x10
#define SEL_UCODE  0x1b
#define SEL_UDATA  0x23
#define SEL_TSS    0x28

#endif
