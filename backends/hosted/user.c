/*
 * user.c - guest user mode in separate host processes, the user stubs
 * (a pool of HO_STUBS, one per guest page directory).  The kernel side
 * (this process: guest kernel, afterburner, backend) never runs guest
 * user code.  When the virtual CPU enters CPL 3 it hands the registers to
 * the current stub, a ptraced child whose address space holds
 * nothing below 4 GiB but the guest user pages mapped from the guest's
 * page tables (with the guest's user permissions), and above 4 GiB only
 * the stub's three pages (ho_ustub.h).  Every way out of guest user code
 * is a ptrace stop of the stub: a page fault or other exception (signal-
 * delivery stop), a system call (the stub's seccomp filter returns TRACE),
 * or the timer (PTRACE_INTERRUPT at the PIT deadline).  The kernel side
 * turns the stop into the architectural event (ab_guest_int,
 * ab_guest_fault, ab_timer_expired) and, when the vCPU stays at CPL 3,
 * resumes the stub.  Mappings the stub needs are queued here and run by
 * the stub's own code (ustub.S) on the way back into guest code, so a
 * fill costs no extra stop; a CR3 load switches stubs and re-checks what
 * the new one maps.  Runs: hosted process, inside the handlers of run.c
 * (kernel side); the child part runs once in each fork.
 */
#define _GNU_SOURCE
#include <asm/ldt.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ho.h"
#include "ho_cpu.h"
#include "ho_ustub.h"
#include "uinsn.h"

_Static_assert(offsetof(struct ho_uop_page, frame) == US_RAX, "op page");
_Static_assert(offsetof(struct ho_uop_page, ops) == US_OPS, "op page");
_Static_assert(offsetof(struct ho_uop_page, memfd) == US_MEMFD, "op page");
_Static_assert(offsetof(struct ho_uop_page, seized) == US_SEIZED, "op page");
_Static_assert(sizeof(struct ho_uop) == OP_SIZE, "op size");
_Static_assert(sizeof(struct ho_uop_page) <= 4096, "op page size");

#define PAGE 0x1000u
#define FL_IF 0x200u
/* EFLAGS bits guest user code may hold (ptrace takes no others). */
#define FL_USER 0x00040fd5u   /* CF PF AF ZF SF TF DF OF AC */
#define FAULT_AROUND 16       /* accessed neighbours mapped with a fill */

extern const uint8_t ho_ustub_start[], ho_ustub_end[];   /* ustub.S */

/* ---- the child: becomes a stub and never returns --------------------- */

/* glibc registered a restartable-sequence area in this thread's TLS; the
 * stub unmaps that memory, after which the kernel's rseq update on every
 * return to user space would fail (SIGSEGV).  Unregister it first. */
static int stub_drop_rseq(void)
{
	char *area = (char *)__builtin_thread_pointer() + __rseq_offset;
	if (!__rseq_size)
		return 0;
	/* glibc registers at least 32 bytes (struct rseq) whatever size it
	 * exports; unregistering needs the registered length. */
	if (syscall(SYS_rseq, area, __rseq_size, RSEQ_FLAG_UNREGISTER,
		    RSEQ_SIG) == 0)
		return 0;
	return (int)syscall(SYS_rseq, area, 32, RSEQ_FLAG_UNREGISTER, RSEQ_SIG);
}

/* LDT 0: 32-bit code, LDT 1: data; flat 4 GiB, DPL 3.  The stub's address
 * space holds only guest user pages, so limits protect nothing here and
 * a guest kernel-half access faults as a #PF, as on hardware. */
static int stub_ldt(void)
{
	for (unsigned i = 0; i < 2; i++) {
		struct user_desc d = {
			.entry_number = i, .base_addr = 0, .limit = 0xfffff,
			.seg_32bit = 1, .contents = i == 0 ? 2 : 0,
			.limit_in_pages = 1, .useable = 1,
		};
		if (syscall(SYS_modify_ldt, 1, &d, sizeof d) != 0)
			return -1;
	}
	return 0;
}

/* The stub's filter: munmap and mmap of guest RAM, from the code page and
 * with the cookie; every other call stops the stub (TRACE) for the kernel
 * side, which never lets it run. */
struct bpf_prog_buf { struct sock_filter f[40]; unsigned n, fails[16], nf; };

static void bpf_emit(struct bpf_prog_buf *b, struct sock_filter ins)
{
	b->f[b->n++] = ins;
}

/* Load the 32-bit word at off; if it is not k, go to the refusal. */
static void bpf_require(struct bpf_prog_buf *b, unsigned off, uint32_t k)
{
	bpf_emit(b, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, off));
	b->fails[b->nf++] = b->n;
	bpf_emit(b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, k, 0, 0));
}

#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define ARG_HI(i) (ARG_LO(i) + 4)

static int stub_filter(uint64_t cookie, int memfd)
{
	struct bpf_prog_buf b = { .n = 0 };
	uint32_t clo = (uint32_t)cookie, chi = (uint32_t)(cookie >> 32);
	unsigned ip = offsetof(struct seccomp_data, instruction_pointer);
	bpf_emit(&b, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		 offsetof(struct seccomp_data, arch)));
	bpf_emit(&b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		 AUDIT_ARCH_X86_64, 1, 0));
	bpf_emit(&b, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
		 SECCOMP_RET_TRACE));
	bpf_require(&b, ip + 4, (uint32_t)(HO_US_BASE >> 32));
	bpf_emit(&b, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ip));
	b.fails[b.nf++] = b.n;    /* ip_lo >= PAGE: not the code page */
	bpf_emit(&b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K,
		 PAGE, 0, 0));
	bpf_emit(&b, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		 offsetof(struct seccomp_data, nr)));
	bpf_emit(&b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		 SYS_munmap, 0, 5));
	bpf_require(&b, ARG_LO(2), clo);
	bpf_require(&b, ARG_HI(2), chi);
	bpf_emit(&b, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
		 SECCOMP_RET_ALLOW));
	b.fails[b.nf++] = b.n;
	bpf_emit(&b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		 SYS_mmap, 0, 0));
	bpf_require(&b, ARG_HI(3), chi);          /* flags: cookie above */
	bpf_require(&b, ARG_LO(4), (uint32_t)memfd);
	bpf_require(&b, ARG_HI(4), clo);          /* fd: cookie above */
	bpf_require(&b, ARG_HI(0), 0);            /* below 4 GiB */
	bpf_require(&b, ARG_HI(1), 0);
	bpf_emit(&b, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
		 SECCOMP_RET_ALLOW));
	unsigned refuse = b.n;
	bpf_emit(&b, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
		 SECCOMP_RET_TRACE));
	for (unsigned i = 0; i < b.nf; i++) {
		struct sock_filter *j = &b.f[b.fails[i]];
		unsigned to = refuse - b.fails[i] - 1;
		if (BPF_OP(j->code) == BPF_JGE)
			j->jt = (uint8_t)to;
		else
			j->jf = (uint8_t)to;
	}
	struct sock_fprog prog = { (unsigned short)b.n, b.f };
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	       syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) ? -1 : 0;
}

/* In the fork: wait to be traced, keep only guest RAM's fd, build the
 * stub's pages at HO_US_BASE, install the LDT and the filter, then jump
 * to HO_US_INIT, which unmaps everything else and traps. */
static void stub_child(struct ho_uop_page *pg, uint64_t cookie, int memfd)
{
	while (!__atomic_load_n(&pg->seized, __ATOMIC_ACQUIRE))
		sched_yield();
	if (syscall(SYS_close_range, 0, memfd - 1, 0) < 0 ||
	    syscall(SYS_close_range, memfd + 1, ~0u, 0) < 0)
		_exit(10);
	uint8_t *code = mmap((void *)HO_US_BASE, PAGE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			     -1, 0);
	void *stack = mmap((void *)(HO_US_BASE + 2 * PAGE), PAGE,
			   PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
			   MAP_FIXED_NOREPLACE, -1, 0);
	if (code != (void *)HO_US_BASE || stack == MAP_FAILED)
		_exit(11);
	memcpy(code, ho_ustub_start, (size_t)(ho_ustub_end - ho_ustub_start));
	if (mprotect(code, PAGE, PROT_READ | PROT_EXEC) < 0 ||
	    mremap(pg, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED,
		   (void *)HO_US_OPS_PAGE) == MAP_FAILED)
		_exit(12);
	if (stub_drop_rseq() < 0 || stub_ldt() < 0 ||
	    stub_filter(cookie, memfd) < 0)
		_exit(13);
	ho_stub_jump(cookie, HO_US_STACK_TOP, HO_US_BASE + HO_US_INIT);
}

/* ---- the kernel side: the stub's life -------------------------------- */

/* A ptrace request on the current stub. */
static long pt(int req, void *addr, void *data)
{
	return ptrace(req, ho_vm.user.cur->pid, addr, data);
}

static void user_die(struct ab_vm *vm, const char *what, int st)
{
	ab_vcpu_kill(&vm->vcpu, &vm->r, "user stub process %s (status 0x%x)",
		     what, st);
}

/* Both sides on one core: every stop and resume is a wake-up of the
 * other side, and a cross-core wake-up costs several times a same-core
 * switch on this kind of machine (docs/hosted.md).  The child inherits
 * the mask.  PREVIRT_HOSTED_NO_PIN=1 leaves scheduling to the host. */
static void pin_to_this_cpu(void)
{
	const char *off = getenv("PREVIRT_HOSTED_NO_PIN");
	int cpu = sched_getcpu();
	cpu_set_t set;
	if ((off && *off == '1') || cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof set, &set);
}

/* Fork one stub, trace it, wait for its ready trap. */
static int stub_start(struct ab_vm *vm, struct ho_stub *s, uint64_t cookie)
{
	int st;
	s->page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s->page == MAP_FAILED) {
		perror("previrt-hosted: user stub op page");
		return -1;
	}
	s->page->memfd = (uint32_t)vm->memfd;
	s->pid = fork();
	if (s->pid < 0) {
		perror("previrt-hosted: fork (user stub)");
		return -1;
	}
	if (s->pid == 0)
		stub_child(s->page, cookie, vm->memfd);
	if (ptrace(PTRACE_SEIZE, s->pid, 0, (void *)(long)(PTRACE_O_EXITKILL |
		   PTRACE_O_TRACESECCOMP)) < 0) {
		perror("previrt-hosted: ptrace (user stub)");
		return -1;
	}
	__atomic_store_n(&s->page->seized, 1, __ATOMIC_RELEASE);
	if (waitpid(s->pid, &st, __WALL) != s->pid || !WIFSTOPPED(st) ||
	    WSTOPSIG(st) != SIGTRAP || (st >> 16)) {
		fprintf(stderr, "previrt-hosted: user stub did not start "
			"(status 0x%x)\n", st);
		return -1;
	}
	return 0;
}

int ho_user_init(struct ab_vm *vm)
{
	struct ho_user *u = &vm->user;
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);  /* stops arrive by sigtimedwait */
	if (getrandom(&u->cookie, sizeof u->cookie, 0) != sizeof u->cookie) {
		perror("previrt-hosted: getrandom");
		return -1;
	}
	pin_to_this_cpu();
	for (unsigned i = 0; i < HO_STUBS; i++)
		if (stub_start(vm, &u->stub[i], u->cookie) < 0)
			return -1;
	u->cur = &u->stub[0];
	u->cur->in_use = 1;
	return 0;
}

/* ---- what a stub maps: the op queue and the record ------------------- */

static struct ho_map *map_slot(struct ho_stub *s, uint32_t va, int add)
{
	unsigned h = (va >> 12) * 2654435761u % HO_MAP_SLOTS;
	struct ho_map *dead = NULL;
	for (unsigned n = 0; n < HO_MAP_SLOTS; n++, h = (h + 1) % HO_MAP_SLOTS) {
		struct ho_map *m = &s->map[h];
		if (m->va == va)
			return m;
		if (m->va == 1 && !dead)
			dead = m;
		if (m->va == 0)
			return add ? (dead ? dead : m) : NULL;
	}
	return add ? dead : NULL;
}

static void map_clear(struct ho_stub *s)
{
	memset(s->map, 0, sizeof s->map);
	s->nmap = s->ndead = 0;
	s->untracked = 0;
}

static void map_del(struct ho_stub *s, uint32_t va)
{
	struct ho_map *m = map_slot(s, va, 0);
	if (m) {
		m->va = 1;
		s->nmap--;
		s->ndead++;
	}
}

static void q_add(struct ab_vm *vm, uint32_t kind, uint64_t va, uint64_t len,
		  uint64_t off, uint32_t prot);

/* Drop everything the current stub maps. */
void ho_user_flush(struct ab_vm *vm)
{
	struct ho_stub *s = vm->user.cur;
	s->nq = 0;
	map_clear(s);
	vm->user.flushes++;
	q_add(vm, HO_UOP_UNMAP, 0, 1ull << 32, 0, 0);
}

/* Note that the current stub maps page va (a table too full to take it
 * means: drop everything instead). */
static void map_note(struct ab_vm *vm, uint32_t va, uint32_t gpa,
		     uint32_t prot)
{
	struct ho_stub *s = vm->user.cur;
	struct ho_map *m = map_slot(s, va, 1);
	if (m && m->va == va) {
		m->gpa = gpa;
		m->prot = prot;
		return;
	}
	if (!m || s->nmap + s->ndead >= HO_MAP_SLOTS * 3 / 4) {
		ho_user_flush(vm);
		m = map_slot(s, va, 1);
	}
	if (m->va == 1)
		s->ndead--;
	*m = (struct ho_map){ va, gpa, prot };
	s->nmap++;
}

static void q_add(struct ab_vm *vm, uint32_t kind, uint64_t va, uint64_t len,
		  uint64_t off, uint32_t prot)
{
	struct ho_stub *s = vm->user.cur;
	struct ho_uop *last = s->nq ? &s->q[s->nq - 1] : NULL;
	if (last && kind == HO_UOP_MAP && last->kind == HO_UOP_MAP &&
	    last->prot == prot && last->va + last->len == va &&
	    last->off + last->len == off) {
		last->len += len;                 /* extends the last run */
		return;
	}
	if (s->nq == HO_US_MAXOPS) {              /* full: drop all instead */
		s->nq = 0;
		map_clear(s);
		q_add(vm, HO_UOP_UNMAP, 0, 1ull << 32, 0, 0);
		if (kind == HO_UOP_UNMAP)
			return;
	}
	s->q[s->nq++] = (struct ho_uop){ va, len, off, kind, prot };
}

/* The current stub maps page va from gpa with prot on its next resume
 * (recorded first: a full record flushes the stub, queued after that). */
static void stub_map(struct ab_vm *vm, uint32_t va, uint32_t gpa,
		     uint32_t prot)
{
	map_note(vm, va, gpa, prot);
	q_add(vm, HO_UOP_MAP, va, PAGE, gpa, prot);
}

void ho_user_invlpg(struct ab_vm *vm, uint32_t page)
{
	q_add(vm, HO_UOP_UNMAP, page, PAGE, 0, 0);
	map_del(vm->user.cur, page);
}

static uint32_t user_prot(uint32_t f);

/* A CR3 load: the kept mappings of the stub now current must be what a
 * walk of the guest's tables would give, with nothing for the walk to
 * set (A, and D for a writable mapping): the rest are dropped. */
static void stub_revalidate(struct ab_vm *vm)
{
	struct ho_stub *s = vm->user.cur;
	if (s->untracked) {
		ho_user_flush(vm);
		return;
	}
	for (unsigned i = 0; i < HO_MAP_SLOTS && s->nmap; i++) {
		struct ho_map *m = &s->map[i];
		uint32_t gpa, f;
		if (m->va <= 1)
			continue;
		vm->user.revalidated++;
		if (ab_vcpu_peek(&vm->vcpu, m->va, &gpa, &f) == 0 &&
		    (gpa & ~(PAGE - 1)) == m->gpa && (f & 0x24) == 0x24 &&
		    (m->prot & ~user_prot(f)) == 0)
			continue;
		vm->user.revalidate_drops++;
		q_add(vm, HO_UOP_UNMAP, m->va, PAGE, 0, 0);
		if (s->nq == 1 && s->q[0].len == 1ull << 32)
			return;                   /* the queue overflowed */
		m->va = 1;
		s->nmap--;
		s->ndead++;
	}
}

void ho_user_switch(struct ab_vm *vm, uint32_t cr3)
{
	struct ho_user *u = &vm->user;
	struct ho_stub *hit = NULL, *lru = NULL;
	cr3 &= ~(PAGE - 1);
	for (unsigned i = 0; i < HO_STUBS; i++) {
		struct ho_stub *s = &u->stub[i];
		if (s->in_use && s->cr3 == cr3)
			hit = s;
		if (!lru || (lru->in_use && (!s->in_use ||
					     s->last_used < lru->last_used)))
			lru = s;
	}
	if (hit) {
		u->cur = hit;
		u->switch_hits++;
		stub_revalidate(vm);
	} else {                                  /* evict the least recent */
		u->cur = lru;
		lru->in_use = 1;
		lru->cr3 = cr3;
		u->switch_misses++;
		ho_user_flush(vm);
	}
	u->cur->last_used = ++u->clock;
}

/* Host protection for a guest user page with effective flags f: writable
 * only once the guest's dirty bit is set (the first write faults and the
 * write walk sets D, exactly when the CPU would). */
static uint32_t user_prot(uint32_t f)
{
	return PROT_READ | PROT_EXEC | ((f & 2) && (f & 0x40) ? PROT_WRITE : 0);
}

/* Map the neighbours of page that guest user code has already accessed
 * (A set: mapping them changes nothing the guest can see). */
static void fault_around(struct ab_vm *vm, uint32_t page)
{
	for (int i = -FAULT_AROUND; i <= FAULT_AROUND; i++) {
		uint32_t nva = page + (uint32_t)i * PAGE, gpa, f;
		if (!i || (nva >> 22) != (page >> 22) || nva == 0 ||
		    vm->user.cur->nq > HO_US_MAXOPS - 4 ||
		    ab_vcpu_peek(&vm->vcpu, nva, &gpa, &f) < 0 ||
		    (f & 0x24) != 0x24 || (gpa & ~(PAGE - 1)) >= vm->mem_size)
			continue;
		stub_map(vm, nva, gpa & ~(PAGE - 1), user_prot(f));
	}
}

/* Make guest user page va accessible in the stub as the guest's tables
 * allow it (write: the access was a write).  1 queued, 0 the guest must
 * see a #PF (error code in *err), -1 outside guest RAM or page 0. */
int ho_user_fill(struct ab_vm *vm, uint32_t va, int write, uint32_t *err)
{
	uint32_t gpa, f, page = va & ~(PAGE - 1);
	unsigned acc = AB_ACC_USER | (write ? AB_ACC_WRITE : 0);
	if (ab_vcpu_translate(&vm->vcpu, va, acc, &gpa, err) < 0)
		return 0;
	if (!vm->paging) {          /* identity: all of RAM but page 0 */
		q_add(vm, HO_UOP_MAP, PAGE, vm->mem_size - PAGE, PAGE,
		      PROT_READ | PROT_WRITE | PROT_EXEC);
		vm->user.cur->untracked = 1;
		return 1;
	}
	if (ab_vcpu_peek(&vm->vcpu, page, &gpa, &f) < 0)
		return -1;
	gpa &= ~(PAGE - 1);
	if (gpa >= vm->mem_size || page == 0)
		return -1;
	stub_map(vm, page, gpa, user_prot(f));
	fault_around(vm, page);
	vm->user.fills++;
	return 1;
}

/* ---- registers between the vCPU and the stub ------------------------- */

/* The real selector the stub runs a virtual data selector with: DS and
 * ES always the flat data segment (a guest kernel whose own segment loads
 * ran unmarked leaves no virtual selector behind); FS and GS null while
 * the virtual one is null, so that a stray %gs: access faults as it
 * would natively. */
static uint16_t real_sel(uint16_t vsel, int fsgs)
{
	return vsel & ~3 || !fsgs ? HO_SEL_UDATA : 0;
}

static void guest_to_stub(struct ab_vm *vm, struct user_regs_struct *s)
{
	const struct ab_regs *r = &vm->r;
	memset(s, 0, sizeof *s);          /* r8-r15 included: never stale */
	s->rax = r->eax; s->rbx = r->ebx; s->rcx = r->ecx; s->rdx = r->edx;
	s->rsi = r->esi; s->rdi = r->edi; s->rbp = r->ebp; s->rsp = r->esp;
	s->rip = r->eip;
	s->eflags = (r->eflags & FL_USER) | FL_IF | 2;
	s->cs = HO_SEL_UCODE;
	s->ss = HO_SEL_UDATA;
	s->ds = real_sel(r->ds, 0);
	s->es = real_sel(r->es, 0);
	s->fs = real_sel(r->fs, 1);
	s->gs = real_sel(r->gs, 1);
	s->fs_base = s->fs ? vm->fs_base : 0;
	s->gs_base = s->gs ? vm->gs_base : 0;
	s->orig_rax = (unsigned long long)-1;   /* no system call to restart */
}

static void stub_to_guest(struct ab_vm *vm, const struct user_regs_struct *s)
{
	struct ab_regs *r = &vm->r;
	r->eax = (uint32_t)s->rax; r->ebx = (uint32_t)s->rbx;
	r->ecx = (uint32_t)s->rcx; r->edx = (uint32_t)s->rdx;
	r->esi = (uint32_t)s->rsi; r->edi = (uint32_t)s->rdi;
	r->ebp = (uint32_t)s->rbp; r->esp = (uint32_t)s->rsp;
	r->eip = (uint32_t)s->rip;
	r->eflags = ((uint32_t)s->eflags & ~FL_IF) | 2;
}

/* Would native hardware have let CPL-3 code load sel into a data segment
 * register (ss: into SS)?  0 yes; else the vector (#GP, #NP, #SS) its
 * load raises, error code sel. */
static unsigned user_load_fault(struct ab_vm *vm, uint16_t sel, int ss)
{
	uint32_t d[2];
	if (!(sel & ~3))
		return ss ? 13 : 0;                  /* null: not into SS */
	if (ab_vcpu_desc(&vm->vcpu, sel, d) < 0 || !(d[1] & 0x1000))
		return 13;                           /* beyond limit, system */
	unsigned dpl = d[1] >> 13 & 3, code = (d[1] & 0x800) != 0;
	unsigned rw = (d[1] & 0x200) != 0, conforming = code && (d[1] & 0x400);
	if (ss ? code || !rw || dpl != 3 || (sel & 3) != 3
	       : (code && !rw) || (!conforming && dpl != 3))
		return 13;
	if (!(d[1] & 0x8000))
		return ss ? 12 : 11;
	return 0;
}

/* Guest user code loaded a segment register itself (glibc's TLS setup:
 * `mov %ax, %gs` with the selector set_thread_area gave it): the real CPU
 * loaded the host's descriptor of that number.  A selector the guest's
 * own tables allow becomes the virtual one (FS/GS with the base of the
 * guest's descriptor): 1, so a faulting access is restarted.  One they do
 * not allow raises what the load would have natively (#GP/#NP/#SS with
 * the selector; at the current eip, the load's own is not known): -1.
 * 0 if nothing changed. */
static int adopt_segs(struct ab_vm *vm, const struct user_regs_struct *s)
{
	struct ab_regs *r = &vm->r;
	uint16_t *virt[5] = { &r->ds, &r->es, &r->fs, &r->gs, &r->ss };
	unsigned long long real[5] = { s->ds, s->es, s->fs, s->gs, s->ss };
	int changed = 0;
	for (unsigned i = 0; i < 5; i++) {
		uint16_t sel = (uint16_t)real[i];
		if (i == 4 ? sel == HO_SEL_UDATA
			   : real[i] == real_sel(*virt[i], i >= 2))
			continue;
		unsigned vec = user_load_fault(vm, sel, i == 4);
		if (vec) {
			vm->user.seg_faults++;
			ab_guest_fault(&vm->vcpu, r, vec, sel & ~3u, 0);
			return -1;
		}
		*virt[i] = sel;
		changed = 1;
	}
	if (changed) {
		vm->fs_base = ho_seg_base(vm, r->fs);
		vm->gs_base = ho_seg_base(vm, r->gs);
		vm->user.seg_adopts++;
	}
	return changed;
}

/* The FPU state moves with the vCPU: fx is the kernel side's copy (the
 * signal frame's or the fast path's fxsave area). */
/* The FXSAVE bytes that hold state 32-bit code can see: FCW FSW FTW FOP
 * (0-7), MXCSR (24-27), ST0-7 and XMM0-7 (32-287).  The instruction and
 * operand pointers (8-23), MXCSR_MASK, XMM8-15 and the reserved tail
 * differ between fxsave64 and the host's ptrace image without meaning. */
static int fpu_same(const uint8_t *a, const uint8_t *b)
{
	return !memcmp(a, b, 8) && !memcmp(a + 24, b + 24, 4) &&
	       !memcmp(a + 32, b + 32, 256);
}

static void fpu_to_stub(struct ab_vm *vm, const void *fx)
{
	struct ho_stub *u = vm->user.cur;
	if (u->fx_valid && fpu_same(u->fx, fx))
		return;
	vm->user.fpu_sets++;
	memcpy(u->fx, fx, sizeof u->fx);
	if (pt(PTRACE_SETFPREGS, 0, u->fx) < 0)
		user_die(vm, "refused its FPU state", errno);
	u->fx_valid = 1;
}

static void fpu_from_stub(struct ab_vm *vm, void *fx)
{
	struct ho_stub *u = vm->user.cur;
	if (pt(PTRACE_GETFPREGS, 0, u->fx) < 0)
		user_die(vm, "hid its FPU state", errno);
	u->fx_valid = 1;
	memcpy(fx, u->fx, sizeof u->fx);
}

/* ---- running guest user code ---------------------------------------- */

/* Resume the stub in guest user code; through the op list first if any
 * mappings are queued (one stop either way). */
static void resume(struct ab_vm *vm, const void *fx)
{
	struct ho_stub *u = vm->user.cur;
	struct user_regs_struct s;
	guest_to_stub(vm, &s);
	if (u->nq) {
		struct ho_uop_page *pg = u->page;
		uint64_t fr[12] = { s.rax, s.rbx, s.rcx, s.rdx, s.rsi, s.rdi,
				    s.rbp, s.rsp, s.rip, s.eflags, s.cs, s.ss };
		memcpy(pg->frame, fr, sizeof fr);
		memcpy(pg->ops, u->q, u->nq * sizeof u->q[0]);
		pg->nops = u->nq;
		pg->memfd = (uint32_t)vm->memfd;
		s.rip = HO_US_BASE + HO_US_RESUME;
		s.cs = HO_SEL_CS64;
		s.ss = HO_SEL_DS;
		s.rsp = HO_US_STACK_TOP;
		s.eflags = FL_IF | 2;
		s.r15 = vm->user.cookie;
		vm->user.batches++;
	}
	fpu_to_stub(vm, fx);
	if (pt(PTRACE_SETREGS, 0, &s) < 0)
		user_die(vm, "refused the guest registers", errno);
	if (pt(PTRACE_CONT, 0, 0) < 0)
		user_die(vm, "cannot be resumed", errno);
}

/* Wait for the stub's next stop (SIGCHLD, blocked, says it may have
 * come; a stale one only costs a turn of the loop); at the PIT deadline,
 * interrupt it. */
static int wait_stop(struct ab_vm *vm)
{
	struct ho_stub *u = vm->user.cur;
	sigset_t chld;
	int st;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	for (;;) {
		struct timespec ts, *tp = NULL;
		uint64_t now = ho_now(), dl = vm->deadline_ns;
		if (dl) {
			uint64_t d = dl > now ? dl - now : 0;
			ts.tv_sec = (time_t)(d / 1000000000u);
			ts.tv_nsec = (long)(d % 1000000000u);
			tp = &ts;
		}
		int timed_out = sigtimedwait(&chld, NULL, tp) < 0 &&
				errno == EAGAIN;
		int got = waitpid(u->pid, &st, __WALL | WNOHANG);
		if (got == u->pid)
			return st;
		if (got < 0)
			user_die(vm, "is gone", errno);
		if (timed_out)
			break;
	}
	if (pt(PTRACE_INTERRUPT, 0, 0) < 0)
		user_die(vm, "cannot be interrupted", errno);
	while (waitpid(u->pid, &st, __WALL) != u->pid)
		if (errno != EINTR)       /* a timer signal in the fast path */
			user_die(vm, "cannot be interrupted", errno);
	return st;
}

/* #GP from guest user code: int n through a gate the host does not open
 * to ring 3 (decoded from the instruction), or another #GP.  The host does
 * not tell the error code; the guest sees 0. */
static void user_gp(struct ab_vm *vm)
{
	uint8_t insn[2];
	uint32_t e, va;
	struct ab_regs *r = &vm->r;
	if (ab_vcpu_read(&vm->vcpu, r->eip, insn, 2, 3, &e, &va) == 0 &&
	    insn[0] == 0xcd) {
		r->eip += 2;
		ab_guest_int(&vm->vcpu, r, insn[1]);
		return;
	}
	ab_guest_fault(&vm->vcpu, r, 13, 0, 0);
}

/* Does the instruction at eip write page fpage, where it faulted?  Not
 * when fpage may be the fetch itself; else uinsn.c decides. */
static int writes_page(struct ab_vm *vm, uint32_t fpage)
{
	const struct ab_regs *r = &vm->r;
	struct ho_uctx c = { fpage, r->esp, r->esi, r->edi };
	uint8_t b[PV_INSN_MAX_LEN];
	uint32_t e, va, n = PV_INSN_MAX_LEN;
	if (PAGE - (r->eip & (PAGE - 1)) < n)
		n = PAGE - (r->eip & (PAGE - 1));
	if (fpage == (r->eip & ~(PAGE - 1)) ||
	    fpage == ((r->eip + PV_INSN_MAX_LEN - 1) & ~(PAGE - 1)) ||
	    ab_vcpu_read(&vm->vcpu, r->eip, b, n, 3, &e, &va) < 0)
		return 0;
	return ho_insn_writes(b, n, &c);
}

/* A page fault at va: fill it if the guest's tables allow the access,
 * else the guest kernel's #PF.  The host tells "not mapped" (MAPERR) or
 * "not allowed" (ACCERR), not read or write.  ACCERR on a page the stub
 * has mapped is a write (every mapping is readable and executable).
 * MAPERR is a write when the instruction says so for certain
 * (writes_page, uinsn.c), else it is taken as a read: a write then faults once more
 * on the read-only page and is taken as a write, so the guest kernel sees
 * at worst a read fault followed by a write fault, as after a read and a
 * write. */
static void user_pf(struct ab_vm *vm, uint64_t va, int accerr)
{
	uint32_t err;
	if (va >= HO_LOW_END) {
		ab_guest_fault(&vm->vcpu, &vm->r, 13, 0, 0);
		return;
	}
	int write = accerr || writes_page(vm, (uint32_t)va & ~(PAGE - 1));
	int got = ho_user_fill(vm, (uint32_t)va, write, &err);
	if (got < 0)
		ab_vcpu_kill(&vm->vcpu, &vm->r, "user access to 0x%08x: "
			     "guest-physical address outside RAM (or page 0)",
			     (uint32_t)va);
	if (got > 0)
		return;
	vm->pf_pending = 1;
	vm->pf_write = write;
	vm->pf_va = (uint32_t)va;
	vm->pf_eip = vm->r.eip;
	ab_guest_fault(&vm->vcpu, &vm->r, 14, err, (uint32_t)va);
}

/* A signal-delivery stop: the exception guest user code raised. */
static void user_signal(struct ab_vm *vm, int sig)
{
	struct ab_vcpu *v = &vm->vcpu;
	siginfo_t si;
	if (pt(PTRACE_GETSIGINFO, 0, &si) < 0)
		user_die(vm, "hid its signal", errno);
	switch (sig) {
	case SIGSEGV:
		if (si.si_code == SEGV_MAPERR || si.si_code == SEGV_ACCERR)
			user_pf(vm, (uint64_t)(uintptr_t)si.si_addr,
				si.si_code == SEGV_ACCERR);
		else
			user_gp(vm);
		return;
	case SIGTRAP:
		if (si.si_code == SI_KERNEL) {         /* int3: a trap */
			ab_guest_int(v, &vm->r, 3);
			return;
		}
		ab_guest_fault(v, &vm->r, 1, 0, 0);
		return;
	case SIGILL:
		ab_guest_fault(v, &vm->r, 6, 0, 0);
		return;
	case SIGFPE:
		ab_guest_fault(v, &vm->r, si.si_code == FPE_INTDIV ? 0 : 16, 0, 0);
		return;
	case SIGBUS:
		ab_guest_fault(v, &vm->r, si.si_code == BUS_ADRALN ? 17 : 12,
			       0, 0);
		return;
	default:                              /* not the guest's: drop it */
		return;
	}
}

/* A system call the stub's filter refused (from the guest's own 32-bit
 * code segment, the filter only ever sees int $0x80, sysenter or
 * syscall, so the instruction tells which): int $0x80 goes to the guest
 * kernel; anything else (64-bit code, a far jump to the
 * host's 32-bit code selector, the stub's own code without the cookie) is
 * what the guest's far jump would have been natively: #GP. */
static void user_syscall(struct ab_vm *vm, const struct user_regs_struct *s)
{
	uint8_t insn[2] = { 0, 0 };
	uint32_t e, va;
	struct ab_regs *r = &vm->r;
	if (s->cs == HO_SEL_UCODE &&
	    ab_vcpu_read(&vm->vcpu, r->eip - 2, insn, 2, 3, &e, &va) == 0 &&
	    insn[0] == 0xcd && insn[1] == 0x80) {
		r->eax = (uint32_t)s->orig_rax;
		ab_guest_int(&vm->vcpu, r, 0x80);
		return;
	}
	vm->user.escapes++;
	if (s->cs == HO_SEL_UCODE)         /* sysenter, syscall: #UD */
		r->eip -= 2;
	ab_guest_fault(&vm->vcpu, r, s->cs == HO_SEL_UCODE ? 6 : 13, 0, 0);
}

/* The stub stopped inside its own code page.  Interrupted (the timer):
 * the op list, if it was running, stays queued and runs again (every op
 * is idempotent).  Anything else there, a refused call or a fault, may be
 * guest code that jumped into the page after a far jump to 64-bit mode
 * (it can also write the op page, so nothing there tells a real mapping
 * failure apart): the guest gets the #GP its far jump would have raised,
 * at the registers it was last resumed with, and the guest kernel keeps
 * running. */
static void stub_code_stop(struct ab_vm *vm, int st)
{
	if ((st >> 16) == PTRACE_EVENT_STOP) {
		ho_console_poll(vm, 0);
		ab_timer_expired(&vm->vcpu, &vm->r);
		return;
	}
	vm->user.stub_code_faults++;
	ab_guest_fault(&vm->vcpu, &vm->r, 13, 0, 0);
}

/* The timer's interrupt can stop the stub between a fault and the
 * delivery of its signal: the signal stays pending and would be reported
 * on the next resume, as if the code the stub is resumed at had faulted.
 * Count such signals now; their delivery stops are dropped (they come
 * before the stub runs anything, so its state is the one just set).  a:
 * struct ptrace_peeksiginfo_args (linux/ptrace.h, which clashes with
 * sys/ptrace.h). */
static void note_stale_signals(struct ab_vm *vm)
{
	struct { uint64_t off; uint32_t flags; int32_t nr; } a = { 0, 0, 8 };
	siginfo_t si[8];
	long n = pt(PTRACE_PEEKSIGINFO, &a, si);
	vm->user.cur->stale = n > 0 ? (unsigned)n : 0;
}

static void user_event(struct ab_vm *vm, int st, void *fx)
{
	struct ho_user *u = &vm->user;
	struct user_regs_struct s;
	if (!WIFSTOPPED(st))
		user_die(vm, WIFSIGNALED(st) ? "was killed" : "exited", st);
	if (u->cur->stale && !(st >> 16)) {
		u->cur->stale--;
		u->stale_dropped++;
		return;
	}
	if ((st >> 16) == PTRACE_EVENT_STOP)
		note_stale_signals(vm);
	if (pt(PTRACE_GETREGS, 0, &s) < 0)
		user_die(vm, "hid its registers", errno);
	u->stops++;
	if (s.rip - HO_US_BASE < PAGE) {
		stub_code_stop(vm, st);
		return;
	}
	u->cur->nq = 0;                   /* the stub ran the op list */
	fpu_from_stub(vm, fx);
	stub_to_guest(vm, &s);
	int sig = WSTOPSIG(st), event = st >> 16;
	if (s.cs != HO_SEL_UCODE && event != PTRACE_EVENT_STOP) {
		u->escapes++;             /* far jump to a host code selector */
		ab_guest_fault(&vm->vcpu, &vm->r, 13, 0, 0);
		return;
	}
	int adopted = adopt_segs(vm, &s);
	if (adopted < 0 || (adopted && (sig == SIGSEGV || sig == SIGBUS) &&
			    !event))
		return;     /* the load's own fault, or a restart with new bases */
	if (event == PTRACE_EVENT_SECCOMP)
		user_syscall(vm, &s);
	else if (event == PTRACE_EVENT_STOP) {
		ho_console_poll(vm, 0);
		ab_timer_expired(&vm->vcpu, &vm->r);
	} else if (!event)
		user_signal(vm, sig);
}

/* The vCPU is at CPL 3: run guest user code in the stub until an event
 * takes it back to the guest kernel.  fx: the FPU state of this context. */
void ho_user_run(struct ab_vm *vm, void *fx)
{
	vm->user.in_user = 1;
	while (vm->cpl == 3) {
		resume(vm, fx);
		user_event(vm, wait_stop(vm), fx);
	}
	vm->user.in_user = 0;
}
