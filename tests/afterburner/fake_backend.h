/*
 * fake_backend.h - a test backend for the afterburner unit tests: guest
 * RAM in a host buffer, a settable clock, recorded console output, and
 * shutdown by longjmp.  Runs: host (criterion tests).
 */
#ifndef FAKE_BACKEND_H
#define FAKE_BACKEND_H
#include <setjmp.h>
#include "previrt/afterburner.h"

#define FB_MEM (4u << 20)

struct ab_vm {
	uint8_t *ram;
	uint64_t now;
	uint64_t timer;
	char out[4096];
	size_t nout;
	int in[64], nin, inpos;
	int shut, status;
	char why[256];
	jmp_buf stop;
	int cr3_loads, flushes, invlpgs, mode_calls;
	/* site policy: INLINE (the default, zero-filled force = 0) unless
	 * force is set; target 0 = leave AB_WEDGE_STUBS */
	int force;
	enum ab_site_policy policy;
	uint32_t target;
	int policy_calls;
};

extern struct ab_vm fb_vm;
extern struct ab_shared fb_shared;
extern struct ab_vcpu fb_vcpu;

/* Fresh RAM, vCPU and devices. */
void fb_reset(void);
/* Run f(); returns 1 if the guest was stopped (shutdown) instead. */
#define FB_STOPPED(stmt) (setjmp(fb_vm.stop) ? 1 : ((stmt), 0))

#endif
