/*
 * rw_sites.c - read and validate the image's site table (.previrt.sites,
 * see previrt/sites.h).  A valid entry is a tombstone (addr 0) or a site
 * inside one executable section whose bytes decode (pv_insn_decode) to an
 * instruction of the recorded class and length, followed by 0x90 up to
 * len; len is at least the class pad (trap sites: exactly insn_len); no
 * two sites overlap.  Runs: host tool (previrt-rewrite, tests, fuzzer).
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include "previrt/insn.h"
#include "rw.h"

int rw_sites_read(struct rw_image *img)
{
	struct rw_scn *s = rw_scn_named(img, PV_SITES_SECTION);
	img->sites_scn = s ? (int)(s - img->scns) : -1;
	if (!s) return 0;
	if (s->type != SHT_PROGBITS)
		return rw_err(img, "section %s: not PROGBITS", s->name);
	if (s->size % sizeof(struct pv_site))
		return rw_err(img, "section %s: size %u is not a multiple of "
			      "%zu", s->name, s->size, sizeof(struct pv_site));
	img->nsites = s->size / sizeof(struct pv_site);
	img->sites = malloc(s->size + sizeof(struct pv_site));
	if (!img->sites) return rw_err(img, "out of memory");
	memcpy(img->sites, img->buf + s->off, s->size);
	return 0;
}

static int site_cmp(const void *a, const void *b)
{
	const struct pv_site *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Check one live entry against the code bytes. */
static int check_site(struct rw_image *img, const struct pv_site *e)
{
	const struct pv_class_info *ci = pv_class_info(e->cls);
	if (!ci)
		return rw_err(img, "site 0x%x: unknown class %u", e->addr,
			      e->cls);
	if (e->origin < PV_ORIGIN_PASS || e->origin > PV_ORIGIN_TRAP)
		return rw_err(img, "site 0x%x: bad origin %u", e->addr,
			      e->origin);
	if (e->origin == PV_ORIGIN_TRAP && ci->depriv == PV_DEPRIV_SILENT)
		return rw_err(img, "site 0x%x (%s): a trap site, but %s does "
			      "not trap when deprivileged (silent class)",
			      e->addr, ci->name, ci->name);
	struct rw_scn *s = rw_scn_at(img, e->addr);
	if (!s)
		return rw_err(img, "site 0x%x (%s): not inside an executable "
			      "section", e->addr, ci->name);
	const uint8_t *p = rw_bytes_at(img, e->addr, e->len);
	if (!p || !e->len)
		return rw_err(img, "site 0x%x (%s): length %u runs past the "
			      "end of section %s", e->addr, ci->name, e->len,
			      s->name);
	unsigned need = e->origin == PV_ORIGIN_TRAP ? e->insn_len
		      : pv_site_len(e->cls, e->insn_len);
	if (e->len < need || (e->origin == PV_ORIGIN_TRAP &&
			      e->len != e->insn_len))
		return rw_err(img, "site 0x%x (%s) in %s: length %u, class "
			      "needs %u", e->addr, ci->name, s->name, e->len,
			      need);
	struct pv_insn in;
	int r = pv_insn_decode(p, e->len, &in);
	if (r != PV_INSN_SENSITIVE || in.cls != e->cls ||
	    in.len != e->insn_len)
		return rw_err(img, "site 0x%x in %s: bytes are not a %s "
			      "instruction of %u bytes", e->addr, s->name,
			      ci->name, e->insn_len);
	for (unsigned i = e->insn_len; i < e->len; i++)
		if (p[i] != PV_NOP)
			return rw_err(img, "site 0x%x in %s: padding byte %u "
				      "is 0x%02x, not a NOP", e->addr,
				      s->name, i, p[i]);
	return 0;
}

/* A site in a loaded section that is not code, over the bytes of its
 * instruction and padding: code kept as data, such as Linux's kprobe
 * optimisation template in .rodata (copied at run time, never run in
 * place).  Nothing runs it where it is, so it is no site: 1 if so. */
static int dormant_site(struct rw_image *img, const struct pv_site *e)
{
	for (unsigned i = 0; i < img->nscn; i++) {
		const struct rw_scn *s = &img->scns[i];
		if (!(s->flags & SHF_ALLOC) || s->exec || s->type != SHT_PROGBITS
		    || e->addr < s->addr || e->addr - s->addr >= s->size ||
		    e->len > s->size - (e->addr - s->addr))
			continue;
		const uint8_t *p = img->buf + s->off + (e->addr - s->addr);
		struct pv_insn in;
		if (!e->len || pv_insn_decode(p, e->len, &in) !=
		    PV_INSN_SENSITIVE || in.cls != e->cls ||
		    in.len != e->insn_len)
			return 0;
		for (unsigned b = e->insn_len; b < e->len; b++)
			if (p[b] != PV_NOP) return 0;
		return 1;
	}
	return 0;
}

/* Validate every live entry; sorts the table by address.  Dormant sites
 * (dormant_site) become tombstones, counted in img->ndormant. */
int rw_sites_validate(struct rw_image *img)
{
	if (img->nsites)
		qsort(img->sites, img->nsites, sizeof *img->sites, site_cmp);
	const struct pv_site *prev = NULL;
	for (unsigned i = 0; i < img->nsites; i++) {
		struct pv_site *e = &img->sites[i];
		if (!e->addr) continue;
		if (!rw_scn_at(img, e->addr) && dormant_site(img, e)) {
			if (!img->ndormant++) img->dormant_first = e->addr;
			e->addr = 0;
			continue;
		}
		if (check_site(img, e) < 0) return -1;
		if (prev && prev->addr + prev->len > e->addr)
			return rw_err(img, "site 0x%x overlaps site 0x%x "
				      "(len %u)", e->addr, prev->addr,
				      prev->len);
		prev = e;
	}
	if (img->ndormant)   /* their tombstones (addr 0) sort first again */
		qsort(img->sites, img->nsites, sizeof *img->sites, site_cmp);
	return 0;
}

/* Index of the live site starting at addr, or -1 (table sorted). */
int rw_site_find(const struct rw_image *img, uint32_t addr)
{
	unsigned lo = 0, hi = img->nsites;
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		if (img->sites[mid].addr < addr) lo = mid + 1;
		else hi = mid;
	}
	return lo < img->nsites && img->sites[lo].addr == addr && addr
		? (int)lo : -1;
}
