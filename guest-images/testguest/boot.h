/* SPDX-License-Identifier: MIT */
/*
 * What the loader told us, copied out of its structures (hvm_start_info or
 * boot_params) at the very start, so the scenarios may reuse low memory and
 * the two boot protocols look the same from here on.
 */
#ifndef TESTGUEST_BOOT_H
#define TESTGUEST_BOOT_H

#include <stdint.h>

#define BOOT_CMDLINE_MAX 4096 /* bytes including the NUL */
#define BOOT_MEM_MAX 128      /* e820 / PVH memmap entries kept */

/* e820 / PVH memmap types (ACPI 6.4 §15, table 15.374). */
#define MEM_RAM 1
#define MEM_RESERVED 2
#define MEM_ACPI 3
#define MEM_NVS 4
#define MEM_UNUSABLE 5

struct mem_range {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

struct boot_info {
	unsigned proto;	      /* BOOT_PROTO_LINUX or BOOT_PROTO_PVH */
	uint32_t boot_struct; /* where the loader put boot_params / hvm_start_info */
	char cmdline[BOOT_CMDLINE_MAX];
	uint32_t cmdline_addr;
	uint64_t rsdp; /* 0 when the loader did not say */
	uint64_t initrd_addr, initrd_size;
	unsigned nr_mem;
	unsigned nr_mem_reported; /* before clamping to BOOT_MEM_MAX */
	struct mem_range mem[BOOT_MEM_MAX];
};

/* Fill *bi from the structure at `addr`; fails the run if it is malformed. */
void boot_info_read(struct boot_info *bi, unsigned proto, uint32_t addr);

/* 1 if one RAM entry of the memory map holds all of [addr, addr + len). */
int ram_covers(const struct boot_info *bi, uint64_t addr, uint64_t len);

/*
 * 1 if a VM given mem bytes of RAM plausibly has this memory map: its RAM
 * entries add up to mem less at most what the layout takes away (the legacy
 * hole and FSEG zone below 1 MiB, the HIGH loader zone at the top of low
 * RAM; shared/DESIGN.md §3). *total gets the map's RAM total.
 */
int ram_total_matches(const struct boot_info *bi, uint64_t mem, uint64_t *total);
const char *boot_proto_name(unsigned proto);
const char *mem_type_name(uint32_t type);

/*
 * Command line: space-separated words, "key=value" or a bare "key".
 * cmdline_get copies the value (truncated to size - 1) and returns 1 if the
 * key is present, else 0. cmdline_size parses a parse_size() number; a
 * malformed value fails the run with GUEST_EXIT_USAGE.
 */
int cmdline_get(const struct boot_info *bi, const char *key, char *val, unsigned size);
int cmdline_size(const struct boot_info *bi, const char *key, uint64_t *val);

#endif
