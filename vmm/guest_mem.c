/* SPDX-License-Identifier: MIT */
#include "vmm/guest_mem.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int gm_add_region(struct guest_mem *gm, uint64_t gpa, uint64_t size, void *host)
{
	if (gm->nr >= GM_MAX_REGIONS || size == 0 || gpa + size < gpa)
		return -EINVAL;
	if (gm->nr && gpa < gm->r[gm->nr - 1].gpa + gm->r[gm->nr - 1].size)
		return -EINVAL;
	gm->r[gm->nr].gpa = gpa;
	gm->r[gm->nr].size = size;
	gm->r[gm->nr].host = host;
	gm->nr++;
	gm->total += size;
	return 0;
}

const struct gm_region *gm_region_of(const struct guest_mem *gm, uint64_t gpa)
{
	for (unsigned i = 0; i < gm->nr; i++) {
		const struct gm_region *r = &gm->r[i];
		if (gpa >= r->gpa && gpa - r->gpa < r->size)
			return r;
	}
	return NULL;
}

void *gm_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	const struct gm_region *r = gm_region_of(gm, gpa);
	uint64_t off;

	if (!r)
		return NULL;
	if (len == 0)
		len = 1;
	off = gpa - r->gpa;
	if (len > r->size - off)
		return NULL;
	return r->host + off;
}

int gm_read(const struct guest_mem *gm, uint64_t gpa, void *dst, uint64_t len)
{
	void *p = gm_ptr(gm, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(dst, p, len);
	return 0;
}

int gm_write(const struct guest_mem *gm, uint64_t gpa, const void *src, uint64_t len)
{
	void *p = gm_ptr(gm, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(p, src, len);
	return 0;
}

int gm_zero(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	uint8_t *p = gm_ptr(gm, gpa, len);
	uintptr_t start, end, page;

	if (!p)
		return -EFAULT;
	if (!len)
		return 0;
	page = (uintptr_t)sysconf(_SC_PAGESIZE);
	start = ((uintptr_t)p + page - 1) & ~(page - 1);
	end = ((uintptr_t)p + len) & ~(page - 1);
	/* Dropping fails only on a bad range; then zero by hand like any other memory. */
	if (gm->droppable && end > start &&
	    madvise((void *)start, end - start, MADV_DONTNEED) == 0) {
		memset(p, 0, start - (uintptr_t)p);
		memset((void *)end, 0, (uintptr_t)p + len - end);
		return 0;
	}
	memset(p, 0, len);
	return 0;
}

uint64_t gm_end(const struct guest_mem *gm)
{
	if (!gm->nr)
		return 0;
	return gm->r[gm->nr - 1].gpa + gm->r[gm->nr - 1].size;
}
