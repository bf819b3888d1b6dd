/*
 * shadow.c - shadow page tables (see shadow.h).  Runs: monitor ring 0
 * and host tests; pure C.
 */
#include <stddef.h>
#include "shadow.h"

#define P 0x001u
#define W 0x002u
#define U 0x004u
#define A 0x020u
#define D 0x040u
#define PS 0x080u
#define G  0x100u
#define SG 0x200u     /* shadow entry, software bit: a global translation */
#define FRAME 0xfffff000u
#define PF_P 1u
#define PF_W 2u
#define PF_U 4u

static uint32_t *tab(struct bm_mmu *m, uint32_t pa)
{
	return m->env->table(pa);
}

/* Give shadow table pt back: zero the entries it ever held (lo..hi) and
 * keep it for reuse, or return it to the pool. */
static void release_pt(struct bm_mmu *m, uint32_t pt, unsigned lo,
		       unsigned hi)
{
	uint32_t *e = tab(m, pt);
	for (unsigned k = lo; k <= hi; k++)
		e[k] = 0;
	if (m->nclean < BM_MMU_CLEAN)
		m->clean[m->nclean++] = pt;
	else
		m->env->free(pt);
}

/* Forget shadow table slot i (its table released). */
static void drop_pt(struct bm_mmu *m, uint32_t *pd, unsigned i)
{
	if (!(pd[i] & P))
		return;
	release_pt(m, pd[i] & FRAME, m->lo[i], m->hi[i]);
	pd[i] = 0;
	m->gpde[i] = 0;
	m->drops++;
}

static void space_release(struct bm_mmu *m, struct bm_mmu_space *sp)
{
	for (uint32_t k = 0; k < sp->n; k++)
		release_pt(m, sp->t[k].pt, sp->t[k].lo, sp->t[k].hi);
	sp->n = 0;
}

/* Pool exhausted: give back the kept tables of the least recently used
 * space that has any.  1 if something was freed. */
static int reclaim(struct bm_mmu *m)
{
	struct bm_mmu_space *lru = NULL;
	for (unsigned i = 0; i < BM_MMU_SPACES; i++) {
		struct bm_mmu_space *sp = &m->spaces[i];
		if (sp->used && sp->n && (!lru || sp->stamp < lru->stamp))
			lru = sp;
	}
	if (!lru)
		return 0;
	space_release(m, lru);
	m->evicted++;
	return 1;
}

/* A zeroed page for a new shadow table in slot i, 0 if none. */
static uint32_t new_pt(struct bm_mmu *m, unsigned i)
{
	uint32_t pt = m->nclean ? m->clean[--m->nclean] : m->env->alloc();
	while (!pt && reclaim(m))
		pt = m->nclean ? m->clean[--m->nclean] : m->env->alloc();
	if (!pt)
		return 0;
	m->live[m->nlive++] = (uint16_t)i;
	m->lo[i] = m->llo[i] = 1023;
	m->hi[i] = m->lhi[i] = 0;
	m->around[i] = 0;
	m->local[i] = m->global[i] = 0;
	return pt;
}

/* Shadow table slot i had entry k written (pte: the new entry). */
static void touched(struct bm_mmu *m, unsigned i, unsigned k, uint32_t pte)
{
	if (pte & SG) {
		m->global[i] = 1;
	} else {
		m->local[i] = 1;
		if (k < m->llo[i])
			m->llo[i] = (uint16_t)k;
		if (k > m->lhi[i])
			m->lhi[i] = (uint16_t)k;
	}
	if (k < m->lo[i])
		m->lo[i] = (uint16_t)k;
	if (k > m->hi[i])
		m->hi[i] = (uint16_t)k;
}

/* Drop slot i and take it off the live list. */
static void drop_slot(struct bm_mmu *m, uint32_t *pd, unsigned i)
{
	drop_pt(m, pd, i);
	for (uint32_t n = 0; n < m->nlive; n++)
		if (m->live[n] == i) {
			m->live[n] = m->live[--m->nlive];
			break;
		}
}

static uint32_t *guest_table(struct bm_mmu *m, uint32_t gpa);
static uint32_t fill_now(const struct bm_mmu *m, uint32_t pde, uint32_t g);

/* The non-global entries lo..hi of shadow table e against guest table gpt
 * (under guest PDE pde; NULL: none holds): each that is not what a fill
 * would make now is cleared and its fault-around block may be scanned
 * again.  The CPU's own accessed and dirty bits in a shadow entry do not
 * count.  1 if any non-global entry is left. */
static int resync_entries(struct bm_mmu *m, uint32_t *e, unsigned lo,
			  unsigned hi, uint32_t pde, const uint32_t *gpt,
			  uint8_t *around)
{
	int left = 0;
	for (unsigned k = lo; k <= hi; k++) {
		if (!e[k] || (e[k] & SG))
			continue;
		m->resynced++;
		if (gpt && (e[k] & ~(A | D)) == fill_now(m, pde, gpt[k])) {
			m->reused++;
			left = 1;
			continue;
		}
		e[k] = 0;
		*around &= (uint8_t)~(1u << (k / BM_MMU_AROUND));
		m->stale++;
	}
	return left;
}

/* Mixed table slot i at a CR3 load (gpd: the new guest directory): its
 * global entries stay, as in a TLB; its non-global ones are resynced with
 * the new space's table if the guest PDE is the same (its accessed bit is
 * set as a refill's walk would), else dropped.  (Linux's head code leaves
 * a few non-global entries among its global kernel mappings.) */
static void resync_local(struct bm_mmu *m, uint32_t *pd, unsigned i,
			 uint32_t *gpd)
{
	uint32_t pde = gpd ? gpd[i] : 0;
	const uint32_t *gpt = (pde | A) == (m->gpde[i] | A) &&
		!((pde & PS) && m->pse) ? guest_table(m, pde | A) : NULL;
	int left = resync_entries(m, tab(m, pd[i] & FRAME), m->llo[i],
				  m->lhi[i], pde, gpt, &m->around[i]);
	m->local[i] = (uint8_t)left;
	if (left && gpd)
		gpd[i] |= A;
}

/* Table slot i goes with the space it was built for (sp), when there is
 * room; else it is dropped. */
static void set_aside(struct bm_mmu *m, uint32_t *pd, unsigned i,
		      struct bm_mmu_space *sp)
{
	if (!sp || sp->n >= BM_MMU_SPACE_PTS) {
		drop_pt(m, pd, i);
		return;
	}
	sp->t[sp->n++] = (struct bm_mmu_kept){ .pt = pd[i] & FRAME,
		.gpde = m->gpde[i], .slot = (uint16_t)i, .lo = m->lo[i],
		.hi = m->hi[i], .around = m->around[i] };
	pd[i] = 0;
	m->gpde[i] = 0;
}

/* What a CR3 load flushes: every non-global entry.  Tables without a
 * global entry leave the active shadow whole (set aside for sp, the space
 * being left), mixed ones are resynced with the new directory gpd. */
static void drop_local(struct bm_mmu *m, struct bm_mmu_space *sp,
		       uint32_t *gpd)
{
	uint32_t *pd = tab(m, m->root), n = 0;
	for (uint32_t k = 0; k < m->nlive; k++) {
		unsigned i = m->live[k];
		if (m->local[i] && !m->global[i]) {
			set_aside(m, pd, i, sp);
			continue;
		}
		if (m->local[i])
			resync_local(m, pd, i, gpd);
		m->live[n++] = (uint16_t)i;
		m->kept++;
	}
	m->nlive = n;
}

void bm_mmu_flush(struct bm_mmu *m)
{
	uint32_t *pd = tab(m, m->root);
	for (uint32_t n = 0; n < m->nlive; n++)
		drop_pt(m, pd, m->live[n]);
	m->nlive = 0;
}

int bm_mmu_init(struct bm_mmu *m, const struct bm_mmu_env *env,
		uint32_t ram_hpa, uint32_t ram_size,
		const uint32_t *high_pdes)
{
	m->env = env;
	m->ram_hpa = ram_hpa;
	m->ram_size = ram_size;
	m->root = env->alloc();
	if (!m->root)
		return -1;
	uint32_t *pd = tab(m, m->root);
	for (unsigned i = BM_MMU_GUEST_PDES; i < 1024; i++) {
		m->high_pdes[i - BM_MMU_GUEST_PDES] = high_pdes[i - BM_MMU_GUEST_PDES];
		pd[i] = high_pdes[i - BM_MMU_GUEST_PDES];
	}
	for (unsigned i = 0; i < BM_MMU_GUEST_PDES; i++)
		m->gpde[i] = 0;
	m->paging = m->pge = 0;
	m->gcr3 = 0;
	for (unsigned i = 0; i < BM_MMU_HINT_AS; i++)
		m->hints[i].used = m->hints[i].n = 0;
	m->cur = NULL;
	m->hint_next = m->prefills = m->kept = 0;
	for (unsigned i = 0; i < BM_MMU_SPACES; i++)
		m->spaces[i].used = m->spaces[i].n = 0;
	m->clock = m->resynced = m->reused = m->stale = m->evicted = 0;
	m->nlive = m->nclean = 0;
	m->nprot = m->nunprot = 0;
	m->prot_written = 0;
	return 0;
}


static uint32_t *guest_table(struct bm_mmu *m, uint32_t gpa)
{
	return m->env->gpa(gpa & FRAME, 4096);
}

/* The guest PDE covering va, or NULL if the directory is not in RAM. */
static uint32_t *guest_pde(struct bm_mmu *m, uint32_t va)
{
	uint32_t *gpd = guest_table(m, m->gcr3);
	return gpd ? &gpd[va >> 22] : NULL;
}

void bm_mmu_invlpg(struct bm_mmu *m, uint32_t va)
{
	unsigned i = va >> 22;
	if (i >= BM_MMU_GUEST_PDES)
		return;
	uint32_t *pd = tab(m, m->root);
	if (!(pd[i] & P))
		return;
	uint32_t *gpde = m->paging ? guest_pde(m, va) : NULL;
	if (m->paging && (!gpde || *gpde != m->gpde[i])) {
		drop_slot(m, pd, i);
		return;
	}
	tab(m, pd[i] & FRAME)[(va >> 12) & 1023] = 0;
}

static int fault(uint32_t *gerr, uint32_t code)
{
	*gerr = code;
	return BM_PF_GUEST;
}

/* Permission check of the combined guest entry flags. */
static int allowed(struct bm_mmu *m, uint32_t flags, int write, int user)
{
	if (user && !(flags & U))
		return 0;
	if (write && !(flags & W) && (user || m->wp))
		return 0;
	return 1;
}

int bm_mmu_walk(struct bm_mmu *m, uint32_t va, int write, int user,
		int set_ad, uint32_t *gpa, uint32_t *gerr)
{
	uint32_t acc = (write ? PF_W : 0) | (user ? PF_U : 0);
	if (!m->paging) {
		*gpa = va;
		return BM_PF_FILLED;
	}
	uint32_t *pde = guest_pde(m, va);
	if (!pde)
		return BM_PF_BADFRAME;
	if (!(*pde & P))
		return fault(gerr, acc);
	if ((*pde & PS) && m->pse) {
		if (!allowed(m, *pde, write, user))
			return fault(gerr, acc | PF_P);
		if (set_ad)
			*pde |= A | (write ? D : 0);
		*gpa = (*pde & 0xffc00000u) | (va & 0x3fffffu);
		return BM_PF_FILLED;
	}
	uint32_t *pt = guest_table(m, *pde);
	if (!pt)
		return BM_PF_BADFRAME;
	uint32_t *pte = &pt[(va >> 12) & 1023];
	if (!(*pte & P))
		return fault(gerr, acc);
	if (!allowed(m, *pde & *pte, write, user))
		return fault(gerr, acc | PF_P);
	if (set_ad) {
		*pde |= A;
		*pte |= A | (write ? D : 0);
	}
	*gpa = (*pte & FRAME) | (va & 0xfff);
	return BM_PF_FILLED;
}

/* ---- guarded frames (the guest's GDT) ---------------------------------- */

static int guarded(const struct bm_mmu *m, uint32_t gpa)
{
	for (uint32_t i = 0; i < m->nprot; i++)
		if (m->prot[i] == gpa >> 12)
			return 1;
	return 0;
}

/* The shadow entry pte for guest frame gpa, read-only if guarded. */
static uint32_t guard_pte(const struct bm_mmu *m, uint32_t gpa, uint32_t pte)
{
	return guarded(m, gpa) ? pte & ~W : pte;
}

/* A write to a guarded frame through va is let through (its entry made
 * writable as the walk allows): remember va to take it back. */
static void guarded_write(struct bm_mmu *m, uint32_t va)
{
	m->prot_written = 1;
	if (m->nunprot < BM_MMU_UNPROT)
		m->unprot[m->nunprot] = va & FRAME;
	m->nunprot++;
}

void bm_mmu_guard(struct bm_mmu *m, const uint32_t *fr, unsigned n)
{
	bm_mmu_flush(m);
	m->nprot = n < BM_MMU_PROT ? n : BM_MMU_PROT;
	for (uint32_t i = 0; i < m->nprot; i++)
		m->prot[i] = fr[i];
	m->nunprot = 0;
	m->prot_written = 0;
}

int bm_mmu_reguard(struct bm_mmu *m, uint32_t *va)
{
	int n = (int)m->nunprot;
	m->prot_written = 0;
	m->nunprot = 0;
	if (n > BM_MMU_UNPROT) {
		bm_mmu_flush(m);
		return -1;
	}
	uint32_t *pd = tab(m, m->root);
	for (int k = 0; k < n; k++) {
		unsigned i = m->unprot[k] >> 22;
		va[k] = m->unprot[k];
		if (pd[i] & P)
			tab(m, pd[i] & FRAME)[(va[k] >> 12) & 1023] = 0;
	}
	return n;
}

/* Flags of the shadow PTE for a guest mapping of va: read-only until the
 * guest's entry is dirty, so that the first write is seen; SG if the
 * guest's translation is global. */
static uint32_t entry_flags(const struct bm_mmu *m, uint32_t pde,
			    uint32_t pte, int write)
{
	uint32_t f = pde, dirty, global;
	if (!((f & PS) && m->pse)) {
		dirty = pte & D;
		global = pte & G;
		f &= pte;
	} else {
		dirty = f & D;
		global = f & G;
	}
	uint32_t s = P | (f & U) | (global && m->pge ? SG : 0);
	if ((f & W) || (!m->wp && write))
		s |= (dirty || write) ? W : 0;
	return s;
}

static uint32_t shadow_flags(struct bm_mmu *m, uint32_t va, int write)
{
	if (!m->paging)
		return P | W;
	uint32_t pde = *guest_pde(m, va), pte = 0;
	if (!((pde & PS) && m->pse))
		pte = guest_table(m, pde)[(va >> 12) & 1023];
	return entry_flags(m, pde, pte, write);
}

/* Install pte for va in the current shadow, allocating its table. */
static int install(struct bm_mmu *m, uint32_t va, uint32_t pte)
{
	uint32_t *pd = tab(m, m->root);
	unsigned i = va >> 22;
	if (!(pd[i] & P)) {
		uint32_t pt = new_pt(m, i);
		if (!pt)
			return BM_PF_NOMEM;
		pd[i] = pt | P | W | U;
		uint32_t *gpde = m->paging ? guest_pde(m, va) : NULL;
		m->gpde[i] = gpde ? *gpde : 0;
	}
	tab(m, pd[i] & FRAME)[(va >> 12) & 1023] = pte;
	touched(m, i, (va >> 12) & 1023, pte);
	m->fills++;
	return BM_PF_FILLED;
}

static int in_stub_alias(struct bm_mmu *m, uint32_t va)
{
	return m->stub_alias && va - m->stub_alias < BM_MMU_STUB_PAGES * 4096u;
}

static int fill_stub_alias(struct bm_mmu *m, uint32_t va)
{
	uint32_t off = (va - m->stub_alias) & FRAME;
	return install(m, va, (m->stub_hpa + off) | P);
}

/* Fault-around: shadow the neighbours of va (same aligned block of
 * BM_MMU_AROUND pages) that the guest has already accessed, so that a
 * fresh address space refills in fewer exits.  Entries the guest never
 * accessed are left alone (their A bit is the CPU's to set).  Once per
 * block and shadow table: after the scan, an entry becomes accessed only
 * through a fill of its own. */
_Static_assert(1024 / BM_MMU_AROUND <= 8, "around[] holds one bit per block");
static void fill_around(struct bm_mmu *m, uint32_t va)
{
	uint32_t *pd = tab(m, m->root), first = va & ~(BM_MMU_AROUND * 4096 - 1);
	uint8_t block = (uint8_t)(1u << (((va >> 12) & 1023) / BM_MMU_AROUND));
	if (m->around[va >> 22] & block)
		return;
	m->around[va >> 22] |= block;
	uint32_t *spt = tab(m, pd[va >> 22] & FRAME);
	uint32_t *pde = m->paging ? guest_pde(m, va) : NULL;
	if (m->paging && (!pde || ((*pde & PS) && m->pse)))
		return;
	uint32_t *gpt = m->paging ? guest_table(m, *pde) : NULL;
	if (m->paging && !gpt)
		return;
	unsigned i0 = (first >> 12) & 1023, self = (va >> 12) & 1023;
	for (unsigned i = i0; i < i0 + BM_MMU_AROUND; i++) {
		uint32_t a = (va & 0xffc00000u) | i << 12, gpa = a, f = P | W;
		if (spt[i] || i == self)
			continue;
		if (m->paging) {
			if ((gpt[i] & (P | A)) != (P | A))
				continue;
			gpa = gpt[i] & FRAME;
			f = entry_flags(m, *pde, gpt[i], 0);
		}
		if (gpa >= m->ram_size || in_stub_alias(m, a))
			continue;
		spt[i] = guard_pte(m, gpa, (m->ram_hpa + gpa) | f);
		touched(m, va >> 22, i, spt[i]);
		m->fills++;
	}
}

/* ---- per-address-space hints ----------------------------------------- */

/* The hint list of guest CR3 gcr3: its own, or a slot taken over. */
static struct bm_mmu_hints *hints_for(struct bm_mmu *m, uint32_t gcr3)
{
	for (unsigned i = 0; i < BM_MMU_HINT_AS; i++)
		if (m->hints[i].used && m->hints[i].gcr3 == gcr3)
			return &m->hints[i];
	struct bm_mmu_hints *h = &m->hints[m->hint_next++ % BM_MMU_HINT_AS];
	h->gcr3 = gcr3;
	h->used = 1;
	h->n = h->next = 0;
	return h;
}

/* Remember va's fault-around block for the current address space. */
static void hint_note(struct bm_mmu *m, uint32_t va)
{
	struct bm_mmu_hints *h = m->cur;
	uint32_t blk = va / (BM_MMU_AROUND * 4096);
	if (!h)
		return;
	for (unsigned i = 0; i < h->n; i++)
		if (h->va[i] / (BM_MMU_AROUND * 4096) == blk)
			return;
	h->va[h->next] = va;
	h->next = (h->next + 1) % BM_MMU_HINTS;
	if (h->n < BM_MMU_HINTS)
		h->n++;
}

/* Refill the block of a hinted va from the guest's tables as they are
 * now: va itself if the guest has accessed it, then fault-around (which
 * takes only accessed entries).  Writes nothing in the guest's tables. */
static void prefill(struct bm_mmu *m, uint32_t va)
{
	uint32_t *pde = guest_pde(m, va);
	if (!pde || !(*pde & P) || ((*pde & PS) && m->pse))
		return;
	uint32_t *pt = guest_table(m, *pde);
	uint32_t pte = pt ? pt[(va >> 12) & 1023] : 0;
	uint32_t gpa = pte & FRAME, before = m->fills;
	if ((pte & (P | A)) != (P | A) || gpa >= m->ram_size ||
	    in_stub_alias(m, va))
		return;
	if (install(m, va, guard_pte(m, gpa, (m->ram_hpa + gpa) |
				     shadow_flags(m, va, 0))) != BM_PF_FILLED)
		return;
	fill_around(m, va);
	m->prefills += m->fills - before;
}

/* ---- kept tables per address space ------------------------------------ */

/* The space of guest CR3 gcr3, or a free or least recently used slot
 * taken over for it (what that one kept is given back). */
static struct bm_mmu_space *space_for(struct bm_mmu *m, uint32_t gcr3)
{
	struct bm_mmu_space *pick = NULL;
	for (unsigned i = 0; i < BM_MMU_SPACES; i++) {
		struct bm_mmu_space *sp = &m->spaces[i];
		if (sp->used && sp->gcr3 == gcr3)
			return sp;
		if (!pick || (pick->used && (!sp->used ||
					     sp->stamp < pick->stamp)))
			pick = sp;
	}
	if (pick->used) {
		space_release(m, pick);
		m->evicted++;
	}
	*pick = (struct bm_mmu_space){ .gcr3 = gcr3, .used = 1,
				       .stamp = m->clock };
	return pick;
}

/* The shadow entry a fill would make now for guest PTE g under guest PDE
 * pde (accessed, rights, dirty, guard), or 0 if a fill would not make
 * one without touching the guest's A bit. */
static uint32_t fill_now(const struct bm_mmu *m, uint32_t pde, uint32_t g)
{
	uint32_t gpa = g & FRAME;
	if ((g & (P | A)) != (P | A) || gpa >= m->ram_size)
		return 0;
	return guard_pte(m, gpa, (m->ram_hpa + gpa) | entry_flags(m, pde, g, 0));
}

/* Space sp's kept tables back into the active shadow, each resynced with
 * the guest's tables as they are now; a table whose guest PDE changed
 * (another page table, other rights, a large page, not accessed) or whose
 * slot is taken is given back instead. */
static void take_back(struct bm_mmu *m, struct bm_mmu_space *sp)
{
	uint32_t *pd = tab(m, m->root), *gpd = guest_table(m, m->gcr3);
	for (uint32_t k = 0; k < sp->n; k++) {
		struct bm_mmu_kept *t = &sp->t[k];
		unsigned i = t->slot;
		uint32_t pde = gpd ? gpd[i] : 0;
		const uint32_t *gpt = pde == t->gpde && !(pd[i] & P) &&
			!((pde & PS) && m->pse) ? guest_table(m, pde) : NULL;
		if (!gpt) {
			release_pt(m, t->pt, t->lo, t->hi);
			continue;
		}
		resync_entries(m, tab(m, t->pt), t->lo, t->hi, pde, gpt,
			       &t->around);
		pd[i] = t->pt | P | W | U;
		m->gpde[i] = pde;
		m->lo[i] = t->lo;
		m->hi[i] = t->hi;
		m->around[i] = t->around;
		m->local[i] = 1;
		m->global[i] = 0;
		m->live[m->nlive++] = (uint16_t)i;
	}
	sp->n = 0;
}

void bm_mmu_load_cr3(struct bm_mmu *m, uint32_t cr3, int paging)
{
	int keep = paging && m->paging && m->pge;
	m->clock++;
	if (keep)
		drop_local(m, space_for(m, m->gcr3),
			   guest_table(m, cr3 & FRAME));
	else
		bm_mmu_flush(m);
	m->gcr3 = cr3 & FRAME;
	m->paging = paging;
	if (keep) {
		struct bm_mmu_space *sp = space_for(m, m->gcr3);
		sp->stamp = m->clock;
		take_back(m, sp);
	}
	m->cur = paging ? hints_for(m, m->gcr3) : NULL;
	uint32_t *pd = tab(m, m->root);
	for (unsigned i = 0; m->cur && i < m->cur->n; i++)
		if (!(pd[m->cur->va[i] >> 22] & P))   /* not a kept table */
			prefill(m, m->cur->va[i]);
}

int bm_mmu_fault(struct bm_mmu *m, uint32_t va, uint32_t err, uint32_t *gerr)
{
	int write = !!(err & PF_W), user = !!(err & PF_U);
	uint32_t gpa;
	if ((va >> 22) >= BM_MMU_GUEST_PDES) {
		if (user)
			return fault(gerr, err & (PF_W | PF_U));
		return BM_PF_MONITOR;
	}
	int rc = bm_mmu_walk(m, va, write, user, 1, &gpa, gerr);
	if (in_stub_alias(m, va) && !user && !m->paging)
		return write ? BM_PF_MONITOR : fill_stub_alias(m, va);
	if (rc != BM_PF_FILLED)
		return rc;
	if (gpa >= m->ram_size)
		return BM_PF_BADFRAME;
	uint32_t pte = (m->ram_hpa + (gpa & FRAME)) | shadow_flags(m, va, write);
	if (write && guarded(m, gpa))
		guarded_write(m, va);
	else
		pte = guard_pte(m, gpa, pte);
	rc = install(m, va, pte);
	if (rc == BM_PF_FILLED) {
		fill_around(m, va);
		hint_note(m, va);
	}
	return rc;
}
