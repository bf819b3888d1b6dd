/*
 * sandbox.c - the hosted backend's seccomp filter (libseccomp), installed
 * after setup and before the guest runs: the process may make only the
 * host system calls the backend needs (no open, exec, socket, ...).
 * 32-bit system calls (the guest's int $0x80 in compatibility mode) are
 * "bad arch" for this x86-64 filter and trap (SIGSYS) so run.c can hand
 * them to the guest kernel; anything else not allowed traps too, and
 * run.c stops the guest with a message.  Runs: hosted process.
 */
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include "ho.h"

static const int ho_allowed[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(mmap), SCMP_SYS(munmap),
	SCMP_SYS(mprotect), SCMP_SYS(rt_sigreturn), SCMP_SYS(poll),
	SCMP_SYS(ppoll), SCMP_SYS(timer_settime), SCMP_SYS(clock_gettime),
	SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(arch_prctl),
};

int ho_sandbox(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	int rc = ctx ? 0 : -1;
	if (!rc)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
				      SCMP_ACT_TRAP);
	for (size_t i = 0; !rc && i < sizeof ho_allowed / sizeof ho_allowed[0]; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, ho_allowed[i], 0);
	if (!rc)
		rc = seccomp_load(ctx);
	if (rc)
		fprintf(stderr, "previrt-hosted: seccomp filter: %s\n",
			strerror(rc < 0 ? -rc : rc));
	if (ctx)
		seccomp_release(ctx);
	return rc ? -1 : 0;
}
