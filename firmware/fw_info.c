/* SPDX-License-Identifier: MIT */
#include "firmware/fw_info.h"

#include "firmware/boot_abi.h"
#include "vmm/e820.h"
#include "vmm/layout.h"
#include "vmm/util.h"

const char *fwinfo_high_zone(const uint8_t *e820, uint32_t size, uint64_t *start, uint64_t *end)
{
	uint32_t n = size / FWINFO_E820_ENTRY_SIZE;
	uint64_t best_start = 0, best_end = 0;

	if (size % FWINFO_E820_ENTRY_SIZE)
		return "etc/e820 size is not a multiple of 20 bytes";
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = e820 + i * FWINFO_E820_ENTRY_SIZE;
		uint64_t a = get_le64(e), len = get_le64(e + 8);
		bool after_ram = false;

		if (get_le32(e + 16) != E820_RESERVED || len == 0 || a < LAYOUT_KERNEL ||
		    a > LAYOUT_4G || len > LAYOUT_4G - a)
			continue;
		for (uint32_t j = 0; j < n; j++) {
			const uint8_t *r = e820 + j * FWINFO_E820_ENTRY_SIZE;
			uint64_t ra = get_le64(r), rlen = get_le64(r + 8);
			if (get_le32(r + 16) == E820_RAM && rlen && ra < a && a - ra == rlen)
				after_ram = true;
		}
		if (after_ram && a >= best_start) {
			best_start = a;
			best_end = a + len;
		}
	}
	if (best_end == 0)
		return "etc/e820 has no reserved entry at the top of low RAM (the HIGH zone)";
	*start = best_start;
	*end = best_end;
	return NULL;
}

const char *fwinfo_parse_boot(const uint8_t *buf, uint32_t size, struct fwinfo_boot *b)
{
	uint64_t field_end;

	if (size < MVBOOT_SIZE)
		return MVBOOT_FILE " is shorter than 32 bytes";
	if (get_le32(buf + MVBOOT_OFF_MAGIC) != MVBOOT_MAGIC)
		return MVBOOT_FILE " has a bad magic";
	if (get_le32(buf + MVBOOT_OFF_VERSION) != MVBOOT_VERSION)
		return MVBOOT_FILE " has an unsupported version";
	b->proto = get_le32(buf + MVBOOT_OFF_PROTO);
	b->entry = get_le32(buf + MVBOOT_OFF_ENTRY);
	b->boot_struct = get_le32(buf + MVBOOT_OFF_BOOT_STRUCT);
	b->rsdp_field = get_le32(buf + MVBOOT_OFF_RSDP_FIELD);
	b->flags = get_le32(buf + MVBOOT_OFF_FLAGS);
	if (b->proto != MVBOOT_LINUX && b->proto != MVBOOT_PVH)
		return MVBOOT_FILE " names an unknown boot protocol";
	if (b->entry == 0)
		return MVBOOT_FILE " has no kernel entry point";
	field_end = (uint64_t)b->boot_struct + b->rsdp_field + 8;
	if (b->boot_struct == 0 || field_end > LAYOUT_FIRMWARE)
		return MVBOOT_FILE ": the RSDP field is not in low RAM below the firmware";
	return NULL;
}
