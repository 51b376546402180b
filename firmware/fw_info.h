/* SPDX-License-Identifier: MIT */
/*
 * What the firmware reads from fw_cfg besides the loader blob: the HIGH
 * zone from "etc/e820" and the hand-off "etc/microvm/boot". Pure parsing,
 * built freestanding and for the host (tests/unit/test_loader_exec.c).
 * Each function returns NULL on success or a message naming the problem.
 */
#ifndef MICROVM_FIRMWARE_FW_INFO_H
#define MICROVM_FIRMWARE_FW_INFO_H

#include <stdint.h>

#define FWINFO_E820_ENTRY_SIZE 20 /* {le64 addr; le64 size; le32 type}, packed */

/*
 * The HIGH loader zone (shared/DESIGN.md §3): the highest reserved e820
 * entry that directly follows a RAM entry (the top of a RAM range), starts
 * at or above 1 MiB and ends at or below 4 GiB (the firmware and 32-bit
 * table pointers must reach it).
 */
const char *fwinfo_high_zone(const uint8_t *e820, uint32_t size, uint64_t *start, uint64_t *end);

struct fwinfo_boot {
	uint32_t proto;	      /* MVBOOT_LINUX or MVBOOT_PVH */
	uint32_t entry;	      /* 32-bit kernel entry */
	uint32_t boot_struct; /* boot_params or hvm_start_info */
	uint32_t rsdp_field;  /* offset of its u64 RSDP field */
	uint32_t flags;	      /* MVBOOT_FLAG_* */
};

/*
 * Validate "etc/microvm/boot" (firmware/boot_abi.h): magic, version,
 * protocol, a non-zero entry, and an RSDP field that lies in low RAM below
 * the firmware image, so storing it cannot overwrite the firmware.
 */
const char *fwinfo_parse_boot(const uint8_t *buf, uint32_t size, struct fwinfo_boot *b);

#endif
