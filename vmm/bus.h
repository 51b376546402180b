/* SPDX-License-Identifier: MIT */
/*
 * An address space (port IO or MMIO) of device ranges. Overlapping
 * registrations are refused; an access that no range fully contains reads
 * all-ones, is dropped on write and is counted, never fatal.
 */
#ifndef MICROVM_BUS_H
#define MICROVM_BUS_H

#include <stdint.h>

struct device;

struct bus_range {
	uint64_t base;
	uint64_t len;
	struct device *dev;
};

struct bus {
	const char *name; /* "pio" or "mmio", for messages */
	struct bus_range *r; /* sorted by base */
	unsigned nr, cap;
	uint64_t unhandled; /* accesses that hit no range */
};

void bus_init(struct bus *b, const char *name);
void bus_free(struct bus *b);

/* 0, -EINVAL (empty or wrapping range), -EEXIST (overlaps a registered range), -ENOMEM. */
int bus_register(struct bus *b, uint64_t base, uint64_t len, struct device *dev);

/* The range that wholly contains [addr, addr + len), or NULL. */
const struct bus_range *bus_find(const struct bus *b, uint64_t addr, unsigned len);

/* Dispatch to the device, or all-ones / drop and count when nothing is
 * there or len is not 1..8 (counted as well, never passed to a device). */
uint64_t bus_read(struct bus *b, uint64_t addr, unsigned len);
void bus_write(struct bus *b, uint64_t addr, unsigned len, uint64_t val);

#endif
