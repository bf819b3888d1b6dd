/*
 * rw_write.c - write the rewritten image.  The input's bytes are kept at
 * their offsets (with the windows already patched by rw_plan.c); appended
 * after them: the new PT_LOAD segment (program header table, if it had to
 * move, then the trampoline code), the new site table, the boot-argument
 * notes (rw_bootargs.c; a Linux image only), the extended section name
 * table and a new section header table with .previrt.text, .previrt.sites
 * if the input had none, and .note.previrt.  The new segment keeps the
 * code's virtual-to-physical offset (p_paddr = p_vaddr - offset).
 * Byte order: i386 ELF is little-endian, as is the host (checked at build
 * time below), so the Elf32 structs are copied as they are.
 * Runs: host tool (previrt-rewrite).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "rw.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "rw_write.c copies little-endian ELF structs as they are");

#define RW_TEXT_NAME ".previrt.text"

struct rw_out {
	uint8_t *buf;
	size_t len, cap;
};

static uint8_t *out_at(struct rw_out *o, size_t off, size_t n)
{
	if (off + n > o->cap) {
		size_t c = o->cap ? o->cap : 65536;
		while (c < off + n) c *= 2;
		uint8_t *p = realloc(o->buf, c);
		if (!p) return NULL;
		memset(p + o->cap, 0, c - o->cap);
		o->buf = p;
		o->cap = c;
	}
	if (off + n > o->len) o->len = off + n;
	return o->buf + off;
}

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) / a * a;
}

/* Can the program header table grow to n entries where it is? */
static int phdrs_fit(const struct rw_image *img, unsigned n)
{
	uint64_t lo = img->phoff, hi = lo + (uint64_t)n * sizeof(Elf32_Phdr);
	if (hi > img->size) return 0;
	for (unsigned i = 0; i < img->nscn; i++) {
		const struct rw_scn *s = &img->scns[i];
		if (s->type == SHT_NOBITS || !s->size) continue;
		if (s->off < hi && lo < (uint64_t)s->off + s->size) return 0;
	}
	if (img->shoff < hi && lo < img->shoff +
	    (uint64_t)(img->nscn + 1) * sizeof(Elf32_Shdr))
		return 0;
	for (unsigned i = 0; i < img->phnum; i++) {
		const struct rw_phdr *p = &img->phdrs[i];
		if (p->type == PT_LOAD && p->off <= lo && lo < p->off + p->filesz
		    && hi > p->off + p->filesz)
			return 0;
	}
	return 1;
}

static Elf32_Phdr phdr_of(const struct rw_phdr *p)
{
	return (Elf32_Phdr){ p->type, p->off, p->vaddr, p->paddr, p->filesz,
			     p->memsz, p->flags, p->align };
}

/* Program headers: old ones + the new PT_LOAD; returns the table offset. */
static int write_phdrs(struct rw_image *img, struct rw_out *o,
		       const struct rw_plan *pl, size_t seg_off,
		       uint32_t seg_len)
{
	unsigned n = img->phnum + 1;
	uint32_t base = pl->area.vaddr - RW_HDR_RESERVE;
	int moved = !phdrs_fit(img, n);
	if (moved && n * sizeof(Elf32_Phdr) > RW_HDR_RESERVE)
		return rw_err(img, "too many program headers (%u)", n);
	size_t at = moved ? seg_off : img->phoff;
	Elf32_Phdr *ph = (Elf32_Phdr *)out_at(o, at, n * sizeof *ph);
	if (!ph) return rw_err(img, "out of memory");
	for (unsigned i = 0; i < img->phnum; i++) {
		ph[i] = phdr_of(&img->phdrs[i]);
		if (ph[i].p_type != PT_PHDR) continue;
		ph[i].p_filesz = ph[i].p_memsz = n * sizeof *ph;
		if (moved) {
			ph[i].p_offset = seg_off;
			ph[i].p_vaddr = base;
			ph[i].p_paddr = base - (pl->area.vaddr - pl->area.paddr);
		}
	}
	ph[img->phnum] = (Elf32_Phdr){ PT_LOAD, seg_off, base,
		base - (pl->area.vaddr - pl->area.paddr), seg_len, seg_len,
		PF_R | PF_X, 4096 };
	Elf32_Ehdr *eh = (Elf32_Ehdr *)o->buf;
	eh->e_phoff = at;
	eh->e_phnum = n;
	eh->e_phentsize = sizeof *ph;
	return 0;
}

/* Section name table with the new names appended; names[] gets their
 * offsets (RW_NAME_*). */
enum { RW_NAME_TEXT, RW_NAME_SITES, RW_NAME_NOTE, RW_NNAMES };
static size_t write_shstrtab(struct rw_image *img, struct rw_out *o,
			     size_t at, uint32_t names[RW_NNAMES],
			     uint32_t *size)
{
	static const char *const add[RW_NNAMES] =
		{ RW_TEXT_NAME, PV_SITES_SECTION, PV_NOTE_SECTION };
	const struct rw_scn *ss = img->shstrndx ? &img->scns[img->shstrndx - 1]
						: NULL;
	uint32_t old = ss ? ss->size : 0, len = old + 1;
	for (unsigned i = 0; i < RW_NNAMES; i++)
		len += strlen(add[i]) + 1;
	uint8_t *p = out_at(o, at, len);
	if (!p) return 0;
	if (old) memcpy(p, img->buf + ss->off, old);
	p[old] = 0;
	uint32_t k = old + 1;
	for (unsigned i = 0; i < RW_NNAMES; i++) {
		names[i] = k;
		memcpy(p + k, add[i], strlen(add[i]) + 1);
		k += strlen(add[i]) + 1;
	}
	*size = len;
	return at + len;
}

static Elf32_Shdr shdr_of(const struct rw_scn *s, uint32_t name)
{
	return (Elf32_Shdr){ name, s->type, s->flags, s->addr, s->off,
			     s->size, s->link, 0, s->align, s->entsize };
}

/* The section header table, old entries first (indices unchanged). */
struct rw_layout { size_t text_off, sites_off, note_off, note_len, str_off; };
static int write_shdrs(struct rw_image *img, struct rw_out *o,
		       const struct rw_plan *pl, const struct rw_layout *l)
{
	uint32_t names[RW_NNAMES], strsize;
	size_t at = write_shstrtab(img, o, l->str_off, names, &strsize);
	if (!at) return -1;
	at = align_up(at, 4);
	int new_sites = img->sites_scn < 0;
	unsigned n = img->nscn + 1 + (pl->area.len ? 1 : 0) + new_sites +
		     (l->note_len ? 1 : 0);
	Elf32_Shdr *sh = (Elf32_Shdr *)out_at(o, at, n * sizeof *sh);
	if (!sh) return -1;
	const Elf32_Shdr *old = (const Elf32_Shdr *)(img->buf + img->shoff);
	memset(&sh[0], 0, sizeof *sh);
	for (unsigned i = 1; i <= img->nscn; i++) {
		Elf32_Shdr orig;
		memcpy(&orig, &old[i], sizeof orig);
		sh[i] = shdr_of(&img->scns[i - 1], orig.sh_name);
		sh[i].sh_info = orig.sh_info;
	}
	Elf32_Shdr sites = { names[RW_NAME_SITES], SHT_PROGBITS, 0, 0,
		l->sites_off,
		pl->n_new_sites * sizeof(struct pv_site), 0, 0, PV_SITES_ALIGN,
		sizeof(struct pv_site) };
	unsigned k = img->nscn + 1;
	if (new_sites) sh[k++] = sites;
	else sh[img->sites_scn + 1] = (Elf32_Shdr){ sh[img->sites_scn + 1]
		.sh_name, SHT_PROGBITS, 0, 0, l->sites_off, sites.sh_size,
		0, 0, PV_SITES_ALIGN, sh[img->sites_scn + 1].sh_entsize };
	if (pl->area.len)
		sh[k++] = (Elf32_Shdr){ names[RW_NAME_TEXT], SHT_PROGBITS,
			SHF_ALLOC | SHF_EXECINSTR, pl->area.vaddr, l->text_off,
			pl->area.len, 0, 0, 16, 0 };
	if (l->note_len)
		sh[k++] = (Elf32_Shdr){ names[RW_NAME_NOTE], SHT_NOTE, 0, 0,
			l->note_off, l->note_len, 0, 0, 4, 0 };
	unsigned strndx = img->shstrndx;
	if (!strndx) return -1;
	sh[strndx].sh_offset = l->str_off;
	sh[strndx].sh_size = strsize;
	Elf32_Ehdr *eh = (Elf32_Ehdr *)o->buf;
	eh->e_shoff = at;
	eh->e_shnum = n;
	eh->e_shentsize = sizeof *sh;
	eh->e_shstrndx = strndx;
	return 0;
}

static int write_file(struct rw_image *img, const struct rw_out *o,
		      const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (fd < 0)
		return rw_err(img, "cannot create %s: %s", path,
			      strerror(errno));
	size_t done = 0;
	while (done < o->len) {
		ssize_t w = write(fd, o->buf + done, o->len - done);
		if (w <= 0) break;
		done += w;
	}
	if (close(fd) < 0 || done != o->len)
		return rw_err(img, "cannot write %s", path);
	return 0;
}

int rw_write(struct rw_image *img, struct rw_plan *pl, const char *path)
{
	struct rw_out o = { 0 };
	if (!img->nscn || !img->shstrndx)
		return rw_err(img, "no section headers: cannot rewrite");
	uint8_t *p = out_at(&o, 0, img->size);
	if (!p) return rw_err(img, "out of memory");
	memcpy(p, img->buf, img->size);
	uint32_t base = pl->area.vaddr - RW_HDR_RESERVE;
	size_t seg = align_up(img->size, 4096) + (base & 4095), next = seg;
	int r = 0;
	if (pl->area.len) {
		uint32_t seg_len = RW_HDR_RESERVE + pl->area.len;
		uint8_t *code = out_at(&o, seg + RW_HDR_RESERVE, pl->area.len);
		r = code ? write_phdrs(img, &o, pl, seg, seg_len) : -1;
		if (r < 0) { free(o.buf); return -1; }
		if (code) memcpy(o.buf + seg + RW_HDR_RESERVE, pl->area.code, pl->area.len);
		next = seg + seg_len;
	} else {
		next = align_up(img->size, 4);
	}
	struct rw_layout l = { .text_off = seg + RW_HDR_RESERVE,
			       .sites_off = align_up(next, 4) };
	size_t slen = pl->n_new_sites * sizeof(struct pv_site);
	uint8_t *sp = out_at(&o, l.sites_off, slen);
	if (sp && slen) memcpy(sp, pl->new_sites, slen);
	struct rw_bootargs ba;
	l.note_off = align_up(l.sites_off + slen, 4);
	if (!rw_scn_named(img, PV_NOTE_SECTION)) {
		rw_bootargs_make(img, pl, &ba);
		l.note_len = rw_bootargs_notes(&ba, NULL);
	}
	uint8_t *np = out_at(&o, l.note_off, l.note_len);
	if (np && l.note_len) rw_bootargs_notes(&ba, np);
	l.str_off = l.note_off + l.note_len;
	if (r < 0 || !sp || !np || write_shdrs(img, &o, pl, &l) < 0) {
		free(o.buf);
		return rw_err(img, "out of memory writing %s", path);
	}
	r = write_file(img, &o, path);
	free(o.buf);
	return r;
}
