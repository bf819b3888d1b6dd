/*
 * image.c - previrt-run's look at a guest image before it starts a
 * backend: an i386 ELF with a Xen PVH entry note, and the image's own
 * boot arguments for every boot (.note.previrt, ALWAYS fragment).  Every
 * offset is checked against the file; a bad image gets one line.
 * Runs: host tool (previrt-run; tests/fuzz's fuzz-pr-image calls
 * pr_check_image on every input).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "previrt-run.h"

/* The note area [off, off+size) of d, or NULL when not wholly inside. */
static const uint8_t *pr_area(const uint8_t *d, size_t n, uint32_t off,
			      uint32_t size)
{
	return off <= n && size <= n - off ? d + off : NULL;
}

/* Find a note of type 18 named "Xen" in the PT_NOTE segments (program
 * headers wholly inside the file; 64-bit sums: phoff near 4 GiB wrapped). */
static int pr_has_pvh_note(const uint8_t *d, size_t n)
{
	uint32_t phoff = pv_le32(d + 28), phnum = d[44] | d[45] << 8;

	for (uint32_t i = 0; i < phnum &&
	     (uint64_t)phoff + (uint64_t)(i + 1) * 32 <= n; i++) {
		const uint8_t *ph = d + phoff + i * 32;
		uint32_t size = pv_le32(ph + 16), pos = 0;
		const uint8_t *a = pr_area(d, n, pv_le32(ph + 4), size);
		struct pv_note nt;
		if (pv_le32(ph) != 4 || !a)
			continue;
		while (pv_note_next(a, size, &pos, &nt))
			if (nt.type == 18 && nt.descsz >= 4 &&
			    pv_note_owner(&nt, "Xen"))
				return 1;
	}
	return 0;
}

/* The PV_NOTE_ARGS_ALWAYS fragment of the image's PV_NOTE_SECTION into
 * out (left "" when there is none); -1 when the note is malformed. */
static int pr_image_args(const uint8_t *d, size_t n, char *out)
{
	uint32_t shoff = pv_le32(d + 32), shnum = d[48] | d[49] << 8,
		 strndx = d[50] | d[51] << 8;
	const uint8_t *strs;
	static const char want[] = PV_NOTE_SECTION;

	if (!shnum || strndx >= shnum || (uint64_t)shoff + shnum * 40ull > n)
		return 0;
	strs = d + shoff + strndx * 40;
	uint32_t str_off = pv_le32(strs + 16), str_size = pv_le32(strs + 20);
	if (!pr_area(d, n, str_off, str_size))
		return 0;
	for (uint32_t i = 0; i < shnum; i++) {
		const uint8_t *sh = d + shoff + i * 40, *a;
		uint32_t name = pv_le32(sh), size = pv_le32(sh + 20), pos = 0;
		struct pv_note nt;
		if (name >= str_size || str_size - name < sizeof want ||
		    memcmp(d + str_off + name, want, sizeof want))
			continue;
		if (!(a = pr_area(d, n, pv_le32(sh + 16), size)))
			return -1;
		while (pv_note_next(a, size, &pos, &nt)) {
			if (nt.type != PV_NOTE_ARGS_ALWAYS ||
			    !pv_note_owner(&nt, PV_NOTE_NAME))
				continue;
			if (!pv_note_args_ok(&nt))
				return -1;
			memcpy(out, nt.desc, nt.descsz);
		}
	}
	return 0;
}

int pr_check_image(const uint8_t *d, size_t n, char *args)
{
	args[0] = 0;
	if (n < 52 || memcmp(d, "\177ELF\1\1", 6) != 0 || d[18] != 3 ||
	    !pr_has_pvh_note(d, n))
		return PR_IMAGE_NOT_PVH;
	return pr_image_args(d, n, args) < 0 ? PR_IMAGE_BAD_NOTE : 0;
}

int pr_read_image(const char *path, char *args)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n = -1;
	int r = PR_IMAGE_NOT_PVH;

	args[0] = 0;
	if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    n < (1L << 30) && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) &&
	    fread(buf, 1, (size_t)n, f) == (size_t)n)
		r = pr_check_image(buf, (size_t)n, args);
	if (!f)
		fprintf(stderr, "previrt-run: cannot open %s: %s\n", path,
			strerror(errno));
	else if (r == PR_IMAGE_BAD_NOTE)
		fprintf(stderr, "previrt-run: %s: section " PV_NOTE_SECTION
			" is outside the file or its boot arguments are not "
			"one string of at most %d bytes\n", path,
			PV_NOTE_ARGS_MAX);
	else if (r)
		fprintf(stderr, "previrt-run: %s: not an i386 ELF image with a "
			"PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)\n", path);
	if (f)
		fclose(f);
	free(buf);
	return r ? -1 : 0;
}
