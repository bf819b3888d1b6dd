/*
 * kernel.h - prototypes of the sample kernel, grouped by the file that
 * defines them, and the shared structures (trap frame, process).  Runs:
 * guest kernel.
 */
#ifndef SG_KERNEL_H
#define SG_KERNEL_H

#include "types.h"

#define NPROC     32             /* process slots */
#define NOFILE    16             /* descriptors per process */
#define NFILE     64             /* open files system-wide */
#define NMMAP     16             /* anonymous mmap regions per process */
#define KSTACK    8192           /* kernel stack bytes per process */
#define HZ        100            /* PIT interrupt rate */
#define STACKSIZE (1u << 20)     /* demand-zero user stack region */
#define MMAPBASE  0x40000000u    /* mmap2 regions are placed from here up */

/* Vectors. */
#define T_PGFLT   14
#define T_GPFLT   13
#define T_IRQ0    32
#define T_TEST    0x81           /* kernel-only software interrupt (tests) */
#define T_SYSCALL 0x80

/* Built by trapasm.S: register state at a trap, lowest address first. */
struct trapframe {
	u32 edi, esi, ebp, oesp, ebx, edx, ecx, eax;   /* pushal */
	u32 gs, fs, es, ds;
	u32 trapno, err;
	u32 eip, cs, eflags;
	u32 esp, ss;                                   /* only from ring 3 */
};

/* Callee-saved registers of a kernel thread, saved by swtch. */
struct context {
	u32 edi, esi, ebx, ebp, eip;
};

enum procstate { P_UNUSED, P_EMBRYO, P_SLEEPING, P_RUNNABLE, P_RUNNING,
		 P_ZOMBIE };

struct region { u32 start, end; };               /* [start, end) */

struct proc {
	enum procstate state;
	int pid;
	struct proc *parent;
	u32 *pgdir;                  /* kernel virtual address */
	u8 *kstack;                  /* bottom of KSTACK bytes */
	struct trapframe *tf;
	struct context *context;
	const void *chan;            /* sleeping on */
	int killed;                  /* pending fatal signal number, or 0 */
	int xstatus;                 /* wait status for the parent */
	u32 brk_base, brk;           /* heap: [brk_base, brk) demand-zero */
	struct region mmaps[NMMAP];  /* anonymous mappings, end == 0: free */
	struct file *ofile[NOFILE];
	char name[16];
};

/* boot.S / trapasm.S */
void swtch(struct context **old, struct context *new);
void trapret(void);
void int81_raw(void);
extern u32 vectors[];
extern char __kernel_end[], __kernel_start[];

/* console.c */
void uart_init(void);
void cons_putc(int c);
void cons_write(const char *s, u32 n);
int kprintf(const char *fmt, ...);
void panic(const char *fmt, ...) __attribute__((noreturn));

/* dev.c */
void pic_init(void);
void pic_eoi(int irq);
void pic_unmask(int irq);
void pit_init(void);
void debug_exit(u32 status) __attribute__((noreturn));
extern volatile u64 ticks;

/* pvh.c */
struct memrange { u32 start, end; };
int pvh_parse(u32 start_info_pa, struct memrange *ram, int maxram,
	      struct memrange *resv, int maxresv, int *nresv_out);
#define PVH_MAXMOD 8
int pvh_module(int i, struct memrange *r);
const char *pvh_cmdline(void);
int cmdline_has(const char *word);

/* kalloc.c */
void kalloc_boot_done(void);   /* all RAM mapped: any frame may go */
void kalloc_init(struct memrange *ram, int nram, struct memrange *resv,
		 int nresv);
void *kalloc(void);
void kfree(void *va);
void page_ref(u32 pa);
u32 page_refcount(u32 pa);
u32 kalloc_free_pages(void);

/* vm.c */
#define PTE_P   0x001
#define PTE_W   0x002
#define PTE_U   0x004
#define PTE_A   0x020
#define PTE_D   0x040
#define PTE_G   0x100            /* global: kept across CR3 loads (CR4.PGE) */
#define PTE_COW 0x200            /* software bit: copy-on-write page */
void vm_init(u32 ram_end);
u32 *vm_kpgdir(void);
u32 *vm_new_pgdir(void);
u32 *vm_walk(u32 *pgdir, u32 va, int alloc);
int vm_map(u32 *pgdir, u32 va, u32 pa, u32 flags);
int vm_alloc_zero(u32 *pgdir, u32 va, u32 flags);
int vm_fork(u32 *parent, u32 *child);
void vm_unmap_range(u32 *pgdir, u32 start, u32 end);
void vm_free(u32 *pgdir);
void vm_switch(struct proc *p);
int vm_fault(struct proc *p, u32 va, int write);
int copyout(struct proc *p, u32 uva, const void *src, u32 n);
int copyin(struct proc *p, void *dst, u32 uva, u32 n);
int copyinstr(struct proc *p, char *dst, u32 uva, u32 max);

struct dtr;
/* desc.c */
void desc_init(void);
void tss_set_esp0(u32 esp0);
void desc_gdtr(struct dtr *d);
void desc_idtr(struct dtr *d);
void desc_set_test_gate(u8 type);

/* trap.c */
void trap(struct trapframe *tf);
/* Armed by conform.c around a fault it provokes: the kernel-mode trap
 * records it and resumes at resume (set by the x86.h *_catch wrapper). */
struct kcatch { volatile u32 armed, resume, trapno, err, cr2; };
extern struct kcatch kcatch;

/* conform.c */
void conform_run(void);
extern volatile u32 test_int_count;
extern volatile u32 test_int_flags;

/* proc.c */
extern struct proc *curproc;
void proc_init(void);
struct proc *proc_alloc(void);
void proc_start_init(const char *path, char *const argv[], int argc);
void scheduler(void) __attribute__((noreturn));
void sched(void);
void yield(void);
void sleep_on(const void *chan);
void wakeup(const void *chan);
int proc_fork(void);
void proc_exit(int status) __attribute__((noreturn));
int proc_wait(int pid, u32 status_uva, int options);
int proc_kill(int pid, int sig);
void proc_timer_tick(void);
void proc_check_killed(void);

/* exec.c */
struct prog { const char *name; const u8 *data; u32 size; };
const struct prog *prog_find(const char *path);
int exec(struct proc *p, const char *path, char *const argv[], int argc);

/* syscall.c */
void syscall(struct trapframe *tf);
void report_test(int ok);
extern int tests_passed, tests_failed;

/* pipe.c */
enum ftype { F_NONE, F_CONSOLE, F_PIPE_R, F_PIPE_W };
struct pipe;
struct file { enum ftype type; int ref; struct pipe *pipe; };
struct file *file_console(void);
struct file *file_dup(struct file *f);
void file_close(struct file *f);
int file_read(struct proc *p, struct file *f, u32 uva, u32 n);
int file_write(struct proc *p, struct file *f, u32 uva, u32 n);
int pipe_alloc(struct file **rf, struct file **wf);

/* ktest.c / kbench.c */
void ktest_run(int fail_one);
void kbench_run(void);
void ktest_result(const char *name, const char *failure);

/* lib.c */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strncpy_z(char *d, const char *s, size_t n);
u64 tsc_per_ms(void);
void tsc_calibrate(void);
u64 now_ns(void);
void time_tick(void);
u64 time_last_tick_tsc(void);

/* main.c */
extern u64 boot_tsc;

#endif
