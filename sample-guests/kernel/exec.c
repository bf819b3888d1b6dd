/*
 * exec.c - the table of user programs embedded in the kernel image (built
 * by sample-guests/meson.build into progs.S), PVH modules run as
 * "module0".. "module7", and the static i386 ELF loader behind execve.
 * Runs: guest kernel.  The new process image gets the Linux i386 initial
 * stack: argc, argv[], NULL, envp NULL, auxv AT_NULL, with the argument
 * strings above them in the top stack page.
 */
#include "kernel.h"
#include "x86.h"

#define ENOENT  2
#define ENOEXEC 8
#define ENOMEM  12
#define E2BIG   7

struct elfhdr {
	u8 ident[16];
	u16 type, machine;
	u32 version, entry, phoff, shoff, flags;
	u16 ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct proghdr {
	u32 type, offset, vaddr, paddr, filesz, memsz, flags, align;
};

#define PT_LOAD 1
#define PF_W    2

extern const struct prog progs[];
extern const u32 nprogs;

/* PVH module N as the program "moduleN" (N a single digit). */
static const struct prog *prog_module(const char *name)
{
	static const char *const names[PVH_MAXMOD] = { "module0", "module1",
		"module2", "module3", "module4", "module5", "module6",
		"module7" };
	static struct prog mods[PVH_MAXMOD];
	struct memrange r;
	int i = name[6] - '0';

	if (strncmp(name, "module", 6) || i < 0 || i >= PVH_MAXMOD ||
	    name[7] || !pvh_module(i, &r))
		return NULL;
	mods[i].name = names[i];
	mods[i].data = P2V(r.start);
	mods[i].size = r.end - r.start;
	return &mods[i];
}

/* The embedded program or module named by the last component of path. */
const struct prog *prog_find(const char *path)
{
	const char *base = path;
	u32 i;

	for (; *path; path++)
		if (*path == '/')
			base = path + 1;
	if (strncmp(base, "module", 6) == 0)
		return prog_module(base);
	for (i = 0; i < nprogs; i++)
		if (strcmp(progs[i].name, base) == 0)
			return &progs[i];
	return NULL;
}

static int elf_check(const struct prog *pg, const struct elfhdr *eh)
{
	if (pg->size < sizeof(*eh) || memcmp(eh->ident, "\177ELF\1\1", 6) ||
	    eh->type != 2 || eh->machine != 3 ||
	    eh->phentsize != sizeof(struct proghdr) ||
	    eh->phoff + eh->phnum * sizeof(struct proghdr) > pg->size)
		return -ENOEXEC;
	return 0;
}

/* Map and fill one PT_LOAD segment; returns its end address or 0. */
static u32 elf_load_seg(u32 *pgdir, const struct prog *pg,
			const struct proghdr *ph)
{
	u32 va, end = ph->vaddr + ph->memsz;

	if (ph->memsz < ph->filesz || end < ph->vaddr ||
	    end > USERTOP - STACKSIZE || ph->offset + ph->filesz > pg->size ||
	    ph->offset + ph->filesz < ph->offset)
		return 0;
	for (va = PGROUNDDOWN(ph->vaddr); va < end; va += PGSIZE) {
		u32 *pte = vm_walk(pgdir, va, 0);
		u32 a, b;
		if ((!pte || !(*pte & PTE_P)) &&
		    vm_alloc_zero(pgdir, va, PTE_U) < 0)
			return 0;
		pte = vm_walk(pgdir, va, 0);
		if (ph->flags & PF_W)
			*pte |= PTE_W;
		/* file bytes of this segment that land in this page */
		a = va > ph->vaddr ? va : ph->vaddr;
		b = va + PGSIZE < ph->vaddr + ph->filesz ?
			va + PGSIZE : ph->vaddr + ph->filesz;
		if (a < b)
			memcpy((u8 *)P2V(*pte & ~0xfffu) + (a - va),
			       pg->data + ph->offset + (a - ph->vaddr), b - a);
	}
	return end;
}

/* Argument strings and vectors in the top stack page; returns %esp. */
static u32 exec_stack(u32 *pgdir, char *const argv[], int argc)
{
	u32 *pte, ptrs[32], sp = USERTOP;
	u8 *page;
	int i;

	if (argc > 16 || vm_alloc_zero(pgdir, USERTOP - PGSIZE, PTE_U | PTE_W))
		return 0;
	pte = vm_walk(pgdir, USERTOP - PGSIZE, 0);
	page = (u8 *)P2V(*pte & ~0xfffu) - (USERTOP - PGSIZE);
	for (i = argc - 1; i >= 0; i--) {
		u32 n = strlen(argv[i]) + 1;
		if (sp - n < USERTOP - PGSIZE / 2)
			return 0;
		sp -= n;
		memcpy(page + sp, argv[i], n);
		ptrs[i] = sp;
	}
	sp &= ~15u;
	sp -= 4 * (argc + 5);                 /* argc, argv, NULL, NULL, auxv */
	*(u32 *)(page + sp) = (u32)argc;
	for (i = 0; i < argc; i++)
		*(u32 *)(page + sp + 4 + 4 * i) = ptrs[i];
	memset(page + sp + 4 + 4 * argc, 0, 16);
	return sp;
}

static void exec_commit(struct proc *p, u32 *pgdir, u32 entry, u32 sp,
			u32 brk, const char *name)
{
	u32 *old = p->pgdir;

	p->pgdir = pgdir;
	p->brk_base = p->brk = brk;
	memset(p->mmaps, 0, sizeof(p->mmaps));
	strncpy_z(p->name, name, sizeof(p->name));
	memset(p->tf, 0, sizeof(*p->tf));
	p->tf->cs = SEL_UCODE;
	p->tf->ds = p->tf->es = p->tf->fs = p->tf->gs = SEL_UDATA;
	p->tf->ss = SEL_UDATA;
	p->tf->eflags = FL_IF;
	p->tf->esp = sp;
	p->tf->eip = entry;
	if (p == curproc)
		vm_switch(p);
	if (old)
		vm_free(old);
}

/* Replace p's image with the embedded program at path; 0 or -errno. */
int exec(struct proc *p, const char *path, char *const argv[], int argc)
{
	const struct prog *pg = prog_find(path);
	const struct elfhdr *eh;
	const struct proghdr *ph;
	u32 *pgdir, brk = 0, sp, end;
	int i;

	if (!pg)
		return -ENOENT;
	eh = (const struct elfhdr *)pg->data;
	if (elf_check(pg, eh) < 0)
		return -ENOEXEC;
	if (!(pgdir = vm_new_pgdir()))
		return -ENOMEM;
	ph = (const struct proghdr *)(pg->data + eh->phoff);
	for (i = 0; i < eh->phnum; i++) {
		if (ph[i].type != PT_LOAD)
			continue;
		if (!(end = elf_load_seg(pgdir, pg, &ph[i])))
			goto bad;
		if (end > brk)
			brk = end;
	}
	if (!(sp = exec_stack(pgdir, argv, argc)))
		goto bad;
	exec_commit(p, pgdir, eh->entry, sp, PGROUNDUP(brk), pg->name);
	return 0;
bad:
	vm_free(pgdir);
	return -ENOEXEC;
}
