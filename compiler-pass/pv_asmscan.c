/*
 * pv_asmscan.c - asm-text scanner and rewriter of the compiler pass.
 * Runs: compiler (inside clang-16 via previrt-pass.so) and tests/pass.
 *
 * The text is split into statements (';', newline; '#' and C comments,
 * strings and IR ${...} operands are opaque), labels are peeled off, each
 * instruction is classified against classes.def and every sensitive one is
 * replaced by a site:
 *   88801: <insn>
 *   88802: .fill <pad - len if positive>, 1, 0x90
 *   88803: + one struct pv_site entry in .previrt.sites
 * Numeric local labels cannot collide, however often a string is inlined
 * or duplicated.  See docs/compiler-pass.md for the exact text.
 */
#include "pv_asmscan.h"
#include "previrt/sites.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- output buffer ---------------------------------------------------- */

struct pvs_buf {
	char *p;
	size_t len, cap;
	int oom;
};

static void pvs_put(struct pvs_buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

static void pvs_printf(struct pvs_buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n > 0)
		pvs_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* ---- mnemonic tables -------------------------------------------------- */

struct pvs_mn {
	const char *name;
	int cls;
};

/* Mnemonics that are sensitive whatever their operands (AT&T spellings
 * with and without size suffixes). */
static const struct pvs_mn pvs_plain[] = {
	{ "cli", PV_CLASS_CLI }, { "sti", PV_CLASS_STI },
	{ "pushf", PV_CLASS_PUSHF }, { "pushfl", PV_CLASS_PUSHF },
	{ "pushfw", PV_CLASS_PUSHF }, { "pushfd", PV_CLASS_PUSHF },
	{ "pushfq", PV_CLASS_PUSHF },
	{ "popf", PV_CLASS_POPF }, { "popfl", PV_CLASS_POPF },
	{ "popfw", PV_CLASS_POPF }, { "popfd", PV_CLASS_POPF },
	{ "popfq", PV_CLASS_POPF },
	{ "iret", PV_CLASS_IRET }, { "iretl", PV_CLASS_IRET },
	{ "iretw", PV_CLASS_IRET }, { "iretd", PV_CLASS_IRET },
	{ "iretq", PV_CLASS_IRET },
	{ "hlt", PV_CLASS_HLT },
	{ "lret", PV_CLASS_LRET }, { "lretl", PV_CLASS_LRET },
	{ "lretw", PV_CLASS_LRET }, { "lretq", PV_CLASS_LRET },
	{ "in", PV_CLASS_IO }, { "inb", PV_CLASS_IO },
	{ "inw", PV_CLASS_IO }, { "inl", PV_CLASS_IO },
	{ "out", PV_CLASS_IO }, { "outb", PV_CLASS_IO },
	{ "outw", PV_CLASS_IO }, { "outl", PV_CLASS_IO },
	{ "ins", PV_CLASS_IO_STRING }, { "insb", PV_CLASS_IO_STRING },
	{ "insw", PV_CLASS_IO_STRING }, { "insl", PV_CLASS_IO_STRING },
	{ "insd", PV_CLASS_IO_STRING },
	{ "outs", PV_CLASS_IO_STRING }, { "outsb", PV_CLASS_IO_STRING },
	{ "outsw", PV_CLASS_IO_STRING }, { "outsl", PV_CLASS_IO_STRING },
	{ "outsd", PV_CLASS_IO_STRING },
	{ "lgdt", PV_CLASS_LOAD_DT }, { "lgdtl", PV_CLASS_LOAD_DT },
	{ "lgdtw", PV_CLASS_LOAD_DT }, { "lidt", PV_CLASS_LOAD_DT },
	{ "lidtl", PV_CLASS_LOAD_DT }, { "lidtw", PV_CLASS_LOAD_DT },
	{ "sgdt", PV_CLASS_STORE_DT }, { "sgdtl", PV_CLASS_STORE_DT },
	{ "sgdtw", PV_CLASS_STORE_DT }, { "sidt", PV_CLASS_STORE_DT },
	{ "sidtl", PV_CLASS_STORE_DT }, { "sidtw", PV_CLASS_STORE_DT },
	{ "lldt", PV_CLASS_LOAD_TR_LDT }, { "lldtw", PV_CLASS_LOAD_TR_LDT },
	{ "ltr", PV_CLASS_LOAD_TR_LDT }, { "ltrw", PV_CLASS_LOAD_TR_LDT },
	{ "sldt", PV_CLASS_STORE_TR_LDT }, { "sldtw", PV_CLASS_STORE_TR_LDT },
	{ "sldtl", PV_CLASS_STORE_TR_LDT }, { "str", PV_CLASS_STORE_TR_LDT },
	{ "strw", PV_CLASS_STORE_TR_LDT }, { "strl", PV_CLASS_STORE_TR_LDT },
	{ "smsw", PV_CLASS_SMSW }, { "smsww", PV_CLASS_SMSW },
	{ "smswl", PV_CLASS_SMSW },
	{ "lmsw", PV_CLASS_LMSW }, { "lmsww", PV_CLASS_LMSW },
	{ "clts", PV_CLASS_CLTS },
	{ "invlpg", PV_CLASS_INVLPG },
	{ "invd", PV_CLASS_CACHE }, { "wbinvd", PV_CLASS_CACHE },
	{ "wbnoinvd", PV_CLASS_CACHE },
	{ "rdmsr", PV_CLASS_MSR }, { "wrmsr", PV_CLASS_MSR },
	{ "cpuid", PV_CLASS_CPUID },
	{ "sysenter", PV_CLASS_SYSENTER },
	{ "sysexit", PV_CLASS_SYSEXIT }, { "sysexitl", PV_CLASS_SYSEXIT },
	{ "lar", PV_CLASS_SEG_QUERY }, { "larl", PV_CLASS_SEG_QUERY },
	{ "larw", PV_CLASS_SEG_QUERY }, { "lsl", PV_CLASS_SEG_QUERY },
	{ "lsll", PV_CLASS_SEG_QUERY }, { "lslw", PV_CLASS_SEG_QUERY },
	{ "verr", PV_CLASS_SEG_QUERY }, { "verrw", PV_CLASS_SEG_QUERY },
	{ "verw", PV_CLASS_SEG_QUERY }, { "verww", PV_CLASS_SEG_QUERY },
	{ "ljmp", PV_CLASS_FAR_XFER }, { "ljmpl", PV_CLASS_FAR_XFER },
	{ "ljmpw", PV_CLASS_FAR_XFER }, { "lcall", PV_CLASS_FAR_XFER },
	{ "lcalll", PV_CLASS_FAR_XFER }, { "lcallw", PV_CLASS_FAR_XFER },
	{ "lds", PV_CLASS_SEG_LOAD_FAR }, { "ldsl", PV_CLASS_SEG_LOAD_FAR },
	{ "ldsw", PV_CLASS_SEG_LOAD_FAR }, { "les", PV_CLASS_SEG_LOAD_FAR },
	{ "lesl", PV_CLASS_SEG_LOAD_FAR }, { "lesw", PV_CLASS_SEG_LOAD_FAR },
	{ "lfs", PV_CLASS_SEG_LOAD_FAR }, { "lfsl", PV_CLASS_SEG_LOAD_FAR },
	{ "lfsw", PV_CLASS_SEG_LOAD_FAR }, { "lgs", PV_CLASS_SEG_LOAD_FAR },
	{ "lgsl", PV_CLASS_SEG_LOAD_FAR }, { "lgsw", PV_CLASS_SEG_LOAD_FAR },
	{ "lss", PV_CLASS_SEG_LOAD_FAR }, { "lssl", PV_CLASS_SEG_LOAD_FAR },
	{ "lssw", PV_CLASS_SEG_LOAD_FAR },
};

static const char *const pvs_prefixes[] = {
	"lock", "rep", "repe", "repz", "repne", "repnz", "data16", "data32",
	"addr16", "addr32", "cs", "ds", "es", "fs", "gs", "ss", "notrack",
	"xacquire", "xrelease", "bnd",
};

/* Operand-dependent families. */
static const char *const pvs_movs[] = { "mov", "movl", "movw", "movq" };
static const char *const pvs_pushes[] = { "push", "pushl", "pushw" };
static const char *const pvs_pops[] = { "pop", "popl", "popw" };
static const char *const pvs_branches[] = { "jmp", "jmpl", "jmpw",
					    "call", "calll", "callw" };

#define PVS_N(a) (sizeof(a) / sizeof((a)[0]))

static int pvs_in(const char *const *set, size_t n, const char *mn)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(set[i], mn))
			return 1;
	return 0;
}

static int pvs_plain_class(const char *mn)
{
	for (size_t i = 0; i < PVS_N(pvs_plain); i++)
		if (!strcmp(pvs_plain[i].name, mn))
			return pvs_plain[i].cls;
	return PVS_NONE;
}

/* ---- operands --------------------------------------------------------- */

struct pvs_ops {
	int intel;             /* Intel syntax: registers have no '%' */
	int n;                 /* number of operands (0..3; 4 = more) */
	const char *s[3];
	size_t len[3];
};

static void pvs_trim(const char **s, size_t *n)
{
	while (*n && isspace((unsigned char)**s))
		(*s)++, (*n)--;
	while (*n && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

/* Split operand text at top-level commas (not inside () or {}). */
static void pvs_split_ops(const char *s, size_t n, struct pvs_ops *ops)
{
	int depth = 0;
	size_t start = 0;
	ops->n = 0;
	ops->intel = 0;
	pvs_trim(&s, &n);
	if (!n)
		return;
	for (size_t i = 0; i <= n; i++) {
		char c = i < n ? s[i] : ',';
		if (c == '(' || c == '{')
			depth++;
		else if ((c == ')' || c == '}') && depth)
			depth--;
		else if (c == ',' && (!depth || i == n)) {
			if (ops->n < 3) {
				ops->s[ops->n] = s + start;
				ops->len[ops->n] = i - start;
				pvs_trim(&ops->s[ops->n], &ops->len[ops->n]);
			}
			ops->n++;
			start = i + 1;
		}
	}
	if (ops->n > 3)
		ops->n = 4;
}

/* Operand i without its '%' (Intel: as is); NULL if not a register. */
static const char *pvs_reg(const struct pvs_ops *o, int i, size_t *n)
{
	if (i >= o->n || i > 2 || !o->len[i])
		return NULL;
	*n = o->len[i];
	if (o->s[i][0] == '%') {
		(*n)--;
		return o->s[i] + 1;
	}
	return o->intel ? o->s[i] : NULL;
}

/* Is operand i the bare register %<stem><digit> (e.g. %cr3, %dr7)? */
static int pvs_is_numreg(const struct pvs_ops *o, int i, const char *stem)
{
	size_t n, k = strlen(stem);
	const char *s = pvs_reg(o, i, &n);
	if (!s || n < k + 1 || strncasecmp(s, stem, k))
		return 0;
	for (size_t j = k; j < n; j++)
		if (!isdigit((unsigned char)s[j]))
			return 0;
	return 1;
}

static int pvs_is_ctl(const struct pvs_ops *o, int i)
{
	return pvs_is_numreg(o, i, "cr");
}

static int pvs_is_dbg(const struct pvs_ops *o, int i)
{
	return pvs_is_numreg(o, i, "dr") || pvs_is_numreg(o, i, "db");
}

/* Is operand i a bare segment register (%ds), not an override (%ds:4)? */
static int pvs_is_seg(const struct pvs_ops *o, int i)
{
	static const char *const segs[] = { "cs", "ds", "es", "fs", "gs", "ss" };
	size_t n;
	const char *s = pvs_reg(o, i, &n);
	if (!s || n != 2)
		return 0;
	for (size_t j = 0; j < PVS_N(segs); j++)
		if (!strncasecmp(s, segs[j], 2))
			return 1;
	return 0;
}

/* mov: control, debug and segment registers (AT&T: source, destination). */
static int pvs_mov_class(const struct pvs_ops *o)
{
	if (o->n != 2)
		return PVS_NONE;
	if (pvs_is_ctl(o, 0))
		return PV_CLASS_MOV_FROM_CR;
	if (pvs_is_ctl(o, 1))
		return PV_CLASS_MOV_TO_CR;
	if (pvs_is_dbg(o, 0) || pvs_is_dbg(o, 1))
		return PV_CLASS_MOV_DR;
	if (pvs_is_seg(o, 1))
		return PV_CLASS_SEG_LOAD;
	if (pvs_is_seg(o, 0))
		return PV_CLASS_SEG_READ;
	return PVS_NONE;
}

/* int $3 assembles to int3 (0xCC), which is not sensitive; int $n is.
 * Immediates are "$$n" in IR text and "$n" in raw text. */
static int pvs_int_class(const struct pvs_ops *o, int ir)
{
	if (o->n != 1)
		return PV_CLASS_INT;
	const char *s = o->s[0];
	size_t n = o->len[0], k = ir ? 2 : 1;
	if (n <= k || strncmp(s, "$$", k))
		return PV_CLASS_INT;
	char num[24];
	if (n - k >= sizeof num)
		return PV_CLASS_INT;
	memcpy(num, s + k, n - k);
	num[n - k] = 0;
	char *end;
	unsigned long v = strtoul(num, &end, 0);
	return *end == 0 && v == 3 ? PVS_NONE : PV_CLASS_INT;
}

static int pvs_operand_class(const char *mn, const struct pvs_ops *o)
{
	if (pvs_in(pvs_movs, PVS_N(pvs_movs), mn))
		return pvs_mov_class(o);
	if (pvs_in(pvs_pushes, PVS_N(pvs_pushes), mn))
		return o->n == 1 && pvs_is_seg(o, 0) ? PV_CLASS_SEG_READ : PVS_NONE;
	if (pvs_in(pvs_pops, PVS_N(pvs_pops), mn))
		return o->n == 1 && pvs_is_seg(o, 0) ? PV_CLASS_SEG_LOAD : PVS_NONE;
	if (pvs_in(pvs_branches, PVS_N(pvs_branches), mn))
		return o->n == 2 ? PV_CLASS_FAR_XFER : PVS_NONE;
	return PVS_NONE;
}

/* ---- classification --------------------------------------------------- */

/* Read the word at s[*i] (not blank) into mn, lower case; "" when too
 * long for any mnemonic.  Words may hold '_' and '.' (macro names,
 * mov.s).  Returns 1, 0 for a symbol assignment (x=1), -1 when it is not
 * a plain word ($0, \arg, {vex}, ...). */
static int pvs_word(const char *s, size_t n, size_t *i, char *mn, size_t cap)
{
	size_t k = 0;
	while (*i < n && (isalnum((unsigned char)s[*i]) || s[*i] == '_' ||
			  s[*i] == '.')) {
		if (k + 1 < cap)
			mn[k] = (char)tolower((unsigned char)s[*i]);
		k++;
		(*i)++;
	}
	mn[k < cap ? k : 0] = 0;
	if (*i < n && !isspace((unsigned char)s[*i]))
		return k && s[*i] == '=' ? 0 : -1;
	return k ? 1 : -1;
}

int pvs_classify(const char *insn, size_t len, enum pvs_syntax syn)
{
	char mn[16];
	size_t i = 0;
	int prefixed = 0;
	for (;;) {
		while (i < len && isspace((unsigned char)insn[i]))
			i++;
		if (i >= len)
			return prefixed ? PVS_PREFIX : PVS_NONE;
		int k = pvs_word(insn, len, &i, mn, sizeof mn);
		if (k <= 0)
			return k ? PVS_OPAQUE : PVS_NONE;
		if (!pvs_in(pvs_prefixes, PVS_N(pvs_prefixes), mn))
			break;
		prefixed = 1;
	}
	struct pvs_ops ops;
	pvs_split_ops(insn + i, len - i, &ops);
	ops.intel = (syn & PVS_SYNTAX_INTEL) != 0;
	if (!strcmp(mn, "int"))
		return pvs_int_class(&ops, !(syn & PVS_SYNTAX_RAW));
	int cls = pvs_plain_class(mn);
	return cls != PVS_NONE ? cls : pvs_operand_class(mn, &ops);
}

/* ---- statements ------------------------------------------------------- */

struct pvs_scan {
	const char *t;
	size_t n;
	int ir;                /* IR text: ${...} is one opaque token */
};

/* Skip a quoted string, C comment or IR ${...} starting at i; returns the
 * index after it, or i when nothing opaque starts there. */
static size_t pvs_skip_opaque(const struct pvs_scan *sc, size_t i)
{
	const char *t = sc->t;
	if (t[i] == '"') {
		for (i++; i < sc->n && t[i] != '"'; i++)
			if (t[i] == '\\' && i + 1 < sc->n)
				i++;
		return i < sc->n ? i + 1 : i;
	}
	if (t[i] == '/' && t[i + 1] == '*') {
		const char *e = strstr(t + i + 2, "*/");
		return e ? (size_t)(e - t) + 2 : sc->n;
	}
	if (sc->ir && t[i] == '$' && t[i + 1] == '{') {
		const char *e = strchr(t + i, '}');
		return e ? (size_t)(e - t) + 1 : sc->n;
	}
	if (sc->ir && t[i] == '$' && t[i + 1] == '$')
		return i + 2;
	return i;
}

/* Find the statement starting at b: its text ends at *e (before ';',
 * newline or '#' comment); the next statement starts at *next. */
static void pvs_stmt(const struct pvs_scan *sc, size_t b, size_t *e,
		     size_t *next)
{
	size_t i = b;
	while (i < sc->n) {
		size_t j = pvs_skip_opaque(sc, i);
		if (j != i) {
			i = j;
			continue;
		}
		char c = sc->t[i];
		if (c == ';' || c == '\n') {
			*e = i;
			*next = i + 1;
			return;
		}
		if (c == '#') {
			*e = i;
			while (i < sc->n && sc->t[i] != '\n')
				i++;
			*next = i < sc->n ? i + 1 : i;
			return;
		}
		i++;
	}
	*e = *next = sc->n;
}

static int pvs_label_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '$' ||
	       c == '@';
}

/* Skip blanks and leading labels ("1:", ".Lx${:uid}:", "cli_done:") of
 * the statement [i, e); returns where the instruction or directive starts. */
static size_t pvs_skip_labels(const struct pvs_scan *sc, size_t i, size_t e)
{
	for (;;) {
		while (i < e && isspace((unsigned char)sc->t[i]))
			i++;
		size_t j = i;
		while (j < e) {
			size_t k = sc->ir ? pvs_skip_opaque(sc, j) : j;
			if (k != j && sc->t[j] == '$')
				j = k;
			else if (pvs_label_char(sc->t[j]))
				j++;
			else
				break;
		}
		size_t c = j;
		while (c < e && (sc->t[c] == ' ' || sc->t[c] == '\t'))
			c++;
		if (j == i || c >= e || sc->t[c] != ':')
			return i;
		i = c + 1;
	}
}

/* Copy of [b, e) with C comments blanked, for classification. */
static char *pvs_clean(const char *t, size_t b, size_t e)
{
	char *s = malloc(e - b + 1);
	if (!s)
		return NULL;
	memcpy(s, t + b, e - b);
	s[e - b] = 0;
	for (char *c = strstr(s, "/*"); c; c = strstr(c, "/*")) {
		char *z = strstr(c + 2, "*/");
		char *end = z ? z + 2 : s + (e - b);
		memset(c, ' ', (size_t)(end - c));
		c = end;
	}
	return s;
}

/* ---- rewriting -------------------------------------------------------- */

static void pvs_emit_site(struct pvs_buf *b, const char *insn, size_t n,
			  int cls)
{
	unsigned pad = pv_class_info((unsigned)cls)->pad;
	pvs_put(b, PVS_LABEL_BEGIN ": ", 7);
	pvs_put(b, insn, n);
	/* .fill, not .skip: GNU as warns about a zero .skip count. */
	pvs_printf(b, "\n\t" PVS_LABEL_INSN_END ": .fill -(((%u)-("
		   PVS_LABEL_INSN_END "b-" PVS_LABEL_BEGIN "b)) > 0) * ((%u)-("
		   PVS_LABEL_INSN_END "b-" PVS_LABEL_BEGIN "b)), 1, 0x90", pad, pad);
	pvs_printf(b, "\n\t" PVS_LABEL_END ":\n\t.pushsection "
		   PV_SITES_SECTION ",\"\",@progbits\n\t.balign %d\n\t.long "
		   PVS_LABEL_BEGIN "b\n\t.byte " PVS_LABEL_END "b-"
		   PVS_LABEL_BEGIN "b, " PVS_LABEL_INSN_END "b-" PVS_LABEL_BEGIN
		   "b, %d, %d\n\t.popsection", PV_SITES_ALIGN, cls,
		   PV_ORIGIN_PASS);
}

struct pvs_state {
	struct pvs_scan sc;
	struct pvs_buf out;
	struct pvs_result *res;
	size_t copied;         /* text before this is already in out */
	size_t prefix;         /* start of pending prefix statement, or -1 */
	int intel;             /* inside .intel_syntax */
};

static void pvs_unmarked(struct pvs_state *st, const char *s, size_t n,
			 const char *why)
{
	if (!st->res->nunmarked++)
		snprintf(st->res->why, sizeof st->res->why, "'%.*s': %s",
			 (int)(n > 80 ? 80 : n), s, why);
}

static void pvs_directive(struct pvs_state *st, const char *d)
{
	if (!strncmp(d, ".intel_syntax", 13))
		st->intel = 1;
	else if (!strncmp(d, ".att_syntax", 11))
		st->intel = 0;
}

/* Handle one instruction [i, e) of statement text (labels skipped). */
static int pvs_insn(struct pvs_state *st, size_t i, size_t e)
{
	const char *t = st->sc.t;
	char *clean = pvs_clean(t, i, e);
	if (!clean)
		return -1;
	int syn = (st->sc.ir ? PVS_SYNTAX_IR : PVS_SYNTAX_RAW) |
		  (st->intel ? PVS_SYNTAX_INTEL : 0);
	int cls = pvs_classify(clean, e - i, (enum pvs_syntax)syn);
	free(clean);
	if (cls == PVS_PREFIX) {
		if (st->prefix == (size_t)-1)
			st->prefix = i;
		return 0;
	}
	size_t start = st->prefix != (size_t)-1 ? st->prefix : i;
	st->prefix = (size_t)-1;
	if (cls == PVS_OPAQUE)
		pvs_unmarked(st, t + i, e - i, "cannot classify");
	else if (cls >= 0 && st->intel)
		pvs_unmarked(st, t + i, e - i, "Intel syntax left unmarked");
	if (cls < 0 || st->intel)
		return 0;
	pvs_put(&st->out, t + st->copied, start - st->copied);
	pvs_emit_site(&st->out, t + start, e - start, cls);
	st->copied = e;
	st->res->nsites++;
	return 0;
}

static int pvs_statement(struct pvs_state *st, size_t b, size_t e)
{
	const char *t = st->sc.t;
	size_t i = pvs_skip_labels(&st->sc, b, e);
	while (e > i && isspace((unsigned char)t[e - 1]))
		e--;
	if (i >= e)
		return 0;              /* blank: keeps a pending prefix */
	if (t[i] == '.') {
		st->prefix = (size_t)-1;
		pvs_directive(st, t + i);
		return 0;
	}
	return pvs_insn(st, i, e);
}

int pvs_rewrite(const char *text, enum pvs_syntax syn, struct pvs_result *res)
{
	struct pvs_state st = { .res = res, .prefix = (size_t)-1 };
	memset(res, 0, sizeof *res);
	st.sc.t = text;
	st.sc.n = strlen(text);
	st.sc.ir = !(syn & PVS_SYNTAX_RAW);
	st.intel = (syn & PVS_SYNTAX_INTEL) != 0;
	if (strstr(text, PV_SITES_SECTION))
		return 0;              /* already marked (by hand or a run) */
	for (size_t b = 0, e, next; b < st.sc.n; b = next) {
		pvs_stmt(&st.sc, b, &e, &next);
		if (pvs_statement(&st, b, e) < 0)
			st.out.oom = 1;
	}
	if (!res->nsites || st.out.oom) {
		free(st.out.p);
		return st.out.oom ? -1 : 0;
	}
	pvs_put(&st.out, text + st.copied, st.sc.n - st.copied);
	if (st.out.oom) {
		free(st.out.p);
		return -1;
	}
	res->text = st.out.p;
	return 0;
}

void pvs_result_free(struct pvs_result *res)
{
	free(res->text);
	res->text = NULL;
}
