/*
 * fuzz_load.c - libFuzzer target for the afterburner's loader and site
 * checks: load.c (ELF and program headers, notes, boot arguments, the
 * site table), patch.c (every site verified against the bytes and
 * patched) and the start of day, against the unit tests' fake backend.
 * Any input must end in 0 or -1 with a message (or a guest stop), never a
 * crash or an access outside guest RAM (ASan).  Runs: host.  Usage:
 *   fuzz-ab-load [-max_total_time=N] CORPUS_DIR   (tests/fuzz/run.sh)
 */
#include <stdint.h>
#include "../afterburner/fake_backend.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char payload[] = "module";
	const struct ab_module mod = { payload, sizeof payload, "arg" };
	struct ab_regs r;
	fb_reset();
	(void)FB_STOPPED(ab_load_elf(&fb_vcpu, data, size) == 0 &&
			 ab_patch_all(&fb_vcpu) == 0 &&
			 ab_load_start(&fb_vcpu, FB_MEM, "console=ttyS0", &mod,
				       1, &r));
	return 0;
}
