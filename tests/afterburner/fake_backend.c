/*
 * fake_backend.c - implements every ab_backend_* hook for the unit tests
 * (see fake_backend.h).  Runs: host (criterion tests).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fake_backend.h"

struct ab_vm fb_vm;
struct ab_shared fb_shared;
struct ab_vcpu fb_vcpu;

static void fb_free_allocs(void);

void fb_reset(void)
{
	static uint8_t *ram;
	fb_free_allocs();
	if (!ram)
		ram = malloc(FB_MEM);
	memset(ram, 0, FB_MEM);
	memset(&fb_vm, 0, sizeof fb_vm);
	fb_vm.ram = ram;
	ab_vcpu_init(&fb_vcpu, &fb_vm, &fb_shared);
}

void *ab_backend_gpa(struct ab_vm *vm, uint32_t gpa, uint32_t len)
{
	if (gpa >= FB_MEM || len > FB_MEM - gpa)
		return NULL;
	return vm->ram + gpa;
}

/* Load-time allocations live until the next fb_reset (as a backend's
 * live as long as its guest). */
static void *fb_allocs[64];
static unsigned fb_nallocs;

static void fb_free_allocs(void)
{
	while (fb_nallocs)
		free(fb_allocs[--fb_nallocs]);
}

void *ab_backend_alloc(struct ab_vm *vm, size_t size)
{
	(void)vm;
	if (fb_nallocs == sizeof fb_allocs / sizeof fb_allocs[0])
		return NULL;
	void *p = calloc(1, size);
	if (p)
		fb_allocs[fb_nallocs++] = p;
	return p;
}

void ab_backend_load_cr3(struct ab_vm *vm, uint32_t cr3, int paging)
{
	(void)cr3; (void)paging;
	vm->cr3_loads++;
}

void ab_backend_invlpg(struct ab_vm *vm, uint32_t va) { (void)va; vm->invlpgs++; }
void ab_backend_flush(struct ab_vm *vm) { vm->flushes++; }

enum ab_site_policy ab_backend_site_policy(struct ab_vm *vm,
					   const struct pv_insn *in,
					   uint32_t *target)
{
	(void)in;
	vm->policy_calls++;
	if (vm->target)
		*target = vm->target;
	return vm->force ? vm->policy : AB_SITE_INLINE;
}

void ab_backend_set_mode(struct ab_vm *vm, const struct ab_regs *r, int cpl)
{
	(void)r; (void)cpl;
	vm->mode_calls++;
}

void ab_backend_idle(struct ab_vm *vm)
{
	if (vm->timer > vm->now)
		vm->now = vm->timer;
	else
		vm->now += 1000000;
}

uint64_t ab_backend_now_ns(struct ab_vm *vm) { return vm->now; }
uint32_t ab_backend_tsc_khz(struct ab_vm *vm) { (void)vm; return 1234567; }
void ab_backend_set_timer(struct ab_vm *vm, uint64_t d) { vm->timer = d; }

void ab_backend_console_write(struct ab_vm *vm, const char *s, size_t n)
{
	if (n > sizeof vm->out - 1 - vm->nout)
		n = sizeof vm->out - 1 - vm->nout;
	memcpy(vm->out + vm->nout, s, n);
	vm->nout += n;
}

int ab_backend_console_read(struct ab_vm *vm)
{
	return vm->inpos < vm->nin ? vm->in[vm->inpos++] : -1;
}

void ab_backend_shutdown(struct ab_vm *vm, int status, const char *why)
{
	vm->shut = 1;
	vm->status = status;
	snprintf(vm->why, sizeof vm->why, "%s", why ? why : "");
	longjmp(vm->stop, 1);
}
