/* SPDX-License-Identifier: MIT */
#include "vmm/e820.h"

#include <errno.h>
#include <string.h>

#include "vmm/layout.h"

struct ram_layout ram_layout_of(uint64_t mem_size)
{
	struct ram_layout l;

	l.low_size = mem_size < LAYOUT_MMIO_HOLE ? mem_size : LAYOUT_MMIO_HOLE;
	l.high_size = mem_size - l.low_size;
	return l;
}

uint64_t e820_high_zone_end(uint64_t mem_size)
{
	return ram_layout_of(mem_size).low_size;
}

uint64_t e820_high_zone_start(uint64_t mem_size)
{
	return e820_high_zone_end(mem_size) - LAYOUT_HIGH_ZONE_SIZE;
}

static void add(struct e820_map *m, uint64_t addr, uint64_t size, uint32_t type)
{
	m->e[m->nr].addr = addr;
	m->e[m->nr].size = size;
	m->e[m->nr].type = type;
	m->nr++;
}

int e820_build(struct e820_map *m, uint64_t mem_size)
{
	struct ram_layout l;

	if (mem_size < LAYOUT_MEM_MIN || mem_size > LAYOUT_MEM_MAX)
		return -EINVAL;
	/* KVM maps whole pages, and the HIGH zone must start on one (vmcoreinfo page). */
	if (mem_size & 0xFFF)
		return -EINVAL;
	l = ram_layout_of(mem_size);
	memset(m, 0, sizeof(*m));
	add(m, 0, LAYOUT_LOWMEM_END, E820_RAM);
	add(m, LAYOUT_FSEG, LAYOUT_FSEG_END - LAYOUT_FSEG, E820_RESERVED);
	add(m, LAYOUT_KERNEL, e820_high_zone_start(mem_size) - LAYOUT_KERNEL, E820_RAM);
	add(m, e820_high_zone_start(mem_size), LAYOUT_HIGH_ZONE_SIZE, E820_RESERVED);
	if (l.high_size)
		add(m, LAYOUT_4G, l.high_size, E820_RAM);
	return 0;
}

uint32_t e820_type_of(const struct e820_map *m, uint64_t addr, uint64_t len)
{
	for (unsigned i = 0; i < m->nr; i++) {
		const struct e820_entry *e = &m->e[i];
		if (addr >= e->addr && addr - e->addr < e->size && len <= e->size - (addr - e->addr))
			return e->type;
	}
	return 0;
}
