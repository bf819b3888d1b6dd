/*
 * backend.c - the hosted backend's ab_backend_* hooks for the site
 * policy, execution mode, time, idling, the console and stopping.  (Memory hooks are in
 * tlb.c.)  Runs: hosted process, inside the signal handlers of run.c.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "ho.h"
#include "ho_cpu.h"

uint64_t ho_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Base of the guest descriptor sel (0 for null or unreadable). */
uint32_t ho_seg_base(struct ab_vm *vm, uint16_t sel)
{
	uint32_t d[2];
	if (!(sel & ~3) || ab_vcpu_desc(&vm->vcpu, sel, d) < 0)
		return 0;
	return ab_desc_base(d);
}

/* Every site goes through the runtime's view: the afterburner's inline
 * form where it has one; segment reads, and DS/ES/FS/GS loads, a call to
 * their segment fast stub (HO_STUB_SEG: 32-bit code, no exit unless the
 * load needs the runtime - sound here because the guest kernel's DS and
 * ES are always the real flat 0x2b, whatever the virtual selectors, and
 * FS/GS too, with the base the stub checks is unchanged); else a
 * call to the one stub (AB_WEDGE_STUBS).  No instruction is exact
 * natively here (the guest kernel runs at CPL 3), so nothing stays
 * NATIVE.  PREVIRT_HOSTED_NO_SEGSTUBS=1 turns the fast stubs off (for
 * measurements). */
enum ab_site_policy ab_backend_site_policy(struct ab_vm *vm,
					   const struct pv_insn *in,
					   uint32_t *target)
{
	const char *off_env = getenv("PREVIRT_HOSTED_NO_SEGSTUBS");
	int seg = ab_patch_seg_stub(in);
	(void)vm;
	if (seg >= 0 && !(off_env && *off_env == '1')) {
		*target = AB_WEDGE_STUBS + HO_STUB_SEG + (uint32_t)seg;
		return AB_SITE_CALL;
	}
	return ab_patch_can_inline(in) ? AB_SITE_INLINE : AB_SITE_CALL;
}

void ab_backend_set_mode(struct ab_vm *vm, const struct ab_regs *r, int cpl)
{
	vm->fs_base = ho_seg_base(vm, r->fs);
	vm->gs_base = ho_seg_base(vm, r->gs);
	int to_user = cpl == 3 && vm->cpl != 3;
	vm->cpl = cpl;
	/* Back to the instruction whose page fault the kernel just handled:
	 * it is about to retry the access, so have the user stub map the page
	 * on its way in (the walk sets A/D as that access will) instead of
	 * faulting again. */
	if (to_user && vm->pf_pending && r->eip == vm->pf_eip) {
		uint32_t e;
		if (ho_user_fill(vm, vm->pf_va, vm->pf_write, &e) > 0)
			vm->prefills++;
	}
	if (to_user)
		vm->pf_pending = 0;
}

uint64_t ab_backend_now_ns(struct ab_vm *vm)
{
	(void)vm;
	return ho_now();
}

/* The TSC against CLOCK_MONOTONIC over 20 ms, once. */
uint32_t ab_backend_tsc_khz(struct ab_vm *vm)
{
	static uint32_t khz;
	(void)vm;
	if (!khz) {
		uint64_t t0 = ho_now(), c0 = ho_rdtsc(), t1;
		while ((t1 = ho_now()) - t0 < 20000000)
			;
		khz = (uint32_t)((ho_rdtsc() - c0) * 1000000 / (t1 - t0));
	}
	return khz;
}

void ab_backend_set_timer(struct ab_vm *vm, uint64_t deadline_ns)
{
	struct itimerspec its;
	memset(&its, 0, sizeof its);
	vm->deadline_ns = deadline_ns;
	if (deadline_ns) {
		its.it_value.tv_sec = (time_t)(deadline_ns / 1000000000ull);
		its.it_value.tv_nsec = (long)(deadline_ns % 1000000000ull);
		if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
			its.it_value.tv_nsec = 1;
	}
	timer_settime(vm->timer, TIMER_ABSTIME, &its, NULL);
}

/* Read what stdin has (waiting at most timeout_ms) into the buffer. */
void ho_console_poll(struct ab_vm *vm, int timeout_ms)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };
	vm->last_input_poll = ho_now();
	if (!vm->stdin_open) {
		if (timeout_ms > 0)
			poll(NULL, 0, timeout_ms);
		return;
	}
	if (poll(&p, 1, timeout_ms) <= 0)
		return;
	unsigned room = (unsigned)sizeof vm->inbuf - (vm->in_tail - vm->in_head);
	if (!room)
		return;
	uint8_t tmp[256];
	ssize_t n = read(0, tmp, room < sizeof tmp ? room : sizeof tmp);
	if (n <= 0) {
		vm->stdin_open = 0;              /* EOF: stop polling */
		return;
	}
	for (ssize_t i = 0; i < n; i++)
		vm->inbuf[vm->in_tail++ % sizeof vm->inbuf] = tmp[i];
}

void ab_backend_idle(struct ab_vm *vm)
{
	uint64_t now = ho_now(), dl = vm->deadline_ns;
	if (!dl && !vm->stdin_open)
		ab_vcpu_kill(&vm->vcpu, &vm->r, "hlt with no timer running "
			     "and no console input: the guest would sleep "
			     "forever");
	int ms = !dl ? -1 : dl <= now ? 0 : (int)((dl - now + 999999) / 1000000);
	ho_console_poll(vm, ms);
}

void ab_backend_console_write(struct ab_vm *vm, const char *s, size_t n)
{
	(void)vm;
	while (n) {
		ssize_t w = write(1, s, n);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

int ab_backend_console_read(struct ab_vm *vm)
{
	if (vm->in_head == vm->in_tail && vm->stdin_open &&
	    ho_now() - vm->last_input_poll > 1000000)
		ho_console_poll(vm, 0);
	if (vm->in_head == vm->in_tail)
		return -1;
	return vm->inbuf[vm->in_head++ % sizeof vm->inbuf];
}

static void stats_line(void *ctx, const char *line)
{
	(void)ctx;
	write(2, line, strlen(line));
}

/* Stop: message, counters, exit status (previrt-run's convention: the
 * guest's debug-exit value, 3 when the guest was killed). */
void ho_stop(struct ab_vm *vm, int status, const char *why)
{
	char line[300];
	if (why) {
		int n = snprintf(line, sizeof line, "previrt-hosted: %s\n", why);
		write(2, line, (size_t)n);
	}
	if (vm->stats) {
		ab_stats_print(&vm->vcpu, stats_line, NULL);
		const struct ho_user *u = &vm->user;
		const struct { const char *name; uint64_t n; } c[] = {
			{ "signals", vm->signals },
			{ "fast-site-calls", vm->fast_calls },
			{ "fault-prefills", vm->prefills },
			{ "tlb-fills", vm->tlb_fills },
			{ "tlb-flushes", vm->tlb_flushes },
			{ "cr3-kernel-kept", vm->partial_flushes },
			{ "user-stops", u->stops },
			{ "user-fills", u->fills },
			{ "user-map-batches", u->batches },
			{ "user-flushes", u->flushes },
			{ "user-seg-adopts", u->seg_adopts },
			{ "user-seg-faults", u->seg_faults },
			{ "user-escapes", u->escapes },
			{ "user-stub-code-faults", u->stub_code_faults },
			{ "user-fpu-sets", u->fpu_sets },
			{ "user-stub-hits", u->switch_hits },
			{ "user-stub-misses", u->switch_misses },
			{ "user-maps-rechecked", u->revalidated },
			{ "user-maps-dropped", u->revalidate_drops },
		};
		for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
			int n = snprintf(line, sizeof line, "stat hosted %s %llu\n",
					 c[i].name, (unsigned long long)c[i].n);
			write(2, line, (size_t)n);
		}
	}
	_exit(why ? 3 : status & 0xff);
}

void ab_backend_shutdown(struct ab_vm *vm, int status, const char *why)
{
	ho_stop(vm, status, why);
}
