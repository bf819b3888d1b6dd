/*
 * rw_report.c - the rewriter's report: JSON (counts per class and per
 * origin, windows, bytes added, the unresolved list with section, address
 * and symbol) and a short human summary on stderr.  Format: docs/
 * rewriter.md.  Runs: host tool (previrt-rewrite --report R.json).
 */
#include <stdio.h>
#include <string.h>
#include <elf.h>
#include "rw.h"

static const char *const rw_origin_key[5] =
	{ "none", "pass", "rewriter", "trap", "unresolved" };

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f) fprintf(f, "\\u%04x", c);
		else fputc(c, f);
	}
	fputc('"', f);
}

static void json_classes(FILE *f, const struct rw_counts *c)
{
	fprintf(f, "  \"classes\": {");
	for (unsigned k = 0; k < PV_CLASS_COUNT; k++) {
		unsigned t = 0;
		for (unsigned o = 1; o <= 4; o++) t += c->cls[k][o];
		fprintf(f, "%s\n    \"%s\": {\"total\": %u", k ? "," : "",
			pv_class_info(k)->name, t);
		for (unsigned o = 1; o <= 4; o++)
			fprintf(f, ", \"%s\": %u", rw_origin_key[o],
				c->cls[k][o]);
		fputc('}', f);
	}
	fprintf(f, "\n  },\n");
}

/* Where .previrt.text lives, so a loader or boot line can reserve it. */
static void json_segment(FILE *f, const struct rw_image *img)
{
	const struct rw_scn *t = NULL;
	for (unsigned i = 0; i < img->nscn; i++)
		if (!strcmp(img->scns[i].name, ".previrt.text")) t = &img->scns[i];
	for (unsigned i = 0; t && i < img->phnum; i++) {
		const struct rw_phdr *p = &img->phdrs[i];
		if (p->type != PT_LOAD || t->addr < p->vaddr ||
		    t->addr - p->vaddr >= p->memsz)
			continue;
		fprintf(f, "  \"segment\": {\"vaddr\": \"0x%08x\", \"paddr\": "
			"\"0x%08x\", \"size\": %u},\n", p->vaddr, p->paddr,
			p->memsz);
		return;
	}
	fprintf(f, "  \"segment\": null,\n");
}

/* The boot arguments recorded in the image (rw_bootargs.c). */
static void json_bootargs(FILE *f, const struct rw_image *img)
{
	struct rw_bootargs a;
	if (rw_bootargs_read(img, &a) <= 0) {
		fprintf(f, "  \"boot_args\": null,\n");
		return;
	}
	fprintf(f, "  \"boot_args\": {\"always\": ");
	json_str(f, a.always);
	fprintf(f, ", \"backend\": ");
	json_str(f, a.backend);
	fprintf(f, ", \"tsc\": ");
	json_str(f, a.tsc);
	fprintf(f, "},\n");
}

static void json_unresolved(FILE *f, const struct rw_image *img)
{
	int first = 1;
	fprintf(f, "  \"unresolved_list\": [");
	for (size_t k = 0; k < img->ninsns; k++) {
		const struct rw_insn *in = &img->insns[k];
		if (in->cls == PV_CLASS_COUNT || rw_site_find(img, in->addr) >= 0)
			continue;
		const struct rw_sym *s = rw_sym_for(img, in->addr);
		char sym[300] = "";
		if (s) snprintf(sym, sizeof sym, "%s+0x%x", s->name,
				in->addr - s->addr);
		fprintf(f, "%s\n    {\"section\": ", first ? "" : ",");
		json_str(f, img->scns[in->scn].name);
		fprintf(f, ", \"address\": \"0x%08x\", \"class\": \"%s\", "
			"\"symbol\": ", in->addr, pv_class_info(in->cls)->name);
		json_str(f, sym);
		fputc('}', f);
		first = 0;
	}
	fprintf(f, "%s]\n", first ? "" : "\n  ");
}

/* How this run's windows were made (rw_plan.c; all 0 when analysing). */
static void json_kinds(FILE *f, const struct rw_counts *c)
{
	fprintf(f, "  \"window_kinds\": {\"into_padding\": %u, "
		"\"via_island\": %u, \"donor\": %u},\n", c->into_padding,
		c->via_island, c->donors);
}

int rw_report_json(const struct rw_image *img, const struct rw_counts *c,
		   unsigned bytes_added, const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f) return -1;
	unsigned total = 0;
	for (unsigned o = 1; o <= 4; o++) total += c->total[o];
	fprintf(f, "{\n  \"image\": ");
	json_str(f, img->path);
	fprintf(f, ",\n  \"sensitive\": %u,\n  \"origins\": {", total);
	for (unsigned o = 1; o <= 4; o++)
		fprintf(f, "%s\"%s\": %u", o > 1 ? ", " : "", rw_origin_key[o],
			c->total[o]);
	fprintf(f, "},\n  \"windows\": %u,\n  \"bytes_added\": %u,\n",
		c->windows, bytes_added);
	json_segment(f, img);
	json_bootargs(f, img);
	fprintf(f, "  \"dormant_sites\": %u,\n", img->ndormant);
	json_kinds(f, c);
	json_classes(f, c);
	json_unresolved(f, img);
	fprintf(f, "}\n");
	return fclose(f);
}

void rw_report_summary(const struct rw_image *img,
		       const struct rw_counts *c, unsigned bytes_added)
{
	unsigned total = 0;
	for (unsigned o = 1; o <= 4; o++) total += c->total[o];
	fprintf(stderr, "previrt-rewrite: %s: %u sensitive: %u pass, %u "
		"rewriter, %u trap, %u unresolved; %u windows (%u into padding,"
		" %u via island, %u donor), %u bytes added\n", img->path, total,
		c->total[1], c->total[2], c->total[3], c->total[4], c->windows,
		c->into_padding, c->via_island, c->donors, bytes_added);
	if (img->ndormant) {
		const struct rw_sym *s = rw_sym_for(img, img->dormant_first);
		fprintf(stderr, "  %u site(s) in sections that are not code "
			"left unpatched (code kept as data, first 0x%08x %s)\n",
			img->ndormant, img->dormant_first, s ? s->name : "?");
	}
	for (size_t k = 0; k < img->ninsns; k++) {
		const struct rw_insn *in = &img->insns[k];
		if (in->cls == PV_CLASS_COUNT || rw_site_find(img, in->addr) >= 0)
			continue;
		const struct rw_sym *s = rw_sym_for(img, in->addr);
		fprintf(stderr, "  unresolved %s at 0x%08x in %s (%s+0x%x)\n",
			pv_class_info(in->cls)->name, in->addr,
			img->scns[in->scn].name, s ? s->name : "?",
			s ? in->addr - s->addr : in->addr);
	}
}
