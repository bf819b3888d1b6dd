/*
 * main.c - previrt-hosted: runs a previrtualised 32-bit guest kernel as
 * an unprivileged Linux process.  Parses the command line, loads the
 * image and modules through the afterburner, patches the sites, starts
 * the user stub, sets up signals, the timer and the seccomp sandbox, then
 * enters the guest for good.  Runs: hosted process (64-bit).
 * Usage: previrt-hosted IMAGE [--mem 128M] [--append ARGS]
 *                      [--module FILE]... [--stats]
 * Exit status: the guest's debug-exit value; 3 when the guest was stopped
 * for an error (message on stderr); 64 for bad usage or a bad image.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ho.h"

#define HO_MAX_MODS 8
#define HO_EXIT_USAGE 64

struct ab_vm ho_vm;

struct ho_opts {
	const char *image, *append;
	const char *mods[HO_MAX_MODS];
	unsigned nmods;
	uint64_t mem;
	int stats;
};

static void usage(void)
{
	fprintf(stderr, "usage: previrt-hosted IMAGE [--mem SIZE] [--append "
		"ARGS] [--module FILE]... [--stats]\n");
	exit(HO_EXIT_USAGE);
}

/* "128M", "1G", "65536K", bytes otherwise; 0 for anything else,
 * including a value that does not fit 64 bits. */
static uint64_t parse_size(const char *s)
{
	char *end;
	unsigned shift = 0;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	switch (*end) {
	case 'G': case 'g': shift = 30; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'K': case 'k': shift = 10; end++; break;
	}
	if (*end || end == s || *s == '-' || errno || v > (~0ull >> shift))
		return 0;                         /* 0: refused by the caller */
	return v << shift;
}

static void parse(int argc, char **argv, struct ho_opts *o)
{
	*o = (struct ho_opts){ .mem = 128u << 20, .append = "" };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int more = i + 1 < argc;
		if (!strcmp(a, "--stats"))
			o->stats = 1;
		else if (!strcmp(a, "--mem") && more)
			o->mem = parse_size(argv[++i]);
		else if (!strcmp(a, "--append") && more)
			o->append = argv[++i];
		else if (!strcmp(a, "--module") && more && o->nmods < HO_MAX_MODS)
			o->mods[o->nmods++] = argv[++i];
		else if (a[0] != '-' && !o->image)
			o->image = a;
		else
			usage();
	}
	if (!o->image)
		usage();
	if (o->mem < (2u << 20) || o->mem > (2048u << 20) || o->mem & 0xfff) {
		fprintf(stderr, "previrt-hosted: --mem must be page-aligned, "
			"2M..2048M\n");
		exit(HO_EXIT_USAGE);
	}
}

static void *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	void *buf = NULL;
	if (!f || fstat(fileno(f), &st) < 0 || !(buf = malloc(st.st_size + 1)) ||
	    fread(buf, 1, st.st_size, f) != (size_t)st.st_size) {
		fprintf(stderr, "previrt-hosted: %s: %s\n", path,
			strerror(errno ? errno : EIO));
		exit(HO_EXIT_USAGE);
	}
	fclose(f);
	*size = st.st_size;
	return buf;
}

/* Load, start info, patch: the afterburner does the work. */
static void load_guest(struct ab_vm *vm, const struct ho_opts *o)
{
	struct ab_vcpu *v = &vm->vcpu;
	struct ab_module mods[HO_MAX_MODS];
	size_t size;
	void *elf = read_file(o->image, &size);
	for (unsigned i = 0; i < o->nmods; i++) {
		size_t ms;
		mods[i] = (struct ab_module){ read_file(o->mods[i], &ms), 0,
					      o->mods[i] };
		mods[i].size = (uint32_t)ms;
	}
	ab_vcpu_init(v, vm, (struct ab_shared *)(uintptr_t)AB_WEDGE_SHARED);
	if (ab_load_elf(v, elf, size) < 0 ||
	    ab_load_start(v, (uint32_t)o->mem, o->append, mods, o->nmods,
			  &vm->r) < 0 ||
	    ab_patch_all(v) < 0) {
		fprintf(stderr, "previrt-hosted: %s: %s\n", o->image, v->err);
		exit(HO_EXIT_USAGE);
	}
	if (v->img.phys_offset)
		ho_tlb_set_alias(vm, AB_WEDGE_STUBS - v->img.phys_offset);
	if (vm->stub_alias && vm->stub_alias < o->mem) {
		fprintf(stderr, "previrt-hosted: the physical stub alias 0x%x "
			"lies in guest RAM: use a --mem of at most %uM\n",
			vm->stub_alias, vm->stub_alias >> 20);
		exit(HO_EXIT_USAGE);
	}
	free(elf);
}

int main(int argc, char **argv)
{
	struct ho_opts o;
	struct ab_vm *vm = &ho_vm;
	parse(argc, argv, &o);
	vm->stats = o.stats;
	vm->stdin_open = 1;               /* until EOF or an error */
	if (ho_tlb_init(vm, (uint32_t)o.mem) < 0)
		return 3;
	load_guest(vm, &o);
	fflush(stdout);
	if (ho_user_init(vm) < 0 || ho_run_init(vm) < 0 || ho_sandbox() < 0)
		return 3;
	ho_enter(vm);
}
