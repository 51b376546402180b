/* SPDX-License-Identifier: MIT */
/*
 * vmm/e820.c: the guest memory map of shared/DESIGN.md §3 for several --mem
 * sizes, entry by entry; the RAM layout KVM maps; the input limits.
 */
#include <criterion/criterion.h>
#include <errno.h>

#include "vmm/e820.h"
#include "vmm/layout.h"

#define M (1ULL << 20)
#define G (1ULL << 30)

struct want {
	uint64_t addr, size;
	uint32_t type;
};

static void check_map(uint64_t mem, const struct want *w, unsigned n)
{
	struct e820_map m;

	memset(&m, 0x5a, sizeof(m));
	cr_assert_eq(e820_build(&m, mem), 0);
	cr_assert_eq(m.nr, n, "mem 0x%llx: %u entries", (unsigned long long)mem, m.nr);
	for (unsigned i = 0; i < n; i++) {
		cr_assert_eq(m.e[i].addr, w[i].addr, "entry %u addr 0x%llx", i,
			     (unsigned long long)m.e[i].addr);
		cr_assert_eq(m.e[i].size, w[i].size, "entry %u size 0x%llx", i,
			     (unsigned long long)m.e[i].size);
		cr_assert_eq(m.e[i].type, w[i].type, "entry %u type", i);
	}
	/* Sorted, non-overlapping, nothing in the legacy hole or the MMIO hole. */
	for (unsigned i = 1; i < n; i++)
		cr_assert_geq(m.e[i].addr, m.e[i - 1].addr + m.e[i - 1].size);
	for (unsigned i = 0; i < n; i++) {
		uint64_t end = m.e[i].addr + m.e[i].size;
		cr_assert(end <= 0xa0000 || m.e[i].addr >= 0xe0000, "entry %u in the legacy hole", i);
		cr_assert(end <= 3 * G || m.e[i].addr >= 4 * G, "entry %u in the MMIO hole", i);
	}
}

Test(e820, mem_64m)
{
	static const struct want w[] = {
		{ 0, 0xa0000, E820_RAM },
		{ 0xe0000, 0x20000, E820_RESERVED },
		{ M, 62 * M, E820_RAM },
		{ 63 * M, M, E820_RESERVED },
	};
	check_map(64 * M, w, 4);
}

Test(e820, mem_256m)
{
	static const struct want w[] = {
		{ 0, 0xa0000, 1 },
		{ 0xe0000, 0x20000, 2 },
		{ M, 254 * M, 1 },
		{ 255 * M, M, 2 },
	};
	check_map(256 * M, w, 4);
}

Test(e820, mem_3g_fills_low_ram_exactly)
{
	static const struct want w[] = {
		{ 0, 0xa0000, 1 },
		{ 0xe0000, 0x20000, 2 },
		{ M, 3 * G - 2 * M, 1 },
		{ 3 * G - M, M, 2 },
	};
	check_map(3 * G, w, 4);
}

Test(e820, mem_5g_continues_at_4g)
{
	static const struct want w[] = {
		{ 0, 0xa0000, 1 },
		{ 0xe0000, 0x20000, 2 },
		{ M, 3 * G - 2 * M, 1 },
		{ 3 * G - M, M, 2 },
		{ 4 * G, 2 * G, 1 },
	};
	check_map(5 * G, w, 5);
}

Test(e820, just_over_3g)
{
	static const struct want w[] = {
		{ 0, 0xa0000, 1 },
		{ 0xe0000, 0x20000, 2 },
		{ M, 3 * G - 2 * M, 1 },
		{ 3 * G - M, M, 2 },
		{ 4 * G, 4096, 1 },
	};
	check_map(3 * G + 4096, w, 5);
}

Test(e820, ram_layout_and_high_zone)
{
	struct ram_layout l;

	l = ram_layout_of(64 * M);
	cr_assert_eq(l.low_size, 64 * M);
	cr_assert_eq(l.high_size, 0);
	l = ram_layout_of(3 * G);
	cr_assert_eq(l.low_size, 3 * G);
	cr_assert_eq(l.high_size, 0);
	l = ram_layout_of(5 * G);
	cr_assert_eq(l.low_size, 3 * G);
	cr_assert_eq(l.high_size, 2 * G);
	cr_assert_eq(e820_high_zone_start(64 * M), 63 * M);
	cr_assert_eq(e820_high_zone_end(64 * M), 64 * M);
	cr_assert_eq(e820_high_zone_start(5 * G), 3 * G - M);
	cr_assert_eq(e820_high_zone_end(5 * G), 3 * G);
	cr_assert_eq(e820_high_zone_end(5 * G) - e820_high_zone_start(5 * G), LAYOUT_HIGH_ZONE_SIZE);
}

Test(e820, limits)
{
	struct e820_map m;

	cr_assert_eq(e820_build(&m, LAYOUT_MEM_MIN), 0);
	cr_assert_eq(e820_build(&m, LAYOUT_MEM_MAX), 0);
	cr_assert_eq(m.nr, 5);
	cr_assert_eq(m.e[4].addr + m.e[4].size, LAYOUT_MEM_MAX + G, "1 TiB of RAM ends 1 GiB higher");
	cr_assert_eq(e820_build(&m, LAYOUT_MEM_MIN - 4096), -EINVAL);
	cr_assert_eq(e820_build(&m, LAYOUT_MEM_MAX + 4096), -EINVAL);
	cr_assert_eq(e820_build(&m, 0), -EINVAL);
	cr_assert_eq(e820_build(&m, ~0ULL), -EINVAL);
}

/* KVM memory slots and the HIGH zone's page-aligned allocations need whole pages. */
Test(e820, refuses_sizes_that_are_not_whole_pages)
{
	struct e820_map m;

	cr_assert_eq(e820_build(&m, 64 * M + 1), -EINVAL);
	cr_assert_eq(e820_build(&m, 64 * M + 2048), -EINVAL);
	cr_assert_eq(e820_build(&m, 5 * G + 100), -EINVAL);
	cr_assert_eq(e820_build(&m, 64 * M + 4096), 0);
	cr_assert_eq(m.e[3].addr, 63 * M + 4096);
}

Test(e820, type_of)
{
	struct e820_map m;

	cr_assert_eq(e820_build(&m, 5 * G), 0);
	cr_assert_eq(e820_type_of(&m, 0, 0xa0000), E820_RAM);
	cr_assert_eq(e820_type_of(&m, 0x9f000, 0x1000), E820_RAM);
	cr_assert_eq(e820_type_of(&m, 0x9f000, 0x1001), 0, "runs into the legacy hole");
	cr_assert_eq(e820_type_of(&m, 0xa0000, 1), 0);
	cr_assert_eq(e820_type_of(&m, 0xf0000, 0x10000), E820_RESERVED);
	cr_assert_eq(e820_type_of(&m, 0xf0000, 0x10001), 0, "spans FSEG and RAM");
	cr_assert_eq(e820_type_of(&m, M, 3 * G - 2 * M), E820_RAM);
	cr_assert_eq(e820_type_of(&m, 3 * G - M, M), E820_RESERVED);
	cr_assert_eq(e820_type_of(&m, 3 * G, 1), 0, "MMIO hole");
	cr_assert_eq(e820_type_of(&m, 0xfee00000, 4096), 0);
	cr_assert_eq(e820_type_of(&m, 4 * G, 2 * G), E820_RAM);
	cr_assert_eq(e820_type_of(&m, 6 * G - 1, 1), E820_RAM);
	cr_assert_eq(e820_type_of(&m, 6 * G - 1, 2), 0);
	cr_assert_eq(e820_type_of(&m, 6 * G, 1), 0);
	cr_assert_eq(e820_type_of(&m, 4 * G, ~0ULL), 0, "no overflow");
	cr_assert_eq(e820_type_of(&m, ~0ULL, 2), 0, "no overflow");
	cr_assert_eq(e820_type_of(&m, M, 0), E820_RAM, "empty range inside RAM");
}
