/*
 * trap.c - where every real interrupt and exception lands (from trap.S):
 * the monitor's timer, faults of the monitor itself (print cause and EIP,
 * exit QEMU non-zero), and everything from the guest, handed to vm.c.
 * Also the monitor's boot options and trap-path self-tests.  Runs:
 * monitor ring 0.
 */
#include "bm.h"
#include "boot.h"
#include "vm.h"
#include "x86.h"

static const char *const bm_exc_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint",
	"#OF overflow", "#BR bound", "#UD invalid opcode",
	"#NM device not available", "#DF double fault", "coprocessor overrun",
	"#TS invalid TSS", "#NP segment not present", "#SS stack fault",
	"#GP general protection", "#PF page fault", "reserved 15",
	"#MF x87 error", "#AC alignment check", "#MC machine check",
	"#XM SIMD error", "#VE virtualization", "#CP control protection",
};

const char *bm_exc_name(unsigned vec)
{
	if (vec < 32)
		return bm_exc_names[vec] ? bm_exc_names[vec] : "reserved";
	return vec < 0x30 && vec >= BM_VEC_IRQ0 ? "hardware interrupt"
						: "software interrupt";
}

/* The monitor itself faulted: a monitor bug, never the guest's doing,
 * except a bad guest selector met while returning to the guest, and the
 * boot's limit probe (bm_limit_probe), which resumes after its read. */
static void monitor_fault(struct ab_regs *r)
{
	uint32_t eip = r->eip;
	if (eip == (uint32_t)(uintptr_t)bm_probe_read) {   /* limit probe */
		r->eip = (uint32_t)(uintptr_t)bm_probe_done;
		r->eax = 1u + r->entry_vector;
		return;
	}
	if (eip >= (uint32_t)(uintptr_t)bm_seg_restore &&
	    eip < (uint32_t)(uintptr_t)bm_iret_end)
		bm_vm_bad_return(r);
	bm_panic("monitor fault: %s (vector %u, error %x) at EIP 0x%08x, "
		 "CR2 0x%08x", bm_exc_name(r->entry_vector), r->entry_vector,
		 r->error_code, eip, read_cr2());
}

static void guest_trap(struct ab_regs *r, unsigned vec)
{
	if (vec == BM_VEC_IRQ0) {
		bm_timer_tick();
		bm_pic_eoi(0);
		bm_vm_timer(r);
	} else if (vec > BM_VEC_IRQ0 && vec < BM_VEC_IRQ0 + 16) {
		bm_pic_eoi(vec - BM_VEC_IRQ0);  /* masked lines: spurious */
	} else {
		bm_vm_trap(r, vec);
	}
}

int bm_guard_wp = 1;

/* CR0.WP is set while the guest runs (ring 1 must honour read-only
 * shadow entries: dirty bits, the guest's own WP, guarded frames).  With
 * bm_guard_wp the monitor's memory is read-only in the guest's spaces and
 * traps from the guest clear WP while the monitor runs; without it (the
 * CPU checks segment limits) that memory is writable and WP stays set.
 * Traps from ring 0 are the monitor's own. */
void bm_trap(struct ab_regs *r)
{
	unsigned vec = r->entry_vector;
	if (vec == BM_VEC_RUNTIME && bm_fast_iret(&bm_vm, r) == 0)
		return;                     /* WP as it was: nothing written */
	if (vec == 14 && bm_fast_user_fault(&bm_vm, r) == 0)
		return;                     /* the same: a guest-RAM frame only */
	if (r->cs & 3) {
		uint64_t t0 = rdtsc();
		if (bm_guard_wp)
			write_cr0(read_cr0() & ~CR0_WP);
		guest_trap(r, vec);
		bm_vm.cycles[vec] += rdtsc() - t0;
		if (bm_guard_wp)
			write_cr0(read_cr0() | CR0_WP);
		return;
	}
	if (vec == BM_VEC_IRQ0) {
		bm_timer_tick();
		bm_pic_eoi(0);
	} else if (vec > BM_VEC_IRQ0 && vec < BM_VEC_IRQ0 + 16) {
		bm_pic_eoi(vec - BM_VEC_IRQ0);
	} else {
		monitor_fault(r);
	}
}

/* bm.guard=auto|wp|segments: the value v of n bytes, else refuse. */
static void guard_option(const char *v, size_t n)
{
	static const char *const names[] = { "auto", "wp", "segments" };
	char val[24];
	for (int g = BM_GUARD_AUTO; g <= BM_GUARD_SEGMENTS; g++) {
		if (n == strlen(names[g]) && !bm_strncmp(v, names[g], n)) {
			bm_boot.guard = g;
			return;
		}
	}
	n = n < sizeof val - 1 ? n : sizeof val - 1;
	memcpy(val, v, n);
	val[n] = 0;
	bm_panic("bm.guard=%s: the guard is auto, wp or segments", val);
}

/* bm.selftest=NAME, bm.stats, ... from the multiboot command line. */
void boot_option(const char *w, size_t len)
{
	static char buf[32];
	if (len >= 9 && !bm_strncmp(w, "bm.guard=", 9)) {
		guard_option(w + 9, len - 9);
	} else if (len == 8 && !bm_strncmp(w, "bm.stats", 8)) {
		bm_boot.stats = 1;
	} else if (len == 8 && !bm_strncmp(w, "bm.trace", 8)) {
		bm_boot.trace = 1;
	} else if (len == 13 && !bm_strncmp(w, "bm.winslots=", 12) &&
		   w[12] >= '3' && w[12] - '0' <= (int)BM_WIN_SLOTS) {
		bm_boot.win_slots = (unsigned)(w[12] - '0');
	} else if (len > 7 && !bm_strncmp(w, "bm.mem=", 7)) {
		uint32_t n = 0;
		for (size_t i = 7; i < len; i++) {
			if (w[i] < '0' || w[i] > '9' || n > BM_GUEST_MEM_MAX)
				bm_panic("bm.mem=: guest RAM in MiB, 2..%u",
					 BM_GUEST_MEM_MAX);
			n = n * 10 + (uint32_t)(w[i] - '0');
		}
		if (n < 2 || n > BM_GUEST_MEM_MAX)
			bm_panic("bm.mem=%u: guest RAM must be 2..%u MiB", n,
				 BM_GUEST_MEM_MAX);
		bm_boot.mem_mib = n;
	} else if (len > 12 && len < 12 + sizeof buf &&
		   !bm_strncmp(w, "bm.selftest=", 12)) {
		memcpy(buf, w + 12, len - 12);
		buf[len - 12] = 0;
		bm_boot.selftest = buf;
	} else {
		bm_printf("monitor: ignoring unknown option %c%c%c...\n",
			  w[0], w[1], w[2]);
	}
}

/* Choose the guard (bm.guard=, else the probe's answer), say which and
 * why.  After bm_cpu_init, before the guest starts. */
void boot_guard(void)
{
	int checked = bm_cpu_limits_enforced(), g = bm_boot.guard;
	const char *cpu = checked ? "this CPU enforces segment limits" :
		"this CPU does not enforce segment limits";
	if (g == BM_GUARD_AUTO)
		g = checked ? BM_GUARD_SEGMENTS : BM_GUARD_WP;
	bm_guard_wp = g == BM_GUARD_WP;
	if (bm_boot.guard == BM_GUARD_AUTO)
		bm_printf("monitor: guard: %s (%s)\n",
			  bm_guard_wp ? "wp" : "segments", cpu);
	else if (bm_guard_wp || checked)
		bm_printf("monitor: guard: %s (forced by bm.guard=%s; %s)\n",
			  bm_guard_wp ? "wp" : "segments",
			  bm_guard_wp ? "wp" : "segments", cpu);
	else
		bm_printf("monitor: guard: segments (forced by "
			  "bm.guard=segments; NOT contained: %s)\n", cpu);
}

/* Deliberate monitor faults: the fatal-exception path (ud2, pf, df) and
 * the limit probe's recovery (probe: the boot goes on). */
void boot_selftest(void)
{
	const char *t = bm_boot.selftest;
	if (!t)
		return;
	if (!bm_strncmp(t, "ud2", 4))
		ud2();
	if (!bm_strncmp(t, "pf", 3))
		(void)*(volatile uint32_t *)BM_UNMAPPED_VA;
	if (!bm_strncmp(t, "df", 3))
		double_fault(BM_UNMAPPED_VA);
	if (!bm_strncmp(t, "probe", 6)) {      /* the probe's fault fixup */
		int v = bm_cpu_probe(BM_UNMAPPED_VA);  /* #PF, or #GP first */
		bm_printf("monitor: self-test probe: vector %d recovered, fs %s\n",
			  v - 1, read_fs() == BM_SEL_KDATA ? "restored" : "LOST");
		return;
	}
	bm_panic("unknown self-test %s", t);
}
