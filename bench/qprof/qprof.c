/*
 * qprof.c - an instruction profiler for QEMU system emulation: a TCG
 * plugin that counts, for every translated block, how often it ran, and
 * writes "vaddr insns execs" lines at exit.  bench/qprof/previrt-qprof
 * turns them into instructions per symbol (monitor, wedge, guest kernel,
 * user).  Runs: inside the host's qemu-system-i386 process.
 *   qemu-system-i386 -plugin build/bench/qprof/libqprof.so,out=FILE ...
 *   (previrt-run --qemu-arg=-plugin --qemu-arg=...,out=FILE)
 * The declarations below are the QEMU plugin API, version 1 (QEMU 7.2),
 * as its documentation describes it; Debian ships no qemu-plugin.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
typedef struct qemu_info_t qemu_info_t;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };

size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb,
					      enum qemu_plugin_op op,
					      void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
	void (*cb)(qemu_plugin_id_t, struct qemu_plugin_tb *));
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id,
	void (*cb)(qemu_plugin_id_t, void *), void *userdata);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

/* One record per translation; records are never freed (QEMU may still
 * run a block after its translation is flushed from the cache). */
struct qp_block {
	uint64_t execs;
	uint64_t vaddr;
	uint32_t insns;
	struct qp_block *next;
};

static struct qp_block *qp_blocks;
static char qp_out[4096] = "qprof.out";

static void qp_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	struct qp_block *b = calloc(1, sizeof *b);
	(void)id;
	if (!b)
		return;
	b->vaddr = qemu_plugin_tb_vaddr(tb);
	b->insns = (uint32_t)qemu_plugin_tb_n_insns(tb);
	b->next = qp_blocks;
	qp_blocks = b;
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
						 &b->execs, 1);
}

static void qp_exit(qemu_plugin_id_t id, void *unused)
{
	FILE *f = fopen(qp_out, "w");
	(void)id;
	(void)unused;
	if (!f) {
		fprintf(stderr, "qprof: cannot write %s\n", qp_out);
		return;
	}
	for (struct qp_block *b = qp_blocks; b; b = b->next)
		if (b->execs)
			fprintf(f, "%" PRIx64 " %u %" PRIu64 "\n", b->vaddr,
				b->insns, b->execs);
	fclose(f);
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
			int argc, char **argv)
{
	(void)info;
	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4) &&
		    strlen(argv[i] + 4) < sizeof qp_out) {
			strcpy(qp_out, argv[i] + 4);
		} else {
			fprintf(stderr, "qprof: unknown argument %s "
				"(expected out=FILE)\n", argv[i]);
			return -1;
		}
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, qp_translate);
	qemu_plugin_register_atexit_cb(id, qp_exit, NULL);
	return 0;
}
