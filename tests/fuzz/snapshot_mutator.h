/* SPDX-License-Identifier: MIT */
/*
 * The snapshot target's structure-aware mutator (tests/fuzz/fuzz_snapshot.c):
 * a random byte change almost always breaks the state file's crc32 or its
 * FDT structure, which the reader refuses first, so most mutations take the
 * file apart with libfdt, change one property's value or size, drop a
 * property or a node, or copy one to another node, and seal the crc32 again
 * (vmm/state.c: crc32 of the blob with the crc32 value zeroed). The result
 * usually passes fdt_check_full and reaches the checks behind it.
 * Static functions only: included by the target alone.
 */
#ifndef MICROVM_TESTS_FUZZ_SNAPSHOT_MUTATOR_H
#define MICROVM_TESTS_FUZZ_SNAPSHOT_MUTATOR_H

#include <libfdt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "tests/fuzz/fuzz.h"


static inline void sm_seal(void *fdt)
{
	int len;
	uint8_t *p = fdt_getprop_w(fdt, 0, "crc32", &len);
	uint32_t c;

	if (!p || len != 4)
		return;
	memset(p, 0, 4);
	c = (uint32_t)crc32_z(crc32_z(0, Z_NULL, 0), fdt, fdt_totalsize(fdt));
	p[0] = (uint8_t)(c >> 24);
	p[1] = (uint8_t)(c >> 16);
	p[2] = (uint8_t)(c >> 8);
	p[3] = (uint8_t)c;
}

/* The n-th node (depth-first), or the root. */
static inline int sm_node(const void *fdt, unsigned n)
{
	int off = 0, depth = 0, pick = 0;

	for (unsigned i = 0; i < n; i++) {
		off = fdt_next_node(fdt, off, &depth);
		if (off < 0)
			return pick;
		pick = off;
	}
	return pick;
}

static inline unsigned sm_count_nodes(const void *fdt)
{
	int off = 0, depth = 0;
	unsigned n = 1;

	while ((off = fdt_next_node(fdt, off, &depth)) >= 0 && n < 100000)
		n++;
	return n;
}

/* A property of node off, chosen at random; its offset, or < 0. */
static inline int sm_prop(const void *fdt, int node, uint32_t *s)
{
	int off, n = 0, want;

	fdt_for_each_property_offset(off, fdt, node)
		n++;
	if (!n)
		return -1;
	want = (int)(fuzz_rand32(s) % (unsigned)n);
	fdt_for_each_property_offset(off, fdt, node)
		if (want-- == 0)
			return off;
	return -1;
}

static const uint64_t sm_values[] = {
	0, 1, 2, 3, 0xFF, 0x100, 0xFFF, 0x1000, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
	0x100000000ULL, 0x2000000, 0x2001000, 0x2000800, 0x2000001, 0xC0000800ULL, 0xC0000000, 0xC4000000, 1ULL << 40,
	(1ULL << 40) + 4096, 0xFFFFFFFFFFFFFFFFULL, 254, 255, 1024, 1025,
};

static inline void sm_put_be(uint8_t *p, int len, uint64_t v)
{
	for (int i = len - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* Change fdt (in a buffer of cap bytes, opened with room) once. */
static inline void sm_mutate_fdt(void *fdt, uint32_t *s)
{
	int node = sm_node(fdt, fuzz_rand32(s) % sm_count_nodes(fdt));
	int poff = sm_prop(fdt, node, s), len = 0;
	const char *name = NULL;
	const uint8_t *val = NULL;
	uint8_t buf[512];

	if (poff >= 0)
		val = fdt_getprop_by_offset(fdt, poff, &name, &len);
	switch (fuzz_rand32(s) % 8) {
	case 0: /* drop a property */
		if (name)
			fdt_delprop(fdt, node, name);
		return;
	case 1: /* drop a node */
		if (node > 0 && fuzz_rand32(s) % 2)
			fdt_del_node(fdt, node);
		return;
	case 2: /* a new size, the old bytes first */
		if (name) {
			int nl = (int)(fuzz_rand32(s) % (fuzz_rand32(s) % 2 ? 17 : sizeof(buf)));

			memset(buf, (int)(fuzz_rand32(s) & 0xFF), sizeof(buf));
			memcpy(buf, val, (size_t)(len < nl ? len : nl));
			fdt_setprop(fdt, node, name, buf, nl);
		}
		return;
	case 3: /* copy a property to another node */
		if (name && len <= (int)sizeof(buf)) {
			memcpy(buf, val, (size_t)len);
			memcpy(buf + 256, name, strnlen(name, 200) + 1);
			fdt_setprop(fdt, sm_node(fdt, fuzz_rand32(s) % sm_count_nodes(fdt)),
				    (const char *)buf + 256, buf, len);
		}
		return;
	default: /* one value: a cell, a u64, or a byte */
		if (name && len > 0) {
			uint8_t *w = fdt_getprop_w(fdt, node, name, &len);
			uint64_t v = sm_values[fuzz_rand32(s) % (sizeof(sm_values) / sizeof(sm_values[0]))];
			int at, width;

			if (!w || len <= 0)
				return;
			width = len >= 8 && fuzz_rand32(s) % 2 ? 8 : len >= 4 ? 4 : 1;
			at = (int)(fuzz_rand32(s) % (unsigned)(len - width + 1)) & ~(width - 1);
			if (fuzz_rand32(s) % 4 == 0)
				v = fuzz_rand32(s);
			sm_put_be(w + at, width, v);
		}
		return;
	}
}

static inline uint64_t sm_get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/*
 * The header says the memory size three times (mem-size and the two RAM
 * ranges vmm/e820.c derives from it): keep them agreeing, so a changed
 * size reaches the checks behind the agreement.
 */
static inline void sm_fix_header(void *fdt)
{
	int node = fdt_subnode_offset(fdt, 0, "header"), len;
	uint8_t *mem, *low, *high;
	uint64_t m, l;

	if (node < 0)
		return;
	mem = fdt_getprop_w(fdt, node, "mem-size", &len);
	if (!mem || len != 8)
		return;
	low = fdt_getprop_w(fdt, node, "ram-low-size", &len);
	if (!low || len != 8)
		return;
	high = fdt_getprop_w(fdt, node, "ram-high-size", &len);
	if (!high || len != 8)
		return;
	m = sm_get_be64(mem);
	l = m < 0xC0000000ULL ? m : 0xC0000000ULL;
	sm_put_be(low, 8, l);
	sm_put_be(high, 8, m - l);
}

static void *sm_buf; /* the mutator's working copy, grown as needed */
static size_t sm_buf_cap;

static inline size_t snapshot_fuzz_mutate(uint8_t *d, size_t size, size_t max_size, unsigned seed)
{
	uint32_t s = seed | 1;
	size_t cap = (size > max_size ? size : max_size) + 4096;
	void *fdt;
	size_t out = size;

#ifndef MICROVM_FUZZ_REPLAY
	if (fuzz_rand32(&s) % 8 == 0)
		return LLVMFuzzerMutate(d, size, max_size);
#endif
	/* libfdt's editing functions trust the blob: only a fully checked one is taken apart. */
	if (size < 40 || fdt_check_header(d) != 0 || fdt_totalsize(d) > size ||
	    fdt_check_full(d, size) != 0) {
#ifndef MICROVM_FUZZ_REPLAY
		return LLVMFuzzerMutate(d, size, max_size);
#else
		return size;
#endif
	}
	/*
	 * One buffer kept across calls: a fresh one of max_len each time made
	 * ASan map, fault in, unmap and release shadow for every mutation,
	 * which cost more than the target itself.
	 */
	if (cap > sm_buf_cap) {
		void *n = realloc(sm_buf, cap);

		if (!n)
			return size;
		sm_buf = n;
		sm_buf_cap = cap;
	}
	fdt = sm_buf;
	if (fdt_open_into(d, fdt, (int)cap) == 0) {
		unsigned n = 1 + fuzz_rand32(&s) % 3;

		for (unsigned i = 0; i < n; i++)
			sm_mutate_fdt(fdt, &s);
		if (fuzz_rand32(&s) % 2)
			sm_fix_header(fdt);
		fdt_pack(fdt);
		if (fuzz_rand32(&s) % 16)
			sm_seal(fdt);
		if (fdt_totalsize(fdt) <= max_size) {
			out = fdt_totalsize(fdt);
			memcpy(d, fdt, out);
		}
	}
	return out;
}

#endif
