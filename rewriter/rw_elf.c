/*
 * rw_elf.c - load and validate the image the rewriter works on: a 32-bit
 * little-endian i386 ET_EXEC ELF.  libelf parses the headers; every file
 * range is bounds-checked here before anything is read through it, so a
 * corrupt file gives one error line (file, section, address), never a
 * crash.  Runs: host tool (previrt-rewrite, its tests, the fuzz target).
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "rw.h"

int rw_err(struct rw_image *img, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(img->err, sizeof img->err, "%s: ",
			 img->path ? img->path : "?");
	if (n < 0 || n >= (int)sizeof img->err) n = 0;
	va_start(ap, fmt);
	vsnprintf(img->err + n, sizeof img->err - n, fmt, ap);
	va_end(ap);
	return -1;
}

/* [off, off+len) lies inside the file. */
static int in_file(const struct rw_image *img, uint64_t off, uint64_t len)
{
	return off <= img->size && len <= img->size - off;
}

static int load_ehdr(struct rw_image *img, Elf *elf)
{
	if (img->size < 4 || memcmp(img->buf, ELFMAG, SELFMAG))
		return rw_err(img, "not an ELF file");
	if (elf_kind(elf) != ELF_K_ELF || img->size < sizeof(Elf32_Ehdr))
		return rw_err(img, "truncated ELF header");
	if (img->buf[EI_CLASS] != ELFCLASS32)
		return rw_err(img, "not ELFCLASS32 (a 32-bit image is needed)");
	if (img->buf[EI_DATA] != ELFDATA2LSB)
		return rw_err(img, "not little-endian");
	Elf32_Ehdr *eh = elf32_getehdr(elf);
	if (!eh)
		return rw_err(img, "bad ELF header: %s", elf_errmsg(-1));
	if (eh->e_machine != EM_386)
		return rw_err(img, "wrong machine %u (need EM_386)",
			      eh->e_machine);
	if (eh->e_type != ET_EXEC)
		return rw_err(img, "not an executable (e_type %u, need "
			      "ET_EXEC)", eh->e_type);
	if ((eh->e_shnum && eh->e_shentsize != sizeof(Elf32_Shdr)) ||
	    (eh->e_phnum && eh->e_phentsize != sizeof(Elf32_Phdr)))
		return rw_err(img, "bad header entry sizes (ph %u, sh %u)",
			      eh->e_phentsize, eh->e_shentsize);
	if (!in_file(img, eh->e_shoff, (uint64_t)eh->e_shnum *
		     sizeof(Elf32_Shdr)))
		return rw_err(img, "section header table (offset 0x%x, %u "
			      "entries) outside the file", eh->e_shoff,
			      eh->e_shnum);
	if (!in_file(img, eh->e_phoff, (uint64_t)eh->e_phnum *
		     sizeof(Elf32_Phdr)))
		return rw_err(img, "program header table (offset 0x%x, %u "
			      "entries) outside the file", eh->e_phoff,
			      eh->e_phnum);
	if ((eh->e_phoff | eh->e_shoff) & 3)
		return rw_err(img, "header tables at misaligned offsets "
			      "(program 0x%x, section 0x%x)", eh->e_phoff,
			      eh->e_shoff);
	img->entry = eh->e_entry;
	img->phoff = eh->e_phoff;
	img->shoff = eh->e_shoff;
	return 0;
}

static int load_phdrs(struct rw_image *img, Elf *elf)
{
	size_t n;
	if (elf_getphdrnum(elf, &n) < 0)
		return rw_err(img, "bad program header count");
	if (n && (n > 0xffff || !in_file(img, img->phoff,
					 n * sizeof(Elf32_Phdr))))
		return rw_err(img, "program header table (offset 0x%x, %zu "
			      "entries) outside the file", img->phoff, n);
	Elf32_Phdr *ph = n ? elf32_getphdr(elf) : NULL;
	if (n && !ph)
		return rw_err(img, "bad program headers: %s", elf_errmsg(-1));
	img->phnum = (unsigned)n;
	img->phdrs = calloc(n + 1, sizeof *img->phdrs);
	if (!img->phdrs) return rw_err(img, "out of memory");
	for (size_t i = 0; i < n; i++) {
		img->phdrs[i] = (struct rw_phdr){ ph[i].p_type, ph[i].p_offset,
			ph[i].p_vaddr, ph[i].p_paddr, ph[i].p_filesz,
			ph[i].p_memsz, ph[i].p_flags, ph[i].p_align };
		if (ph[i].p_type == PT_LOAD &&
		    !in_file(img, ph[i].p_offset, ph[i].p_filesz))
			return rw_err(img, "segment %zu (vaddr 0x%x) extends "
				      "past the end of the file", i,
				      ph[i].p_vaddr);
		if (ph[i].p_type == PT_LOAD &&
		    ph[i].p_filesz > ph[i].p_memsz)
			return rw_err(img, "segment %zu (vaddr 0x%x): filesz "
				      "> memsz", i, ph[i].p_vaddr);
	}
	return 0;
}

static int load_scn(struct rw_image *img, Elf_Scn *s, struct rw_scn *out,
		    unsigned idx)
{
	Elf32_Shdr *sh = elf32_getshdr(s);
	if (!sh) return rw_err(img, "bad section header %u", idx);
	*out = (struct rw_scn){ NULL, idx, sh->sh_type, sh->sh_flags,
		sh->sh_addr, sh->sh_offset, sh->sh_size, sh->sh_addralign,
		sh->sh_link, sh->sh_entsize, 0 };
	if (sh->sh_type == SHT_NULL)          /* inactive: the gABI leaves */
		out->flags = out->size = 0;   /* its other fields undefined */
	out->name = elf_strptr(img->elf, img->shstrndx, sh->sh_name);
	if (!out->name)
		return rw_err(img, "section %u: bad name offset %u", idx,
			      sh->sh_name);
	if (sh->sh_type != SHT_NOBITS && sh->sh_type != SHT_NULL &&
	    !in_file(img, sh->sh_offset, sh->sh_size))
		return rw_err(img, "section %s: file range 0x%x+0x%x outside "
			      "the file", out->name, sh->sh_offset,
			      sh->sh_size);
	if ((sh->sh_flags & SHF_ALLOC) &&
	    (uint64_t)sh->sh_addr + sh->sh_size > 0x100000000ull)
		return rw_err(img, "section %s: address range wraps",
			      out->name);
	out->exec = (sh->sh_flags & SHF_ALLOC) &&
		    (sh->sh_flags & SHF_EXECINSTR) &&
		    sh->sh_type == SHT_PROGBITS && sh->sh_size;
	return 0;
}

/* Two executable sections may not share an address. */
static int check_exec_overlap(struct rw_image *img)
{
	for (unsigned i = 0; i < img->nscn; i++)
		for (unsigned j = i + 1; j < img->nscn; j++) {
			struct rw_scn *a = &img->scns[i], *b = &img->scns[j];
			if (!a->exec || !b->exec) continue;
			if (a->addr < b->addr + b->size &&
			    b->addr < a->addr + a->size)
				return rw_err(img, "executable sections %s and "
					      "%s overlap at 0x%x", a->name,
					      b->name, a->addr > b->addr
					      ? a->addr : b->addr);
		}
	return 0;
}

static int load_scns(struct rw_image *img, Elf *elf)
{
	size_t n, strndx;
	if (elf_getshdrnum(elf, &n) < 0 || elf_getshdrstrndx(elf, &strndx) < 0)
		return rw_err(img, "bad section header table: %s",
			      elf_errmsg(-1));
	if (n && !in_file(img, img->shoff, (uint64_t)n * sizeof(Elf32_Shdr)))
		return rw_err(img, "section header table (offset 0x%x) outside"
			      " the file", img->shoff);
	if (n > 0xff00)
		return rw_err(img, "extended section numbering unsupported");
	if (n && strndx >= n)
		return rw_err(img, "section name table index %zu out of range",
			      strndx);
	img->shstrndx = (unsigned)strndx;
	img->scns = calloc(n + 1, sizeof *img->scns);
	if (!img->scns) return rw_err(img, "out of memory");
	for (size_t i = 1; i < n; i++) {
		Elf_Scn *s = elf_getscn(elf, i);
		if (!s || load_scn(img, s, &img->scns[img->nscn], i) < 0)
			return s ? -1 : rw_err(img, "section %zu missing", i);
		img->nscn++;
	}
	return check_exec_overlap(img);
}

static int sym_cmp(const void *a, const void *b)
{
	const struct rw_sym *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int load_syms(struct rw_image *img)
{
	struct rw_scn *st = NULL;
	for (unsigned i = 0; i < img->nscn; i++)
		if (img->scns[i].type == SHT_SYMTAB) st = &img->scns[i];
	if (!st) return 0;
	if (st->link == 0 || st->link >= img->nscn + 1)
		return rw_err(img, "section %s: bad string table link %u",
			      st->name, st->link);
	struct rw_scn *str = &img->scns[st->link - 1];
	if (str->type != SHT_STRTAB)          /* only then is its range checked */
		return rw_err(img, "section %s: string table link %u is not a "
			      "string table (type %u)", st->name, st->link,
			      str->type);
	size_t n = st->size / sizeof(Elf32_Sym);
	img->syms = calloc(n + 1, sizeof *img->syms);
	if (!img->syms) return rw_err(img, "out of memory");
	const Elf32_Sym *sym = (const Elf32_Sym *)(img->buf + st->off);
	for (size_t i = 1; i < n; i++) {
		Elf32_Sym s;
		memcpy(&s, &sym[i], sizeof s);
		unsigned t = ELF32_ST_TYPE(s.st_info);
		if (t == STT_SECTION || t == STT_FILE || s.st_shndx == SHN_UNDEF)
			continue;
		if (s.st_name >= str->size)
			return rw_err(img, "symbol %zu: name offset %u outside"
				      " %s", i, s.st_name, str->name);
		const char *nm = (const char *)img->buf + str->off + s.st_name;
		if (!memchr(nm, 0, str->size - s.st_name))
			return rw_err(img, "symbol %zu: unterminated name", i);
		img->syms[img->nsyms++] = (struct rw_sym){ s.st_value,
			s.st_size, nm, (uint8_t)t, s.st_shndx };
	}
	qsort(img->syms, img->nsyms, sizeof *img->syms, sym_cmp);
	return 0;
}

int rw_image_load_mem(struct rw_image *img, const char *path,
		      uint8_t *buf, size_t size)
{
	memset(img, 0, sizeof *img);
	img->path = path;
	img->buf = buf;
	img->size = size;
	img->sites_scn = -1;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return rw_err(img, "libelf too old");
	if (size < SELFMAG || memcmp(buf, ELFMAG, SELFMAG))
		return rw_err(img, "not an ELF file");
	if (size < sizeof(Elf32_Ehdr))
		return rw_err(img, "truncated ELF header (%zu bytes)", size);
	Elf *elf = elf_memory((char *)buf, size);
	img->elf = elf;
	if (!elf) return rw_err(img, "not an ELF file: %s", elf_errmsg(-1));
	if (load_ehdr(img, elf) < 0 || load_phdrs(img, elf) < 0 ||
	    load_scns(img, elf) < 0 || load_syms(img) < 0)
		return -1;
	return 0;
}

int rw_image_load(struct rw_image *img, const char *path)
{
	memset(img, 0, sizeof *img);
	img->path = path;
	int fd = open(path, O_RDONLY);
	if (fd < 0) return rw_err(img, "cannot open: %s", strerror(errno));
	struct stat st;
	uint8_t *buf = NULL;
	if (fstat(fd, &st) < 0 || !(buf = malloc(st.st_size + 1))) {
		close(fd);
		return rw_err(img, "cannot read: %s", strerror(errno));
	}
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, st.st_size - got);
		if (r <= 0) break;
		got += r;
	}
	close(fd);
	if (got != (size_t)st.st_size) {
		free(buf);
		return rw_err(img, "short read");
	}
	return rw_image_load_mem(img, path, buf, got);
}

void rw_image_free(struct rw_image *img)
{
	if (img->elf) elf_end(img->elf);
	free(img->phdrs);
	free(img->scns);
	free(img->syms);
	free(img->sites);
	free(img->insns);
	img->elf = NULL;
	img->phdrs = NULL; img->scns = NULL; img->syms = NULL;
	img->sites = NULL; img->insns = NULL;
}

struct rw_scn *rw_scn_at(struct rw_image *img, uint32_t addr)
{
	for (unsigned i = 0; i < img->nscn; i++) {
		struct rw_scn *s = &img->scns[i];
		if (s->exec && addr >= s->addr && addr - s->addr < s->size)
			return s;
	}
	return NULL;
}

struct rw_scn *rw_scn_named(struct rw_image *img, const char *name)
{
	for (unsigned i = 0; i < img->nscn; i++)
		if (!strcmp(img->scns[i].name, name))
			return &img->scns[i];
	return NULL;
}

/* File bytes of [addr, addr+len) if they lie in one executable section. */
uint8_t *rw_bytes_at(struct rw_image *img, uint32_t addr, uint32_t len)
{
	struct rw_scn *s = rw_scn_at(img, addr);
	if (!s || len > s->size - (addr - s->addr)) return NULL;
	return img->buf + s->off + (addr - s->addr);
}

/* The symbol whose span holds addr (or the nearest one below it). */
const struct rw_sym *rw_sym_for(const struct rw_image *img, uint32_t addr)
{
	size_t lo = 0, hi = img->nsyms;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (img->syms[mid].addr <= addr) lo = mid + 1;
		else hi = mid;
	}
	if (!lo) return NULL;
	const struct rw_sym *best = &img->syms[lo - 1];
	for (size_t i = lo - 1; i-- > 0 && img->syms[i].addr == best->addr;)
		if (img->syms[i].type == STT_FUNC && best->type != STT_FUNC)
			best = &img->syms[i];
	return best;
}

/* vaddr - paddr of the PT_LOAD segment holding addr. */
int rw_v2p_offset(const struct rw_image *img, uint32_t addr, uint32_t *off)
{
	for (unsigned i = 0; i < img->phnum; i++) {
		const struct rw_phdr *p = &img->phdrs[i];
		if (p->type == PT_LOAD && addr >= p->vaddr &&
		    addr - p->vaddr < p->memsz) {
			*off = p->vaddr - p->paddr;
			return 0;
		}
	}
	return -1;
}
