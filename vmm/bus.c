/* SPDX-License-Identifier: MIT */
#include "vmm/bus.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/device.h"
#include "vmm/log.h"

void bus_init(struct bus *b, const char *name)
{
	memset(b, 0, sizeof(*b));
	b->name = name;
}

void bus_free(struct bus *b)
{
	free(b->r);
	b->r = NULL;
	b->nr = b->cap = 0;
}

int bus_register(struct bus *b, uint64_t base, uint64_t len, struct device *dev)
{
	unsigned pos;

	if (len == 0 || base + len < base)
		return -EINVAL;
	for (unsigned i = 0; i < b->nr; i++)
		if (base < b->r[i].base + b->r[i].len && b->r[i].base < base + len)
			return -EEXIST;
	for (pos = 0; pos < b->nr && b->r[pos].base < base; pos++)
		;
	if (b->nr == b->cap) {
		unsigned cap = b->cap ? b->cap * 2 : 16;
		struct bus_range *n = realloc(b->r, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		b->r = n;
		b->cap = cap;
	}
	memmove(&b->r[pos + 1], &b->r[pos], (b->nr - pos) * sizeof(*b->r));
	b->r[pos] = (struct bus_range){ .base = base, .len = len, .dev = dev };
	b->nr++;
	return 0;
}

const struct bus_range *bus_find(const struct bus *b, uint64_t addr, unsigned len)
{
	unsigned lo = 0, hi = b->nr;

	if (len == 0)
		len = 1;
	/* Binary search for the last range with base <= addr. */
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		if (b->r[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	const struct bus_range *r = &b->r[lo - 1];
	uint64_t off = addr - r->base;
	if (off >= r->len || len > r->len - off)
		return NULL;
	return r;
}

/* Devices take 1..8 bytes in a uint64_t. An exit of another size should
 * not happen (KVM splits wider accesses); if one does, it reaches no
 * device and is counted like an access to nothing, not lost silently. */
static bool bus_len_ok(unsigned len)
{
	return len >= 1 && len <= 8;
}

uint64_t bus_read(struct bus *b, uint64_t addr, unsigned len)
{
	const struct bus_range *r = bus_len_ok(len) ? bus_find(b, addr, len) : NULL;

	if (!r || !r->dev->ops->io_read) {
		b->unhandled++;
		log_debug("%s: read of %u bytes at 0x%llx hits no device", b->name, len,
			  (unsigned long long)addr);
		return len >= 8 || len == 0 ? ~0ULL : (1ULL << (len * 8)) - 1;
	}
	return r->dev->ops->io_read(r->dev, addr - r->base, len);
}

void bus_write(struct bus *b, uint64_t addr, unsigned len, uint64_t val)
{
	const struct bus_range *r = bus_len_ok(len) ? bus_find(b, addr, len) : NULL;

	if (!r || !r->dev->ops->io_write) {
		b->unhandled++;
		log_debug("%s: write of %u bytes (0x%llx) at 0x%llx hits no device", b->name, len,
			  (unsigned long long)val, (unsigned long long)addr);
		return;
	}
	r->dev->ops->io_write(r->dev, addr - r->base, len, val);
}
