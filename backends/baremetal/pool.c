/*
 * pool.c - the physical page pool [BM_POOL_PA, +BM_POOL_SIZE) from which
 * the monitor takes shadow page directories and tables.  A free list
 * threaded through the free pages themselves.  Runs: monitor ring 0.
 */
#include "bm.h"

static uint32_t bm_free_head;   /* PA of the first free page, 0 = none */
static unsigned bm_free_count;
static uint32_t bm_pool_next = BM_POOL_PA;

uint32_t bm_page_alloc(void)
{
	uint32_t pa;
	if (bm_free_head) {
		pa = bm_free_head;
		bm_free_head = *(uint32_t *)BM_P2V(pa);
		bm_free_count--;
	} else if (bm_pool_next < BM_POOL_PA + BM_POOL_SIZE) {
		pa = bm_pool_next;
		bm_pool_next += 4096;
	} else {
		return 0;
	}
	memset(BM_P2V(pa), 0, 4096);
	return pa;
}

void bm_page_free(uint32_t pa)
{
	*(uint32_t *)BM_P2V(pa) = bm_free_head;
	bm_free_head = pa;
	bm_free_count++;
}

unsigned bm_pages_free(void)
{
	return bm_free_count + (BM_POOL_PA + BM_POOL_SIZE - bm_pool_next) / 4096;
}
