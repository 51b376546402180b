/* SPDX-License-Identifier: MIT */
/*
 * The guest memory map (shared/DESIGN.md §3) built from --mem: what the
 * guest is told (e820 for bzImage, memmap for PVH, fw_cfg "etc/e820") and
 * the RAM ranges KVM maps. Pure computation, unit-tested.
 */
#ifndef MICROVM_E820_H
#define MICROVM_E820_H

#include <stdint.h>

#define E820_RAM 1
#define E820_RESERVED 2

#define E820_MAX 16

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

struct e820_map {
	struct e820_entry e[E820_MAX];
	unsigned nr;
};

/* RAM ranges backing guest memory (at most two: below 3 GiB and from 4 GiB). */
struct ram_layout {
	uint64_t low_size;  /* RAM at [0, low_size) */
	uint64_t high_size; /* RAM at [4 GiB, 4 GiB + high_size) */
};

struct ram_layout ram_layout_of(uint64_t mem_size);

/* The HIGH loader zone: [start, end) at the top of low RAM. */
uint64_t e820_high_zone_start(uint64_t mem_size);
uint64_t e820_high_zone_end(uint64_t mem_size);

/*
 * Fill *m for mem_size bytes of RAM; -EINVAL if mem_size is outside
 * LAYOUT_MEM_MIN..MAX or not a multiple of 4 KiB.
 */
int e820_build(struct e820_map *m, uint64_t mem_size);

/* Type of the e820 entry containing [addr, addr + len) wholly, or 0. */
uint32_t e820_type_of(const struct e820_map *m, uint64_t addr, uint64_t len);

#endif
