/*
 * rw_bootargs.c - the boot arguments a rewritten kernel needs, kept in the
 * image as PV_NOTE_SECTION notes (previrt/sites.h) so that nobody computes
 * them by hand: previrt-run adds the ALWAYS fragment to a native boot, the
 * afterburner's loader both fragments on a backend, and previrt-linux's
 * GRUB entry the ALWAYS one.  Today only Linux needs any; it is recognised
 * by its own "Linux" ELF notes.
 *   ALWAYS   memmap=SIZE$PADDR: Linux hands out every page past
 *            __end_of_kernel_reserve, so the trampoline segment after the
 *            image must be reserved in its memory map.
 *   BACKEND  reservetop=SIZE: Linux's own interface for a hypervisor that
 *            owns the top of the address space; keeps its fixmap and
 *            vmalloc area below the runtime's wedge (AB_WEDGE_BASE).
 *   TSC      tsc_early_khz=, to which the loader appends the backend's
 *            TSC rate: Linux calibrates its TSC against the PIT, which
 *            fails when every PIT read is an exit, and then keeps the PIT
 *            as its clock (three port reads, three exits, per read).
 * Every rewritten image also gets a PV_NOTE_UNRESOLVED note, stamped with
 * the count of the rewriter's final check of the output (rw_note_stamp):
 * loaders trust an image whose count is 0 and sweep any other.
 * Runs: host tool (previrt-rewrite: rw_write.c writes the notes,
 * rw_main.c stamps the count, rw_report.c reads them back for the JSON
 * report).
 */
#include <elf.h>
#include <stdio.h>
#include <string.h>
#include "previrt/backend.h"
#include "rw.h"

/* Does any SHT_NOTE section carry a note owned by NAME? */
static int has_note(const struct rw_image *img, const char *name)
{
	for (unsigned i = 0; i < img->nscn; i++) {
		const struct rw_scn *s = &img->scns[i];
		struct pv_note n;
		uint32_t pos = 0;
		if (s->type != SHT_NOTE || s->off > img->size ||
		    s->size > img->size - s->off)
			continue;
		while (pv_note_next(img->buf + s->off, s->size, &pos, &n))
			if (pv_note_owner(&n, name)) return 1;
	}
	return 0;
}

int rw_bootargs_make(const struct rw_image *img, const struct rw_plan *pl,
		     struct rw_bootargs *a)
{
	memset(a, 0, sizeof *a);
	if (!has_note(img, "Linux")) return 0;
	snprintf(a->backend, sizeof a->backend, "reservetop=%uM",
		 (unsigned)((0x100000000ull - AB_WEDGE_BASE) >> 20));
	snprintf(a->tsc, sizeof a->tsc, "tsc_early_khz=");
	if (pl->area.len && !pl->area.in_hole) {
		uint32_t lo = (pl->area.paddr - RW_HDR_RESERVE) & ~0xfffu;
		uint32_t hi = (pl->area.paddr + pl->area.len + 0xfff) & ~0xfffu;
		snprintf(a->always, sizeof a->always, "memmap=%uK$0x%x",
			 (hi - lo) >> 10, lo);
	}
	return 1;
}

int rw_bootargs_read(const struct rw_image *img, struct rw_bootargs *a)
{
	memset(a, 0, sizeof *a);
	const struct rw_scn *s = NULL;
	for (unsigned i = 0; i < img->nscn; i++)
		if (img->scns[i].name &&
		    !strcmp(img->scns[i].name, PV_NOTE_SECTION))
			s = &img->scns[i];
	if (!s) return 0;
	if (s->off > img->size || s->size > img->size - s->off)
		return -1;
	struct pv_note n;
	uint32_t pos = 0;
	while (pv_note_next(img->buf + s->off, s->size, &pos, &n)) {
		char *dst = n.type == PV_NOTE_ARGS_ALWAYS ? a->always
			  : n.type == PV_NOTE_ARGS_BACKEND ? a->backend
			  : n.type == PV_NOTE_ARGS_TSC ? a->tsc : NULL;
		if (!pv_note_owner(&n, PV_NOTE_NAME) || !dst) continue;
		if (!pv_note_args_ok(&n))
			return -1;
		memcpy(dst, n.desc, n.descsz);
	}
	return a->always[0] || a->backend[0] || a->tsc[0];
}

/* One note: name PV_NOTE_NAME, desc dl bytes of frag. */
static size_t put_note(uint8_t *p, uint32_t type, const void *frag,
		       uint32_t dl)
{
	uint32_t nl = sizeof PV_NOTE_NAME;
	uint32_t hdr[3] = { nl, dl, type };
	size_t nlp = (nl + 3) & ~3u, dlp = (dl + 3) & ~3u;
	if (p) {
		memset(p, 0, 12 + nlp + dlp);
		memcpy(p, hdr, 12);
		memcpy(p + 12, PV_NOTE_NAME, nl);
		memcpy(p + 12 + nlp, frag, dl);
	}
	return 12 + nlp + dlp;
}

size_t rw_bootargs_notes(const struct rw_bootargs *a, uint8_t *p)
{
	size_t n = 0;
	static const uint8_t unchecked[4] = { 0xff, 0xff, 0xff, 0xff };
	if (a->always[0])
		n += put_note(p ? p + n : NULL, PV_NOTE_ARGS_ALWAYS, a->always,
			      (uint32_t)strlen(a->always) + 1);
	if (a->backend[0])
		n += put_note(p ? p + n : NULL, PV_NOTE_ARGS_BACKEND,
			      a->backend, (uint32_t)strlen(a->backend) + 1);
	if (a->tsc[0])
		n += put_note(p ? p + n : NULL, PV_NOTE_ARGS_TSC, a->tsc,
			      (uint32_t)strlen(a->tsc) + 1);
	n += put_note(p ? p + n : NULL, PV_NOTE_UNRESOLVED, unchecked, 4);
	return n;
}

int rw_note_stamp(const struct rw_image *img, const char *path,
		  uint32_t unresolved)
{
	const struct rw_scn *s = NULL;
	for (unsigned i = 0; i < img->nscn; i++)
		if (img->scns[i].name &&
		    !strcmp(img->scns[i].name, PV_NOTE_SECTION))
			s = &img->scns[i];
	if (!s || s->off > img->size || s->size > img->size - s->off)
		return 1;
	struct pv_note n;
	uint32_t pos = 0;
	while (pv_note_next(img->buf + s->off, s->size, &pos, &n)) {
		if (n.type != PV_NOTE_UNRESOLVED || n.descsz != 4 ||
		    !pv_note_owner(&n, PV_NOTE_NAME))
			continue;
		uint8_t v[4] = { (uint8_t)unresolved, (uint8_t)(unresolved >> 8),
				 (uint8_t)(unresolved >> 16),
				 (uint8_t)(unresolved >> 24) };
		FILE *f = fopen(path, "r+b");
		long at = (long)(n.desc - img->buf);
		int ok = f && fseek(f, at, SEEK_SET) == 0 &&
			 fwrite(v, 1, 4, f) == 4;
		if (f && fclose(f) != 0) ok = 0;
		return ok ? 0 : -1;
	}
	return 1;
}
