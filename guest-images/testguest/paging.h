/* SPDX-License-Identifier: MIT */
/* The identity map: 0-4 GiB from entry.S, RAM above 4 GiB added here. */
#ifndef TESTGUEST_PAGING_H
#define TESTGUEST_PAGING_H

#include <stdint.h>

#include "guest-images/testguest/boot.h"

/* The identity map reaches this far at most (PD pages are preallocated). */
#define PAGING_MAP_LIMIT ((uint64_t)64 << 30)

/* Map every RAM range of the memory map that lies above 4 GiB, up to
 * PAGING_MAP_LIMIT; prints what it could not map. */
void paging_map_ram(const struct boot_info *bi);

/* 1 if [addr, addr + len) is identity-mapped. */
int paging_is_mapped(uint64_t addr, uint64_t len);

#endif
