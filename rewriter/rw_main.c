/*
 * rw_main.c - previrt-rewrite, the post-link rewriter's command line.
 * Runs: host tool.  Usage:
 *   previrt-rewrite IN.elf [-o OUT.elf] [--report R.json] [--check]
 *                   [--tramp-at VADDR[:SIZE]]
 * --tramp-at puts the trampoline segment at VADDR (SIZE bytes at most,
 * default 64 KiB); see docs/rewriter.md for where it may go.
 * With -o: make every uncovered sensitive instruction a padded site (or
 * a trap site), write OUT, then re-read OUT from disk and analyse it.
 * Without -o: analyse IN only.  The report and summary describe the image
 * analysed.  Exit: 0 ok, 1 bad input or error, 2 --check failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rw.h"

struct rw_opts {
	const char *in, *out, *report;
	int check;
	struct rw_place at;
};

static int usage(void)
{
	fprintf(stderr, "usage: previrt-rewrite IN.elf [-o OUT.elf] "
		"[--report R.json] [--check] [--tramp-at VADDR[:SIZE]]\n");
	return 1;
}

static int parse_args(int argc, char **argv, struct rw_opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-o") && i + 1 < argc) o->out = argv[++i];
		else if (!strcmp(a, "--report") && i + 1 < argc)
			o->report = argv[++i];
		else if (!strcmp(a, "--check")) o->check = 1;
		else if (!strcmp(a, "--tramp-at") && i + 1 < argc) {
			char *end;
			o->at.vaddr = strtoul(argv[++i], &end, 0);
			o->at.size = *end == ':' ? strtoul(end + 1, &end, 0)
						 : 0x10000;
			o->at.set = 1;
			if (*end) return -1;
		}
		else if (a[0] != '-' && !o->in) o->in = a;
		else return -1;
	}
	return o->in ? 0 : -1;
}

/* Load, read and validate the site table, disassemble. */
static int analyse(struct rw_image *img, const char *path)
{
	if (rw_image_load(img, path) < 0 || rw_sites_read(img) < 0 ||
	    rw_sites_validate(img) < 0 || rw_disasm_image(img) < 0)
		return -1;
	return 0;
}

static int fail(struct rw_image *img)
{
	fprintf(stderr, "previrt-rewrite: %s\n", img->err);
	return 1;
}

static int rewrite(struct rw_image *img, const struct rw_opts *o,
		   struct rw_plan *pl, struct rw_counts *c)
{
	if (rw_plan_make(img, pl, &o->at) < 0 ||
	    rw_write(img, pl, o->out) < 0)
		return -1;
	*c = pl->counts;
	return 0;
}

static void free_image(struct rw_image *img)
{
	rw_image_free(img);
	free(img->buf);
	img->buf = NULL;
}

/* Analyse (and with -o rewrite) o->in; report on the image analysed. */
static int run(const struct rw_opts *o, struct rw_image *img,
	       struct rw_image *fin, struct rw_plan *pl)
{
	struct rw_counts c = { 0 };
	if (analyse(img, o->in) < 0) return fail(img);
	if (o->out) {
		if (rewrite(img, o, pl, &c) < 0) return fail(img);
		if (analyse(fin, o->out) < 0) return fail(fin);
		fin->ndormant = img->ndormant;    /* tombstones in OUT */
		fin->dormant_first = img->dormant_first;
	} else {
		*fin = *img;
		img->buf = NULL;
		memset(img, 0, sizeof *img);
		struct rw_scn *t = rw_scn_named(fin, ".previrt.text");
		c.bytes_added = t ? t->size : 0;
	}
	rw_count(fin, &c);
	if (o->out && rw_note_stamp(fin, o->out, c.total[4]) < 0) {
		fprintf(stderr, "previrt-rewrite: %s: cannot record the check "
			"in its " PV_NOTE_SECTION " note\n", o->out);
		return 1;
	}
	rw_report_summary(fin, &c, c.bytes_added);
	if (o->report && rw_report_json(fin, &c, c.bytes_added,
					o->report)) {
		fprintf(stderr, "previrt-rewrite: cannot write %s\n", o->report);
		return 1;
	}
	if (o->check && c.total[4]) {
		fprintf(stderr, "previrt-rewrite: check FAILED: %u unresolved "
			"sensitive instructions\n", c.total[4]);
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct rw_opts o = { 0 };
	struct rw_image img = { 0 }, fin = { 0 };
	struct rw_plan pl = { 0 };
	if (parse_args(argc, argv, &o) < 0) return usage();
	int r = run(&o, &img, &fin, &pl);
	rw_plan_free(&pl);
	free_image(&img);
	free_image(&fin);
	return r;
}
