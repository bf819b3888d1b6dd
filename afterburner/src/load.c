/*
 * load.c - the afterburner loader: a guest ELF32 image from a memory
 * buffer into guest-physical memory (PT_LOAD at p_paddr), the PVH entry
 * from the Xen ELF note, the site table from the section headers, a sweep
 * of the code of any image previrt-rewrite did not check (an unmarked
 * silent instruction would run natively and go unseen: refused), and the
 * PVH start of day (struct hvm_start_info, registers).  Runs: hosted
 * process and monitor ring 0; freestanding.
 */
#include "previrt/afterburner.h"
#include "xen_start_info.h"     /* Xen public arch-x86/hvm/start_info.h */

/* ELF32 as in the System V gABI and the i386 psABI. */
struct e32_ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version, entry, phoff, shoff, flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct e32_phdr {
	uint32_t type, offset, vaddr, paddr, filesz, memsz, flags, align;
};
struct e32_shdr {
	uint32_t name, type, flags, addr, offset, size, link, info,
		 addralign, entsize;
};
#define PT_LOAD 1
#define PT_NOTE 4
#define PF_X 1
#define SHF_ALLOC 2
#define SHF_EXECINSTR 4
#define ET_EXEC 2
#define EM_386 3
#define SHT_NOBITS 8
#define XEN_ELFNOTE_PHYS32_ENTRY 18

struct elf { const uint8_t *p; size_t size; const struct e32_ehdr *eh; };

static int fail(struct ab_vcpu *v, const char *fmt, uint32_t a, uint32_t b)
{
	ab_fmt(v->err, sizeof v->err, fmt, a, b);
	return -1;
}

static int in_file(const struct elf *e, uint32_t off, uint32_t len)
{
	return off <= e->size && len <= e->size - off;
}

static const struct e32_phdr *phdr(const struct elf *e, unsigned i)
{
	return (const struct e32_phdr *)(e->p + e->eh->phoff
					 + i * e->eh->phentsize);
}

static const struct e32_shdr *shdr(const struct elf *e, unsigned i)
{
	return (const struct e32_shdr *)(e->p + e->eh->shoff
					 + i * e->eh->shentsize);
}

static int check_header(struct ab_vcpu *v, struct elf *e)
{
	static const uint8_t magic[4] = { 0x7f, 'E', 'L', 'F' };
	if (e->size < sizeof *e->eh || ab_memcmp(e->p, magic, 4))
		return fail(v, "not an ELF file", 0, 0);
	e->eh = (const struct e32_ehdr *)e->p;
	if (e->p[4] != 1 || e->p[5] != 1 || e->eh->machine != EM_386)
		return fail(v, "not a 32-bit little-endian i386 ELF", 0, 0);
	if (e->eh->type != ET_EXEC)
		return fail(v, "ELF type %u is not an executable (ET_EXEC)",
			    e->eh->type, 0);
	if (e->eh->phentsize != sizeof(struct e32_phdr) ||
	    !in_file(e, e->eh->phoff, e->eh->phnum * 32u))
		return fail(v, "ELF program headers out of the file", 0, 0);
	if ((e->eh->phoff | e->eh->shoff | (uint32_t)(uintptr_t)e->p) & 3)
		return fail(v, "ELF header tables at misaligned offsets "
			    "(program 0x%x, section 0x%x)", e->eh->phoff,
			    e->eh->shoff);
	if (e->eh->shnum && (e->eh->shentsize != sizeof(struct e32_shdr) ||
	    !in_file(e, e->eh->shoff, e->eh->shnum * 40u) ||
	    e->eh->shstrndx >= e->eh->shnum))
		return fail(v, "ELF section headers out of the file", 0, 0);
	return 0;
}

static int load_segment(struct ab_vcpu *v, const struct elf *e,
			const struct e32_phdr *ph)
{
	if (ph->filesz > ph->memsz || !in_file(e, ph->offset, ph->filesz))
		return fail(v, "PT_LOAD at paddr 0x%x: bad sizes", ph->paddr, 0);
	if ((uint64_t)ph->vaddr + ph->memsz > AB_WEDGE_BASE)
		return fail(v, "PT_LOAD at vaddr 0x%x (+0x%x) reaches the "
			    "runtime's wedge at 0xfc000000 or wraps 4 GiB",
			    ph->vaddr, ph->memsz);
	if (ph->memsz && ph->paddr < AB_START_INFO_PA + 0x1000 &&
	    (uint64_t)ph->paddr + ph->memsz > AB_START_INFO_PA - 0x1000)
		return fail(v, "PT_LOAD at paddr 0x%x (+0x%x) overlaps the "
			    "loader's start-info and stack pages at 0x5000",
			    ph->paddr, ph->memsz);
	uint8_t *dst = ab_backend_gpa(v->vm, ph->paddr, ph->memsz);
	if (!dst)
		return fail(v, "PT_LOAD [0x%x, +0x%x) is outside guest RAM",
			    ph->paddr, ph->memsz);
	ab_memcpy(dst, e->p + ph->offset, ph->filesz);
	ab_memset(dst + ph->filesz, 0, ph->memsz - ph->filesz);
	uint32_t off = ph->vaddr - ph->paddr;
	if (v->img.end_paddr == 0)
		v->img.phys_offset = off;
	else if (off != v->img.phys_offset)
		return fail(v, "PT_LOAD segments disagree on vaddr-paddr "
			    "(0x%x vs 0x%x)", off, v->img.phys_offset);
	if (ph->paddr + ph->memsz > v->img.end_paddr)
		v->img.end_paddr = ph->paddr + ph->memsz;
	return 0;
}

/* Scan one note area for the Xen PHYS32_ENTRY note. */
static int find_entry_note(const uint8_t *p, uint32_t size, uint32_t *entry)
{
	struct pv_note n;
	uint32_t pos = 0;
	while (pv_note_next(p, size, &pos, &n))
		if (n.type == XEN_ELFNOTE_PHYS32_ENTRY && n.descsz >= 4 &&
		    pv_note_owner(&n, "Xen")) {
			ab_memcpy(entry, n.desc, 4);
			return 1;
		}
	return 0;
}

/* Virtual address -> offset in the file's PT_LOAD data, or -1. */
static int vaddr_loaded(const struct elf *e, uint32_t va, uint32_t len)
{
	for (unsigned i = 0; i < e->eh->phnum; i++) {
		const struct e32_phdr *ph = phdr(e, i);
		if (ph->type == PT_LOAD && va >= ph->vaddr &&
		    len <= ph->filesz && va - ph->vaddr <= ph->filesz - len)
			return 1;
	}
	return 0;
}

static const struct e32_shdr *find_section(const struct elf *e,
					   const char *name)
{
	const struct e32_shdr *strs = shdr(e, e->eh->shstrndx);
	size_t nl = ab_strlen(name) + 1;
	for (unsigned i = 0; i < e->eh->shnum; i++) {
		const struct e32_shdr *sh = shdr(e, i);
		if (sh->name < strs->size && in_file(e, strs->offset, strs->size)
		    && strs->size - sh->name >= nl &&
		    !ab_memcmp(e->p + strs->offset + sh->name, name, nl))
			return sh;
	}
	return NULL;
}

static int check_site(struct ab_vcpu *v, const struct elf *e,
		      const struct pv_site *s)
{
	const struct pv_class_info *ci = pv_class_info(s->cls);
	if (!ci)
		return fail(v, "site 0x%x: unknown class %u", s->addr, s->cls);
	if (s->origin < PV_ORIGIN_PASS || s->origin > PV_ORIGIN_TRAP)
		return fail(v, "site 0x%x: unknown origin %u", s->addr,
			    s->origin);
	if (s->insn_len == 0 || s->insn_len > PV_INSN_MAX_LEN ||
	    s->len < s->insn_len)
		return fail(v, "site 0x%x: bad lengths (len %u)", s->addr,
			    s->len);
	if (s->origin != PV_ORIGIN_TRAP && s->len < PV_SITE_MIN_LEN)
		return fail(v, "site 0x%x: shorter than a call (len %u)",
			    s->addr, s->len);
	if (s->origin == PV_ORIGIN_TRAP && ci->depriv != PV_DEPRIV_TRAPS)
		return fail(v, "site 0x%x: trap site of silent class %u",
			    s->addr, s->cls);
	if (!vaddr_loaded(e, s->addr, s->len))
		return fail(v, "site 0x%x: not inside a loaded segment "
			    "(len %u)", s->addr, s->len);
	return 0;
}

static void sort_sites(struct ab_site *s, uint32_t n)
{
	for (uint32_t i = 1; i < n; i++) {     /* insertion sort: ~sorted */
		struct ab_site t = s[i];
		uint32_t j = i;
		for (; j > 0 && s[j - 1].addr > t.addr; j--)
			s[j] = s[j - 1];
		s[j] = t;
	}
}

static int read_sites(struct ab_vcpu *v, const struct elf *e)
{
	const struct e32_shdr *sh = e->eh->shnum
		? find_section(e, PV_SITES_SECTION) : NULL;
	if (!sh)
		return 0;                      /* unprepared image: no sites */
	if (sh->type == SHT_NOBITS)
		return fail(v, PV_SITES_SECTION ": NOBITS (size %u): the site "
			    "table has no contents", sh->size, 0);
	if (sh->size % sizeof(struct pv_site) || !in_file(e, sh->offset,
							  sh->size))
		return fail(v, PV_SITES_SECTION ": size %u is not whole "
			    "entries inside the file", sh->size, 0);
	uint32_t n = sh->size / sizeof(struct pv_site), k = 0;
	v->img.sites = ab_backend_alloc(v->vm, (n ? n : 1)
					* sizeof(struct ab_site));
	if (!v->img.sites)
		return fail(v, "out of memory for %u sites", n, 0);
	for (uint32_t i = 0; i < n; i++) {
		struct pv_site s;
		ab_memcpy(&s, e->p + sh->offset + i * sizeof s, sizeof s);
		if (s.addr == 0)
			continue;              /* tombstone */
		if (check_site(v, e, &s) < 0)
			return -1;
		v->img.sites[k++] = (struct ab_site){ .addr = s.addr,
			.len = s.len, .insn_len = s.insn_len, .cls = s.cls,
			.origin = s.origin };
	}
	sort_sites(v->img.sites, k);
	for (uint32_t i = 1; i < k; i++)
		if (v->img.sites[i - 1].addr + v->img.sites[i - 1].len >
		    v->img.sites[i].addr)
			return fail(v, "sites 0x%x and 0x%x overlap",
				    v->img.sites[i - 1].addr,
				    v->img.sites[i].addr);
	v->img.nsites = k;
	return 0;
}

/* The image's boot-argument fragments (PV_NOTE_SECTION): ALWAYS, then
 * BACKEND, then TSC with the backend's TSC rate appended (left out if the
 * backend does not know it), space-separated, into v->img.boot_args. */
static int read_boot_args(struct ab_vcpu *v, const struct elf *e)
{
	const struct e32_shdr *sh = find_section(e, PV_NOTE_SECTION);
	char *out = v->img.boot_args;
	if (!sh)
		return 0;
	if (!in_file(e, sh->offset, sh->size))
		return fail(v, PV_NOTE_SECTION ": %u bytes at offset 0x%x "
			    "outside the file", sh->size, sh->offset);
	static const uint32_t types[] = { PV_NOTE_ARGS_ALWAYS,
		PV_NOTE_ARGS_BACKEND, PV_NOTE_ARGS_TSC };
	uint32_t khz = 0;
	for (uint32_t t = 0; t < sizeof types / sizeof types[0]; t++) {
		struct pv_note n;
		uint32_t pos = 0, type = types[t];
		while (pv_note_next(e->p + sh->offset, sh->size, &pos, &n)) {
			if (n.type != type || !pv_note_owner(&n, PV_NOTE_NAME))
				continue;
			size_t used = ab_strlen(out);
			if (!pv_note_args_ok(&n))
				return fail(v, PV_NOTE_SECTION ": note type %u "
					    "is not one string of at most %u "
					    "bytes", type, PV_NOTE_ARGS_MAX);
			if (type == PV_NOTE_ARGS_TSC && !khz)
				khz = ab_backend_tsc_khz(v->vm);   /* only if asked */
			if (type == PV_NOTE_ARGS_TSC && !khz)
				continue;
			if (used + 1 + n.descsz + 11 > sizeof v->img.boot_args)
				return fail(v, PV_NOTE_SECTION ": boot arguments "
					    "longer than %u bytes (note type %u)",
					    (uint32_t)sizeof v->img.boot_args - 12,
					    type);
			if (used)
				out[used++] = ' ';
			ab_memcpy(out + used, n.desc, n.descsz);
			if (type == PV_NOTE_ARGS_TSC)
				ab_fmt(out + used + n.descsz - 1, 12, "%u", khz);
		}
	}
	return 0;
}

/* The pages of the rewriter's trampoline segment, for the memory map. */
static void read_tramp(struct ab_vcpu *v, const struct elf *e)
{
	const struct e32_shdr *sh = find_section(e, ".previrt.text");
	if (!sh || !sh->size || sh->addr < v->img.phys_offset)
		return;
	uint32_t lo = sh->addr - v->img.phys_offset;
	if ((uint64_t)lo + sh->size > v->img.end_paddr)
		return;                        /* not loaded: nothing to keep */
	uint32_t hi = (lo + sh->size + 0xfff) & ~0xfffu;
	v->img.tramp_paddr = lo & ~0xfffu;
	v->img.tramp_size = hi - v->img.tramp_paddr;
}

/* Did previrt-rewrite's final check find nothing unresolved in this file
 * (its PV_NOTE_UNRESOLVED note says 0)? */
static int rewriter_checked(const struct elf *e)
{
	const struct e32_shdr *sh = find_section(e, PV_NOTE_SECTION);
	if (!sh || !in_file(e, sh->offset, sh->size))
		return 0;
	struct pv_note n;
	uint32_t pos = 0;
	while (pv_note_next(e->p + sh->offset, sh->size, &pos, &n))
		if (n.type == PV_NOTE_UNRESOLVED && n.descsz == 4 &&
		    pv_note_owner(&n, PV_NOTE_NAME))
			return pv_le32(n.desc) == 0;
	return 0;
}

/* Classes whose unmarked native run deprivileged neither traps nor gives
 * the native result, on every backend: the interrupt flag lost (pushf,
 * popf, iret: a guest that never sees IF set again hangs), the monitor's
 * or host's tables and CR0 shown (sgdt, sidt, sldt, str, smsw).  Segment
 * loads, far transfers and segment queries are left out: their deprivileged
 * run traps or is made equivalent by each backend's descriptors, and a
 * kernel image's own user-mode code uses them legitimately. */
static int silently_wrong(unsigned cls)
{
	switch (cls) {
	case PV_CLASS_PUSHF: case PV_CLASS_POPF: case PV_CLASS_IRET:
	case PV_CLASS_STORE_DT: case PV_CLASS_STORE_TR_LDT: case PV_CLASS_SMSW:
		return 1;
	default:
		return 0;
	}
}

/* Code at va (n bytes at code), instruction by instruction from its start
 * (the sites, sorted, are skipped whole; bytes that start no instruction
 * are stepped over one at a time): the first silently wrong instruction
 * outside every site refuses the image. */
static int sweep_code(struct ab_vcpu *v, const uint8_t *code, uint32_t va0,
		      uint32_t n)
{
	const struct ab_site *st = v->img.sites;
	uint32_t k = 0, off = 0;
	while (off < n) {
		uint32_t va = va0 + off;
		while (k < v->img.nsites && st[k].addr + st[k].len <= va)
			k++;
		if (k < v->img.nsites && st[k].addr <= va) {
			off = st[k].addr + st[k].len - va0;
			continue;
		}
		struct pv_insn in;
		int len = pv_insn_length(code + off, n - off);
		if (len < 0) {
			off++;
			continue;
		}
		if (pv_insn_decode(code + off, n - off, &in) ==
		    PV_INSN_SENSITIVE && in.len == len &&
		    silently_wrong(in.cls)) {
			ab_fmt(v->err, sizeof v->err, "unmarked %s at 0x%08x "
			       "(not in the site table, and it would run "
			       "natively unseen): run previrt-rewrite on the "
			       "image", pv_class_info(in.cls)->name, va);
			return -1;
		}
		off += (uint32_t)len;
	}
	return 0;
}

/* Sweep n bytes at file offset off, within the budget of one pass over the
 * file (overlapping sections or segments must not make the sweep
 * quadratic in a hostile image's size). */
static int sweep_part(struct ab_vcpu *v, const struct elf *e, uint32_t off,
		      uint32_t va, uint32_t n, size_t *budget)
{
	if (!in_file(e, off, n))
		return 0;              /* not code that is loaded from the file */
	if (n > *budget)
		return fail(v, "executable sections or segments overlap (at "
			    "offset 0x%x, %u bytes)", off, n);
	*budget -= n;
	return sweep_code(v, e->p + off, va, n);
}

/* The executable sections (SHF_ALLOC|SHF_EXECINSTR with file bytes), or,
 * in an image without section headers, the executable segments. */
static int sweep_unchecked(struct ab_vcpu *v, const struct elf *e)
{
	size_t budget = e->size;
	for (unsigned i = 0; i < e->eh->shnum; i++) {
		const struct e32_shdr *sh = shdr(e, i);
		if (sh->type != SHT_NOBITS &&
		    (sh->flags & (SHF_ALLOC | SHF_EXECINSTR)) ==
		    (SHF_ALLOC | SHF_EXECINSTR) &&
		    sweep_part(v, e, sh->offset, sh->addr, sh->size,
			       &budget) < 0)
			return -1;
	}
	for (unsigned i = 0; !e->eh->shnum && i < e->eh->phnum; i++) {
		const struct e32_phdr *ph = phdr(e, i);
		if (ph->type == PT_LOAD && (ph->flags & PF_X) &&
		    sweep_part(v, e, ph->offset, ph->vaddr, ph->filesz,
			       &budget) < 0)
			return -1;
	}
	return 0;
}

int ab_load_elf(struct ab_vcpu *v, const void *data, size_t size)
{
	struct elf e = { data, size, NULL };
	int found = 0;
	v->img = (struct ab_image){ 0 };
	if (check_header(v, &e) < 0)
		return -1;
	for (unsigned i = 0; i < e.eh->phnum; i++) {
		const struct e32_phdr *ph = phdr(&e, i);
		if (ph->type == PT_LOAD && load_segment(v, &e, ph) < 0)
			return -1;
		if (ph->type == PT_NOTE && !found &&
		    in_file(&e, ph->offset, ph->filesz))
			found = find_entry_note(e.p + ph->offset, ph->filesz,
						&v->img.entry);
	}
	if (!v->img.end_paddr)
		return fail(v, "no PT_LOAD segment", 0, 0);
	if (!found)
		return fail(v, "no PVH entry note (Xen, type 18): not a PVH "
			    "kernel", 0, 0);
	if (e.eh->shnum) {
		read_tramp(v, &e);
		if (read_boot_args(v, &e) < 0 || read_sites(v, &e) < 0)
			return -1;
		if (rewriter_checked(&e))
			return 0;
	}
	return sweep_unchecked(v, &e);
}

/* ---- start of day -------------------------------------------------- */

#define AB_MEMMAP_PA  (AB_START_INFO_PA + 0x40)
#define AB_MODLIST_PA (AB_START_INFO_PA + 0x100)
#define AB_CMDLINE_PA (AB_START_INFO_PA + 0x800)
#define AB_CMDLINE_MAX 0x800u
#define AB_MAX_MODS   (0x700u / sizeof(struct hvm_modlist_entry))

/* RAM below the EBDA and from 1 MiB up, the ROM hole reserved, and so is
 * the trampoline segment (it holds code: a guest that honours the map
 * never hands it out). */
static int put_memmap(struct ab_vcpu *v, uint32_t mem, struct hvm_start_info *si)
{
	struct hvm_memmap_table_entry m[5] = {
		{ 0, 0x9f000, XEN_HVM_MEMMAP_TYPE_RAM, 0 },
		{ 0x9f000, 0x100000 - 0x9f000, XEN_HVM_MEMMAP_TYPE_RESERVED, 0 },
	};
	uint32_t n = 2, lo = v->img.tramp_paddr, hi = lo + v->img.tramp_size;
	if (v->img.tramp_size && lo >= 0x100000 && hi <= mem) {
		m[n++] = (struct hvm_memmap_table_entry){ 0x100000,
			lo - 0x100000, XEN_HVM_MEMMAP_TYPE_RAM, 0 };
		m[n++] = (struct hvm_memmap_table_entry){ lo, hi - lo,
			XEN_HVM_MEMMAP_TYPE_RESERVED, 0 };
		m[n++] = (struct hvm_memmap_table_entry){ hi, mem - hi,
			XEN_HVM_MEMMAP_TYPE_RAM, 0 };
	} else {
		m[n++] = (struct hvm_memmap_table_entry){ 0x100000,
			mem - 0x100000, XEN_HVM_MEMMAP_TYPE_RAM, 0 };
	}
	void *p = ab_backend_gpa(v->vm, AB_MEMMAP_PA, n * sizeof *m);
	if (!p)
		return fail(v, "guest RAM too small for the memory map", 0, 0);
	ab_memcpy(p, m, n * sizeof *m);
	si->memmap_paddr = AB_MEMMAP_PA;
	si->memmap_entries = n;
	return 0;
}

static uint32_t put_string(struct ab_vcpu *v, uint32_t pa, const char *s,
			   uint32_t max)
{
	uint32_t n = (uint32_t)ab_strlen(s ? s : "") + 1;
	char *p = n <= max ? ab_backend_gpa(v->vm, pa, n) : NULL;
	if (!p)
		return 0;
	ab_memcpy(p, s ? s : "", n);
	return n;
}

/* The image's boot arguments, a space, the user's (AB_CMDLINE_MAX bytes
 * at most, with the NUL). */
static int put_cmdline(struct ab_vcpu *v, const char *user)
{
	uint32_t a = (uint32_t)ab_strlen(v->img.boot_args);
	uint32_t u = (uint32_t)ab_strlen(user ? user : "");
	uint32_t n = a + (a && u) + u + 1;
	char *p = n <= AB_CMDLINE_MAX ? ab_backend_gpa(v->vm, AB_CMDLINE_PA, n)
				      : NULL;
	if (!p)
		return fail(v, "command line of %u bytes (with the image's "
			    "boot arguments) longer than %u", n - 1,
			    AB_CMDLINE_MAX - 1);
	ab_memcpy(p, v->img.boot_args, a);
	if (a && u)
		p[a++] = ' ';
	ab_memcpy(p + a, user ? user : "", u + 1);
	return 0;
}

/* Modules (and their command lines) go page-aligned after the kernel. */
static int put_modules(struct ab_vcpu *v, const struct ab_module *mods,
		       unsigned n, struct hvm_start_info *si)
{
	struct hvm_modlist_entry *ml;
	uint32_t pa = (v->img.end_paddr + 0xfff) & ~0xfffu;
	if (n > AB_MAX_MODS)
		return fail(v, "too many modules (%u, max %u)", n, AB_MAX_MODS);
	ml = ab_backend_gpa(v->vm, AB_MODLIST_PA, n * sizeof *ml + 1);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *dst = ab_backend_gpa(v->vm, pa, mods[i].size + 1);
		if (!dst || !ml)
			return fail(v, "module %u (%u bytes) does not fit in "
				    "guest RAM", i, mods[i].size);
		ab_memcpy(dst, mods[i].data, mods[i].size);
		ml[i] = (struct hvm_modlist_entry){ .paddr = pa,
			.size = mods[i].size };
		pa = (pa + mods[i].size + 0xfff) & ~0xfffu;
		if (mods[i].cmdline) {
			uint32_t len = put_string(v, pa, mods[i].cmdline, 4096);
			if (!len)
				return fail(v, "module %u command line does "
					    "not fit", i, 0);
			ml[i].cmdline_paddr = pa;
			pa = (pa + len + 0xfff) & ~0xfffu;
		}
	}
	si->nr_modules = n;
	si->modlist_paddr = n ? AB_MODLIST_PA : 0;
	v->img.end_paddr = pa;
	return 0;
}

int ab_load_start(struct ab_vcpu *v, uint32_t mem, const char *cmdline,
		  const struct ab_module *mods, unsigned nmods,
		  struct ab_regs *r)
{
	struct hvm_start_info *si = ab_backend_gpa(v->vm, AB_START_INFO_PA,
						   sizeof *si);
	if (!si || mem < 0x200000 || !ab_backend_gpa(v->vm, mem - 1, 1))
		return fail(v, "guest RAM (0x%x bytes) must be at least 2 MiB",
			    mem, 0);
	*si = (struct hvm_start_info){ .magic = XEN_HVM_START_MAGIC_VALUE,
				       .version = 1 };
	if (put_memmap(v, mem, si) < 0 || put_modules(v, mods, nmods, si) < 0)
		return -1;
	if (put_cmdline(v, cmdline) < 0)
		return -1;
	si->cmdline_paddr = AB_CMDLINE_PA;
	/* PVH: 32-bit protected mode, paging off, flat segments, IF clear,
	 * %ebx = start info.  Selectors as QEMU's PVH boot uses them.  PVH
	 * leaves %esp undefined, but a patched site calls the runtime and so
	 * needs a stack even before the guest sets one up: give it the page
	 * below the start info. */
	*r = (struct ab_regs){ .ebx = AB_START_INFO_PA, .eip = v->img.entry,
		.esp = AB_START_INFO_PA,
		.cs = 0x10, .ss = 0x18, .ds = 0x18, .es = 0x18, .fs = 0x18,
		.gs = 0x18, .eflags = 0x2 };
	v->sh->cr[0] = 0x11;                   /* PE | ET */
	v->cpl = 0;
	ab_vcpu_set_if(v, 0);
	return 0;
}
