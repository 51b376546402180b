/* SPDX-License-Identifier: MIT */
/*
 * Extending the identity map over RAM above 4 GiB: 2 MiB pages (this host
 * has no 1 GiB pages), with page tables taken from a static pool so the
 * image's init_size covers them. The low 4 GiB (PML4 entry 0, PDPT entries
 * 0-3) come from entry.S.
 *
 * The pool holds a page directory per GiB up to PAGING_MAP_LIMIT, mapped at
 * boot, plus PAGING_SPARE_TABLES for paging_map beyond it: mapping all of a
 * 1 TiB VM would take 4 MiB of tables, but a probe needs only the 2 MiB
 * around its address.
 */
#include "guest-images/testguest/paging.h"

#include "guest-images/testguest/asm.h"
#include "guest-images/testguest/guest.h"
#include "vmm/layout.h"

#define PT_ENTRIES 512
#define PAGE_2M (2ULL << 20)
#define PTE_ADDR 0x000FFFFFFFFFF000ull
#define POOL_TABLES (PAGING_MAP_LIMIT / GiB - 4 + PAGING_SPARE_TABLES)

extern uint64_t pml4[PT_ENTRIES];

static uint64_t pool[POOL_TABLES][PT_ENTRIES] __attribute__((section(".noinit"), aligned(4096)));
static unsigned pool_used;

static uint64_t *table_alloc(void)
{
	uint64_t *t;

	if (pool_used == POOL_TABLES)
		return NULL;
	t = pool[pool_used++];
	for (unsigned i = 0; i < PT_ENTRIES; i++)
		t[i] = 0;
	return t;
}

/* The table entry `i` of `table` points to; with `alloc`, a new one if the
 * entry is not present. NULL if absent (or out of tables). */
static uint64_t *next_table(uint64_t *table, unsigned i, int alloc)
{
	if (!(table[i] & PTE_P)) {
		uint64_t *t = alloc ? table_alloc() : NULL;

		if (!t)
			return NULL;
		table[i] = (uintptr_t)t | PTE_P | PTE_RW | PTE_US;
	}
	return (uint64_t *)(uintptr_t)(table[i] & PTE_ADDR);
}

/* The page-directory entry that maps addr's 2 MiB page (SDM Vol. 3A §4.5,
 * 4-level paging), or NULL. */
static uint64_t *pde_of(uint64_t addr, int alloc)
{
	uint64_t *pdpt = next_table(pml4, (addr >> 39) & 511, alloc);
	uint64_t *pd = pdpt ? next_table(pdpt, (addr >> 30) & 511, alloc) : NULL;

	return pd ? &pd[(addr >> 21) & 511] : NULL;
}

int paging_map(uint64_t addr, uint64_t len)
{
	uint64_t end = addr + len;

	if (end < addr || end > PAGING_ADDR_LIMIT)
		return -1;
	for (uint64_t a = addr & ~(PAGE_2M - 1); a < end; a += PAGE_2M) {
		uint64_t *pde = pde_of(a, 1);

		if (!pde)
			return -1;
		/* Only not-present entries change: no stale TLB entries. */
		if (!(*pde & PTE_P))
			*pde = a | PTE_P | PTE_RW | PTE_US | PTE_PS;
	}
	return 0;
}

void paging_map_ram(const struct boot_info *bi)
{
	for (unsigned i = 0; i < bi->nr_mem; i++) {
		const struct mem_range *m = &bi->mem[i];
		uint64_t start = m->addr, end = m->addr + m->size;

		if (m->type != MEM_RAM || end <= LAYOUT_4G || end < start)
			continue;
		if (start < LAYOUT_4G)
			start = LAYOUT_4G;
		if (end > PAGING_MAP_LIMIT) {
			printf("paging: RAM above %lu GiB (up to 0x%lx) mapped on demand only\n",
			       (uint64_t)(PAGING_MAP_LIMIT / GiB), end - 1);
			end = PAGING_MAP_LIMIT;
		}
		if (start < end && paging_map(start, end - start))
			printf("paging: out of page tables mapping 0x%lx-0x%lx\n", start, end - 1);
	}
}

int paging_is_mapped(uint64_t addr, uint64_t len)
{
	uint64_t end = addr + len;

	if (end < addr || end > PAGING_ADDR_LIMIT)
		return 0;
	for (uint64_t a = addr & ~(PAGE_2M - 1); a < end; a += PAGE_2M) {
		uint64_t *pde = pde_of(a, 0);

		if (!pde || !(*pde & PTE_P))
			return 0;
	}
	return 1;
}
