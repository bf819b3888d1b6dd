/*
 * stats.c - the afterburner's counters as the --stats report: runtime
 * events, then per class and per site execution counts.  Runs: hosted
 * process and monitor ring 0; freestanding (lines go to a callback).
 */
#include "previrt/afterburner.h"

static const char *const stat_names[AB_ST_COUNT] = {
	"site-calls", "trap-emulations", "irqs", "exceptions", "syscalls",
	"soft-ints", "irets-to-user", "io-unknown", "pf-reflected",
	"timer-ticks", "idle-waits",
};

void ab_stats_print(struct ab_vcpu *v,
		    void (*out)(void *ctx, const char *line), void *ctx)
{
	char line[120];
	for (unsigned i = 0; i < AB_ST_COUNT; i++) {
		ab_fmt(line, sizeof line, "stat event %-16s %llu\n",
		       stat_names[i], (unsigned long long)v->stat[i]);
		out(ctx, line);
	}
	for (unsigned c = 0; c < PV_CLASS_COUNT; c++) {
		const struct pv_class_info *ci = pv_class_info(c);
		if (!v->cls_count[c])
			continue;
		ab_fmt(line, sizeof line, "stat class %-16s %s %llu\n",
		       ci->name, pv_group_name(ci->group),
		       (unsigned long long)v->cls_count[c]);
		out(ctx, line);
	}
	for (uint32_t i = 0; i < v->img.nsites; i++) {
		const struct ab_site *s = &v->img.sites[i];
		if (!s->count)
			continue;
		ab_fmt(line, sizeof line, "stat site 0x%08x %-12s %s %u\n",
		       s->addr, pv_class_info(s->cls)->name,
		       s->inline_fast ? "inline" : "call", s->count);
		out(ctx, line);
	}
}
