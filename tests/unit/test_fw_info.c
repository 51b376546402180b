/* SPDX-License-Identifier: MIT */
/* firmware/fw_info.c on the host: the HIGH zone from "etc/e820" and the boot hand-off. */
#include <criterion/criterion.h>
#include <string.h>

#include "devices/fw_cfg.h"
#include "firmware/boot_abi.h"
#include "firmware/fw_info.h"
#include "vmm/boot.h"
#include "vmm/e820.h"
#include "vmm/layout.h"
#include "vmm/util.h"


static uint32_t e820_blob(uint64_t mem, uint8_t *out)
{
	struct e820_map m;

	cr_assert_eq(e820_build(&m, mem), 0);
	for (unsigned i = 0; i < m.nr; i++) {
		put_le64(out + i * 20, m.e[i].addr);
		put_le64(out + i * 20 + 8, m.e[i].size);
		put_le32(out + i * 20 + 16, m.e[i].type);
	}
	return m.nr * 20;
}

Test(fw_info, high_zone_is_the_reserved_top_of_low_ram)
{
	const uint64_t sizes[] = { 64 * MiB, 256 * MiB, 3 * GiB, 5 * GiB };
	uint8_t e820[E820_MAX * 20];
	uint64_t s, e;

	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
		uint32_t n = e820_blob(sizes[i], e820);
		cr_assert_null(fwinfo_high_zone(e820, n, &s, &e));
		cr_assert_eq(s, e820_high_zone_start(sizes[i]));
		cr_assert_eq(e, e820_high_zone_end(sizes[i]));
	}
}

Test(fw_info, high_zone_refusals)
{
	uint8_t e820[3 * 20] = { 0 };
	uint64_t s = 1, e = 1;

	cr_assert_not_null(fwinfo_high_zone(e820, 19, &s, &e));
	cr_assert_not_null(fwinfo_high_zone(e820, 0, &s, &e));
	/* Reserved but not right after RAM. */
	put_le64(e820, 0);
	put_le64(e820 + 8, 0x1000000);
	put_le32(e820 + 16, E820_RAM);
	put_le64(e820 + 20, 0x2000000);
	put_le64(e820 + 28, 0x100000);
	put_le32(e820 + 36, E820_RESERVED);
	cr_assert_not_null(fwinfo_high_zone(e820, 40, &s, &e));
	/* Right after RAM but beyond 4 GiB. */
	put_le64(e820 + 8, 0x200000000ULL);
	put_le64(e820 + 20, 0x200000000ULL);
	cr_assert_not_null(fwinfo_high_zone(e820, 40, &s, &e));
	/* Below 1 MiB (the FSEG reservation) does not count. */
	put_le64(e820 + 8, 0xE0000);
	put_le64(e820 + 20, 0xE0000);
	put_le64(e820 + 28, 0x20000);
	cr_assert_not_null(fwinfo_high_zone(e820, 40, &s, &e));
	/* Length wrapping past 2^64. */
	put_le64(e820 + 8, 0x2000000);
	put_le64(e820 + 20, 0x2000000);
	put_le64(e820 + 28, UINT64_MAX);
	cr_assert_not_null(fwinfo_high_zone(e820, 40, &s, &e));
	cr_assert_eq(s, 1, "outputs untouched on failure");
	put_le64(e820 + 28, 0x100000);
	cr_assert_null(fwinfo_high_zone(e820, 40, &s, &e));
	cr_assert_eq(s, 0x2000000);
	cr_assert_eq(e, 0x2100000);
}

static void boot_file(uint8_t *b, uint32_t proto, uint32_t entry_pt, uint32_t st, uint32_t field)
{
	memset(b, 0, MVBOOT_SIZE);
	put_le32(b + MVBOOT_OFF_MAGIC, MVBOOT_MAGIC);
	put_le32(b + MVBOOT_OFF_VERSION, MVBOOT_VERSION);
	put_le32(b + MVBOOT_OFF_PROTO, proto);
	put_le32(b + MVBOOT_OFF_ENTRY, entry_pt);
	put_le32(b + MVBOOT_OFF_BOOT_STRUCT, st);
	put_le32(b + MVBOOT_OFF_RSDP_FIELD, field);
}

Test(fw_info, boot_handoff_as_fw_cfg_builds_it)
{
	struct boot_image img = { .proto = BOOT_PVH, .entry = 0x1000200, .boot_struct = 0x1000 };
	struct fwcfg *fw = fwcfg_new(NULL);
	struct fwinfo_boot b;
	uint32_t size;
	const uint8_t *p;

	cr_assert(fw);
	cr_assert_eq(fwcfg_set_boot(fw, &img, MVBOOT_FLAG_VERBOSE), 0);
	p = fwcfg_file_data(fw, MVBOOT_FILE, &size);
	cr_assert_null(fwinfo_parse_boot(p, size, &b));
	cr_assert_eq(b.proto, MVBOOT_PVH);
	cr_assert_eq(b.entry, 0x1000200);
	cr_assert_eq(b.boot_struct, 0x1000);
	cr_assert_eq(b.rsdp_field, 32);
	cr_assert_eq(b.flags, MVBOOT_FLAG_VERBOSE);
	fwcfg_free(fw);
}

Test(fw_info, boot_handoff_refusals)
{
	uint8_t f[MVBOOT_SIZE];
	struct fwinfo_boot b;

	boot_file(f, MVBOOT_LINUX, 0x100000, 0x7000, 0x70);
	cr_assert_null(fwinfo_parse_boot(f, sizeof(f), &b));
	cr_assert_not_null(fwinfo_parse_boot(f, sizeof(f) - 1, &b));
	f[0] ^= 1;
	cr_assert_not_null(fwinfo_parse_boot(f, sizeof(f), &b));
	boot_file(f, MVBOOT_LINUX, 0x100000, 0x7000, 0x70);
	put_le32(f + MVBOOT_OFF_VERSION, 2);
	cr_assert_not_null(fwinfo_parse_boot(f, sizeof(f), &b));
	boot_file(f, 3, 0x100000, 0x7000, 0x70);
	cr_assert_not_null(fwinfo_parse_boot(f, sizeof(f), &b));
	boot_file(f, MVBOOT_LINUX, 0, 0x7000, 0x70);
	cr_assert_not_null(fwinfo_parse_boot(f, sizeof(f), &b));
	boot_file(f, MVBOOT_PVH, 0x100000, 0, 32);
	cr_assert_not_null(fwinfo_parse_boot(f, sizeof(f), &b));
	/* The RSDP store must not reach the firmware image, nor wrap. */
	boot_file(f, MVBOOT_PVH, 0x100000, LAYOUT_FIRMWARE - 8, 4);
	cr_assert_not_null(fwinfo_parse_boot(f, sizeof(f), &b));
	boot_file(f, MVBOOT_PVH, 0x100000, 0xfffffff0u, 0x20);
	cr_assert_not_null(fwinfo_parse_boot(f, sizeof(f), &b));
	boot_file(f, MVBOOT_PVH, 0x100000, 0x1000, 0xfffffff8u);
	cr_assert_not_null(fwinfo_parse_boot(f, sizeof(f), &b));
	boot_file(f, MVBOOT_PVH, 0x100000, LAYOUT_FIRMWARE - 8, 0);
	cr_assert_null(fwinfo_parse_boot(f, sizeof(f), &b));
}
