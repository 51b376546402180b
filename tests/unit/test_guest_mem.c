/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>

#include "vmm/guest_mem.h"

static uint8_t low[4096], high[8192];

static void setup(struct guest_mem *gm)
{
	*gm = (struct guest_mem){ 0 };
	cr_assert_eq(gm_add_region(gm, 0, sizeof(low), low), 0);
	cr_assert_eq(gm_add_region(gm, 0x100000000ULL, sizeof(high), high), 0);
}

Test(guest_mem, inside_ranges)
{
	struct guest_mem gm;

	setup(&gm);
	cr_assert_eq(gm_ptr(&gm, 0, 4096), low);
	cr_assert_eq(gm_ptr(&gm, 4095, 1), low + 4095);
	cr_assert_eq(gm_ptr(&gm, 0x100000000ULL + 100, 8), high + 100);
	cr_assert_eq(gm.total, sizeof(low) + sizeof(high));
	cr_assert_eq(gm_end(&gm), 0x100000000ULL + sizeof(high));
}

Test(guest_mem, outside_and_straddling_rejected)
{
	struct guest_mem gm;

	setup(&gm);
	cr_assert_null(gm_ptr(&gm, 4096, 1));	    /* in the hole */
	cr_assert_null(gm_ptr(&gm, 4095, 2));	    /* runs off the end of low RAM */
	cr_assert_null(gm_ptr(&gm, 0, 4097));
	cr_assert_null(gm_ptr(&gm, 0xffffffffULL, 2)); /* straddles into the high region */
	cr_assert_null(gm_ptr(&gm, 0x100000000ULL + 8192, 1));
}

Test(guest_mem, overflow_safe)
{
	struct guest_mem gm;

	setup(&gm);
	cr_assert_null(gm_ptr(&gm, 16, UINT64_MAX));
	cr_assert_null(gm_ptr(&gm, UINT64_MAX, 2));
	cr_assert_null(gm_ptr(&gm, UINT64_MAX - 3, 8));
	cr_assert_null(gm_ptr(&gm, 0x100000000ULL + 8, UINT64_MAX - 4));
}

Test(guest_mem, copy_helpers_touch_nothing_on_failure)
{
	struct guest_mem gm;
	uint8_t buf[16] = { 1, 2, 3 };

	setup(&gm);
	low[4090] = 0xaa;
	cr_assert_eq(gm_write(&gm, 4090, buf, 16), -EFAULT);
	cr_assert_eq(low[4090], 0xaa);
	cr_assert_eq(gm_write(&gm, 10, buf, 3), 0);
	cr_assert_eq(low[12], 3);
	cr_assert_eq(gm_read(&gm, 10, buf + 8, 3), 0);
	cr_assert_eq(buf[10], 3);
	cr_assert_eq(gm_read(&gm, 0x200000000ULL, buf, 1), -EFAULT);
}

Test(guest_mem, regions_must_ascend)
{
	struct guest_mem gm = { 0 };

	cr_assert_eq(gm_add_region(&gm, 0x1000, 0x1000, low), 0);
	cr_assert_eq(gm_add_region(&gm, 0x1800, 0x1000, high), -EINVAL);
	cr_assert_eq(gm_add_region(&gm, 0x0, 0x100, high), -EINVAL);
	cr_assert_eq(gm_add_region(&gm, UINT64_MAX - 10, 0x100, high), -EINVAL);
	cr_assert_eq(gm_add_region(&gm, 0x3000, 0, high), -EINVAL);
}
