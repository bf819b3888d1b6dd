/*
 * fuzz_reader.c - libFuzzer target for the rewriter's ELF and site-table
 * reader (rw_elf.c, rw_sites.c) and, on inputs that pass it, the
 * disassembly, planning and writing stages.  Runs: host, built only with
 * meson -Dfuzz=true (clang-16 -fsanitize=fuzzer,address).  Usage:
 *   fuzz-rw-reader [-max_total_time=180] CORPUS_DIR   (tests/fuzz/run.sh)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "rw.h"

static void run_stages(struct rw_image *img)
{
	struct rw_plan pl;
	if (rw_sites_read(img) < 0 || rw_sites_validate(img) < 0 ||
	    rw_disasm_image(img) < 0)
		return;
	if (rw_plan_make(img, &pl, NULL) == 0)
		rw_write(img, &pl, "/dev/null");
	rw_plan_free(&pl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf) return 0;
	memcpy(buf, data, size);
	struct rw_image img;
	if (rw_image_load_mem(&img, "fuzz", buf, size) == 0)
		run_stages(&img);
	rw_image_free(&img);
	free(buf);
	return 0;
}
