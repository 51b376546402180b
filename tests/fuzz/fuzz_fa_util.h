/* SPDX-License-Identifier: MIT */
/*
 * What the fw_cfg, loader and vmcoreinfo fuzz targets share: fake guest RAM
 * whose regions sit where the real machine's edges are (below 3 GiB, at
 * 4 GiB, just under 2^64), each mmap'd between two PROT_NONE guard pages so
 * a host access past a region's end faults at once (ASan does not watch
 * mmap'd memory); a shadow copy the targets keep as the model of what RAM
 * must hold; a byte reader that yields zeros once the input is used up; and
 * a chooser of guest addresses near those edges.
 *
 * Static only: the replay build links every target into one binary.
 */
#ifndef MICROVM_TESTS_FUZZ_FA_UTIL_H
#define MICROVM_TESTS_FUZZ_FA_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tests/fuzz/fuzz.h"
#include "vmm/guest_mem.h"
#include "vmm/util.h"

/* ---- the input, as a stream ---- */

struct fin {
	const uint8_t *p;
	size_t n;
};

static inline bool fin_more(const struct fin *in)
{
	return in->n > 0;
}

static inline uint8_t fin_u8(struct fin *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static inline uint16_t fin_u16(struct fin *in)
{
	uint16_t v = fin_u8(in);

	return (uint16_t)(v | fin_u8(in) << 8);
}

static inline uint32_t fin_u32(struct fin *in)
{
	uint32_t v = fin_u16(in);

	return v | (uint32_t)fin_u16(in) << 16;
}

static inline uint64_t fin_u64(struct fin *in)
{
	uint64_t v = fin_u32(in);

	return v | (uint64_t)fin_u32(in) << 32;
}

/* ---- guest RAM with guard pages and a shadow ---- */

#define FA_MAX_REGIONS GM_MAX_REGIONS

struct fa_ram {
	struct guest_mem gm;
	uint8_t *shadow[FA_MAX_REGIONS];   /* what each region must hold */
	uint8_t *pristine[FA_MAX_REGIONS]; /* the pattern each input starts from */
	size_t page;
};

/* Map size bytes (a page multiple) between two inaccessible pages. */
static inline uint8_t *fa_guarded(size_t size, size_t page)
{
	uint8_t *m = mmap(NULL, size + 2 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	FUZZ_CHECK(m != MAP_FAILED, "mmap of %zu bytes", size);
	FUZZ_CHECK(mprotect(m + page, size, PROT_READ | PROT_WRITE) == 0, "mprotect");
	return m + page;
}

/* Regions in ascending order: {gpa, size} pairs, n of them. */
static inline void fa_ram_init(struct fa_ram *r, const uint64_t (*layout)[2], unsigned n)
{
	memset(r, 0, sizeof(*r));
	r->page = (size_t)sysconf(_SC_PAGESIZE);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *host = fa_guarded(layout[i][1], r->page);

		FUZZ_CHECK(gm_add_region(&r->gm, layout[i][0], layout[i][1], host) == 0, "region %u", i);
		r->shadow[i] = malloc(layout[i][1]);
		r->pristine[i] = malloc(layout[i][1]);
		FUZZ_CHECK(r->shadow[i] && r->pristine[i], "shadow");
		/* Not zeros: a zero-fill must show. */
		for (uint64_t o = 0; o < layout[i][1]; o++)
			r->pristine[i][o] = (uint8_t)(i * 59 + o * 131 + (o >> 8) * 7 + 1);
	}
}

/* RAM and shadow back to the pattern. */
static inline void fa_ram_fill(struct fa_ram *r)
{
	for (unsigned i = 0; i < r->gm.nr; i++) {
		memcpy(r->shadow[i], r->pristine[i], r->gm.r[i].size);
		memcpy(r->gm.r[i].host, r->pristine[i], r->gm.r[i].size);
	}
}

/* Shadow byte for gpa, or NULL outside RAM (my own lookup, not gm_ptr's). */
static inline uint8_t *fa_shadow_at(struct fa_ram *r, uint64_t gpa)
{
	for (unsigned i = 0; i < r->gm.nr; i++)
		if (gpa >= r->gm.r[i].gpa && gpa - r->gm.r[i].gpa < r->gm.r[i].size)
			return &r->shadow[i][gpa - r->gm.r[i].gpa];
	return NULL;
}

/* Whether [gpa, gpa + len) lies inside one region (len 0 counts as 1, as gm_ptr says). */
static inline bool fa_in_one_region(const struct fa_ram *r, uint64_t gpa, uint64_t len, unsigned *idx)
{
	if (!len)
		len = 1;
	for (unsigned i = 0; i < r->gm.nr; i++) {
		uint64_t s = r->gm.r[i].gpa, e = s + r->gm.r[i].size;

		if (gpa >= s && gpa < e && len <= e - gpa) {
			if (idx)
				*idx = i;
			return true;
		}
	}
	return false;
}

/* Write bytes as the guest would (RAM and shadow); bytes outside RAM are dropped. */
static inline void fa_guest_write(struct fa_ram *r, uint64_t gpa, const uint8_t *src, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t *s = fa_shadow_at(r, gpa + i);

		if (s) {
			*s = src[i];
			*(uint8_t *)gm_ptr(&r->gm, gpa + i, 1) = src[i];
		}
	}
}

/* RAM must equal its shadow, byte for byte. */
static inline void fa_ram_check(const struct fa_ram *r, const char *after)
{
	for (unsigned i = 0; i < r->gm.nr; i++) {
		const uint8_t *h = r->gm.r[i].host, *s = r->shadow[i];

		if (memcmp(h, s, r->gm.r[i].size) == 0)
			continue;
		for (uint64_t o = 0; o < r->gm.r[i].size; o++)
			FUZZ_CHECK(h[o] == s[o], "after %s: guest RAM at 0x%llx is 0x%02x, the model says 0x%02x",
				   after, (unsigned long long)(r->gm.r[i].gpa + o), h[o], s[o]);
	}
}

/*
 * A guest address near an edge: byte 0 picks the base (a region's start or
 * end, 3 GiB, 4 GiB, 2^64, 0) or a raw 64-bit value, byte 1 a signed delta.
 */
static inline uint64_t fa_pick_addr(const struct fa_ram *r, struct fin *in)
{
	uint8_t sel = fin_u8(in);
	unsigned nb = 2 * r->gm.nr + 4;
	uint64_t base;
	int8_t delta;
	uint8_t scale;

	if (sel == 0xff)
		return fin_u64(in);
	sel %= nb;
	if (sel < 2 * r->gm.nr) {
		const struct gm_region *g = &r->gm.r[sel / 2];
		base = sel % 2 ? g->gpa + g->size : g->gpa;
	} else {
		static const uint64_t edges[] = { 0, 3 * GiB, 4 * GiB, 0 /* 2^64 */ };
		base = edges[sel - 2 * r->gm.nr];
	}
	delta = (int8_t)fin_u8(in);
	scale = fin_u8(in) & 0x3f ? 1 : 64;
	return base + (uint64_t)((int64_t)delta * scale);
}

/* The guest writes up to 23 bytes of the input somewhere (its own RAM changing under the device). */
static inline void fa_random_guest_write(struct fa_ram *r, struct fin *in)
{
	uint8_t buf[24];
	uint64_t gpa = fa_pick_addr(r, in);
	size_t n = fin_u8(in) % sizeof(buf);

	for (size_t i = 0; i < n; i++)
		buf[i] = fin_u8(in);
	fa_guest_write(r, gpa, buf, n);
}

#endif
