/* SPDX-License-Identifier: MIT */
/*
 * Extending the identity map over RAM above 4 GiB: 2 MiB pages (this host
 * has no 1 GiB pages), one page directory per GiB, taken from a static pool
 * so the image's init_size covers them. PDPT entries 0-3 (the low 4 GiB)
 * come from entry.S.
 */
#include "guest-images/testguest/paging.h"

#include "guest-images/testguest/asm.h"
#include "guest-images/testguest/guest.h"
#include "vmm/layout.h"

#define PD_ENTRIES 512
#define PAGE_2M (2ULL << 20)
#define HIGH_PDS (PAGING_MAP_LIMIT / GiB - 4)

extern uint64_t pdpt[PD_ENTRIES];

static uint64_t high_pd[HIGH_PDS][PD_ENTRIES]
	__attribute__((section(".noinit"), aligned(4096)));
static uint8_t gib_mapped[PAGING_MAP_LIMIT / GiB];

static uint64_t *pd_for(unsigned gib)
{
	uint64_t *pd = high_pd[gib - 4];

	if (!gib_mapped[gib]) {
		for (unsigned i = 0; i < PD_ENTRIES; i++)
			pd[i] = 0;
		pdpt[gib] = (uintptr_t)pd | PTE_P | PTE_RW | PTE_US;
		gib_mapped[gib] = 1;
	}
	return pd;
}

static void map_range(uint64_t start, uint64_t end)
{
	for (uint64_t a = start & ~(PAGE_2M - 1); a < end; a += PAGE_2M) {
		uint64_t *pd = pd_for((unsigned)(a / GiB));
		pd[(a % GiB) / PAGE_2M] = a | PTE_P | PTE_RW | PTE_US | PTE_PS;
	}
}

void paging_map_ram(const struct boot_info *bi)
{
	for (unsigned i = 0; i < 4; i++)
		gib_mapped[i] = 1;
	for (unsigned i = 0; i < bi->nr_mem; i++) {
		const struct mem_range *m = &bi->mem[i];
		uint64_t start = m->addr, end = m->addr + m->size;

		if (m->type != MEM_RAM || end <= LAYOUT_4G || end < start)
			continue;
		if (start < LAYOUT_4G)
			start = LAYOUT_4G;
		if (end > PAGING_MAP_LIMIT) {
			printf("paging: RAM above %lu GiB (up to 0x%lx) left unmapped\n",
			       (uint64_t)(PAGING_MAP_LIMIT / GiB), end - 1);
			end = PAGING_MAP_LIMIT;
		}
		if (start < end)
			map_range(start, end);
	}
	/* Only not-present entries changed: no stale TLB entries to flush. */
}

int paging_is_mapped(uint64_t addr, uint64_t len)
{
	uint64_t end = addr + len;

	if (end < addr || end > PAGING_MAP_LIMIT)
		return 0;
	if (end <= LAYOUT_4G)
		return 1;
	for (uint64_t a = (addr < LAYOUT_4G ? LAYOUT_4G : addr) & ~(PAGE_2M - 1); a < end; a += PAGE_2M) {
		unsigned gib = (unsigned)(a / GiB);
		if (!gib_mapped[gib] || !(high_pd[gib - 4][(a % GiB) / PAGE_2M] & PTE_P))
			return 0;
	}
	return 1;
}
