/*
 * sandbox.c - the hosted backend's seccomp filter (libseccomp), installed
 * after setup and before the guest runs: the process may make only the
 * host system calls the backend needs (no open, exec, socket, ...).
 * 32-bit system calls (the guest's int $0x80 in compatibility mode) are
 * "bad arch" for this x86-64 filter and trap (SIGSYS) so run.c can hand
 * them to the guest kernel; anything else not allowed traps too, and
 * run.c stops the guest with a message.  A second, raw BPF filter traps
 * every x86-64 system call made from below 4 GiB: a guest that escapes
 * into 64-bit code cannot make even the allowed calls (the backend's own
 * code, glibc and the vDSO all live above 4 GiB).  ptrace and wait4 are
 * allowed only on the user stub, and only the requests user.c makes (no
 * attach: the backend cannot trace anything else).  Runs: hosted process.
 */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <stdio.h>
#include <string.h>
#include "ho.h"

static const int ho_allowed[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(mmap), SCMP_SYS(munmap),
	SCMP_SYS(mprotect), SCMP_SYS(rt_sigreturn), SCMP_SYS(poll),
	SCMP_SYS(ppoll), SCMP_SYS(timer_settime), SCMP_SYS(clock_gettime),
	SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(arch_prctl),
	SCMP_SYS(rt_sigtimedwait),
};

static const int ho_ptrace_reqs[] = {
	PTRACE_GETREGS, PTRACE_SETREGS, PTRACE_GETFPREGS, PTRACE_SETFPREGS,
	PTRACE_CONT, PTRACE_INTERRUPT, PTRACE_GETSIGINFO, PTRACE_PEEKSIGINFO,
};

/* ptrace (the listed requests) and wait4 on the user stubs only. */
static int allow_stub(scmp_filter_ctx ctx, pid_t pid)
{
	struct scmp_arg_cmp is_pid = { 1, SCMP_CMP_EQ, (scmp_datum_t)pid, 0 };
	int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(wait4), 1,
				  (struct scmp_arg_cmp){ 0, SCMP_CMP_EQ,
							 (scmp_datum_t)pid, 0 });
	for (size_t i = 0; !rc && i < sizeof ho_ptrace_reqs / sizeof ho_ptrace_reqs[0]; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ptrace), 2,
				      (struct scmp_arg_cmp){ 0, SCMP_CMP_EQ,
					(scmp_datum_t)ho_ptrace_reqs[i], 0 },
				      is_pid);
	return rc;
}

/* x86-64 syscalls with instruction_pointer < 4 GiB trap; all else passes
 * on to the libseccomp filter. */
static int low_ip_filter(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, instruction_pointer) + 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof f / sizeof f[0], f };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
		perror("previrt-hosted: seccomp low-ip filter");
		return -1;
	}
	return 0;
}

int ho_sandbox(void)
{
	if (low_ip_filter() < 0)
		return -1;
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	int rc = ctx ? 0 : -1;
	if (!rc)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
				      SCMP_ACT_TRAP);
	for (size_t i = 0; !rc && i < sizeof ho_allowed / sizeof ho_allowed[0]; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, ho_allowed[i], 0);
	for (unsigned i = 0; !rc && i < HO_STUBS; i++)
		rc = allow_stub(ctx, ho_vm.user.stub[i].pid);
	if (!rc)
		rc = seccomp_load(ctx);
	if (rc)
		fprintf(stderr, "previrt-hosted: seccomp filter: %s\n",
			strerror(rc < 0 ? -rc : rc));
	if (ctx)
		seccomp_release(ctx);
	return rc ? -1 : 0;
}
