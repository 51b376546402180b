/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

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

/* Pages of [p, p + len) that are resident, by mincore(). */
static size_t resident_pages(uint8_t *p, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), n = len / page, count = 0;
	unsigned char *vec = malloc(n);

	cr_assert_not_null(vec);
	cr_assert_eq(mincore(p, len, vec), 0);
	for (size_t i = 0; i < n; i++)
		count += vec[i] & 1;
	free(vec);
	return count;
}

Test(guest_mem, zero_writes_plain_memory)
{
	struct guest_mem gm;

	setup(&gm);
	memset(high, 0x5a, sizeof(high));
	cr_assert_eq(gm_zero(&gm, 0x100000000ULL + 3, 5000), 0);
	cr_assert_eq(high[2], 0x5a);
	for (size_t i = 3; i < 5003; i++)
		cr_assert_eq(high[i], 0, "byte %zu", i);
	cr_assert_eq(high[5003], 0x5a);
	/* Outside RAM or across a region's end: refused, nothing touched. */
	cr_assert_eq(gm_zero(&gm, 0x100000000ULL + 8000, 193), -EFAULT);
	cr_assert_eq(gm_zero(&gm, 4000, UINT64_MAX), -EFAULT);
	cr_assert_eq(high[8191], 0x5a);
	cr_assert_eq(gm_zero(&gm, 0x100000000ULL + 8191, 0), 0);
	cr_assert_eq(high[8191], 0x5a);
}

/* In a private anonymous mapping, whole pages are dropped, not written: they cost no host memory. */
Test(guest_mem, zero_drops_whole_pages_of_droppable_memory)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), size = 64 * page;
	uint8_t *host = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct guest_mem gm = { 0 };

	cr_assert(host != MAP_FAILED);
	memset(host, 0xa5, size);
	cr_assert_eq(gm_add_region(&gm, 0, size, host), 0);
	gm.droppable = true;
	/* From 100 bytes into page 1 to 200 bytes into page 60. */
	cr_assert_eq(gm_zero(&gm, page + 100, 59 * page + 100), 0);
	/* Before anything reads them (a read maps the zero page, which mincore counts). */
	cr_assert_eq(resident_pages(host, size), 64 - 58, "pages 2..59 dropped");
	for (size_t i = 0; i < size; i++)
		cr_assert_eq(host[i], i >= page + 100 && i < 60 * page + 200 ? 0 : 0xa5, "byte 0x%zx", i);
	/* A range inside one page is written as usual. */
	cr_assert_eq(gm_zero(&gm, 62 * page + 1, 10), 0);
	cr_assert_eq(host[62 * page], 0xa5);
	cr_assert_eq(host[62 * page + 1], 0);
	cr_assert_eq(host[62 * page + 11], 0xa5);
	munmap(host, size);
}
