/* SPDX-License-Identifier: MIT */
/* The identity map: 0-4 GiB from entry.S, RAM above 4 GiB added here. */
#ifndef TESTGUEST_PAGING_H
#define TESTGUEST_PAGING_H

#include <stdint.h>

#include "guest-images/testguest/boot.h"

/* paging_map_ram maps RAM this far at boot (its tables are preallocated). */
#define PAGING_MAP_LIMIT ((uint64_t)64 << 30)
/* Page tables kept for paging_map above PAGING_MAP_LIMIT: a page directory
 * per GiB touched, a PDPT per 512 GiB. */
#define PAGING_SPARE_TABLES 16
/* Four-level paging with the low PML4 half: 256 TiB. */
#define PAGING_ADDR_LIMIT ((uint64_t)1 << 47)

/* Map every RAM range of the memory map that lies above 4 GiB, up to
 * PAGING_MAP_LIMIT; prints what it left to paging_map. */
void paging_map_ram(const struct boot_info *bi);

/* Identity-map the 2 MiB pages holding [addr, addr + len); 0, or -1 when
 * the page tables ran out. */
int paging_map(uint64_t addr, uint64_t len);

/* 1 if [addr, addr + len) is identity-mapped. */
int paging_is_mapped(uint64_t addr, uint64_t len);

#endif
