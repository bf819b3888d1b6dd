/*
 * fuzz_image.c - libFuzzer target for previrt-run's image checks
 * (tools/image.c: ELF header, program headers, the PVH note, section
 * headers, the .note.previrt boot arguments): any input gets 0 or a
 * reason, never a crash or a read outside it (ASan).  Runs: host.
 * Usage: fuzz-pr-image [-max_total_time=N] CORPUS_DIR (tests/fuzz/run.sh)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "previrt-run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char args[PV_NOTE_ARGS_MAX];
	uint8_t *copy = malloc(size ? size : 1);   /* exact size: ASan sees */
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (pr_check_image(copy, size, args) == 0 && strlen(args) >= sizeof args)
		abort();
	free(copy);
	return 0;
}
