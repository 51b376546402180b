/* SPDX-License-Identifier: MIT */
/*
 * Guest physical memory: a short list of RAM ranges, each backed by host
 * memory. gm_ptr() is the one checked accessor: every guest pointer the VMM
 * follows goes through it, so no other code does arithmetic on guest RAM.
 * No KVM here: unit tests build a guest_mem from malloc'd buffers.
 */
#ifndef MICROVM_GUEST_MEM_H
#define MICROVM_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GM_MAX_REGIONS 4

struct gm_region {
	uint64_t gpa;  /* guest physical start */
	uint64_t size; /* bytes */
	uint8_t *host; /* host mapping of gpa */
};

struct guest_mem {
	struct gm_region r[GM_MAX_REGIONS];
	unsigned nr;
	uint64_t total; /* sum of region sizes */
	/*
	 * Every region's host memory is part of a private anonymous mapping,
	 * so a page dropped with MADV_DONTNEED reads back as zero. Not true of
	 * a snapshot's memory file (a dropped page reads the file again) nor
	 * of malloc'd test buffers: set only by whoever made the mapping.
	 */
	bool droppable;
};

/* Append a region; regions must be added in ascending, non-overlapping order. */
int gm_add_region(struct guest_mem *gm, uint64_t gpa, uint64_t size, void *host);

/*
 * Host pointer for [gpa, gpa + len) if that whole range lies inside one RAM
 * region, else NULL. len 0 is treated as 1 (a valid address is still needed).
 * Overflow-safe for any gpa and len.
 */
void *gm_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len);

/* Copy helpers built on gm_ptr(); return 0 or -EFAULT, touching nothing on failure. */
int gm_read(const struct guest_mem *gm, uint64_t gpa, void *dst, uint64_t len);
int gm_write(const struct guest_mem *gm, uint64_t gpa, const void *src, uint64_t len);

/*
 * Zero [gpa, gpa + len), which must lie inside one RAM region: 0 or
 * -EFAULT, touching nothing on failure. In droppable memory the whole
 * pages of the range are dropped instead of written, so zeroing gigabytes
 * (a PVH kernel's memsz) costs neither page faults nor host memory.
 */
int gm_zero(const struct guest_mem *gm, uint64_t gpa, uint64_t len);

/* The region containing gpa, or NULL. */
const struct gm_region *gm_region_of(const struct guest_mem *gm, uint64_t gpa);

/* Highest guest physical address + 1 covered by RAM. */
uint64_t gm_end(const struct guest_mem *gm);

#endif
