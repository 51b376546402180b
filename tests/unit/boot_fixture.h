/* SPDX-License-Identifier: MIT */
/*
 * Fake guest RAM for the kernel loader tests: one sparse anonymous mapping
 * (MAP_NORESERVE, so --mem 5G costs only the pages a test touches) split into
 * the RAM ranges of shared/DESIGN.md §3, with the e820 map for the same size.
 * Static inline only: every test file is linked into one binary.
 */
#ifndef MICROVM_TESTS_BOOT_FIXTURE_H
#define MICROVM_TESTS_BOOT_FIXTURE_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vmm/boot.h"
#include "vmm/e820.h"
#include "vmm/guest_mem.h"
#include "vmm/layout.h"

struct tmem {
	struct guest_mem gm;
	struct e820_map map;
	uint8_t *host;
	size_t host_size;
	uint64_t mem;
};

static inline void tmem_init(struct tmem *t, uint64_t mem)
{
	struct ram_layout l = ram_layout_of(mem);

	memset(t, 0, sizeof(*t));
	t->mem = mem;
	t->host_size = l.low_size + l.high_size;
	t->host = mmap(NULL, t->host_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	cr_assert(t->host != MAP_FAILED, "mmap %zu bytes", t->host_size);
	cr_assert_eq(gm_add_region(&t->gm, 0, l.low_size, t->host), 0);
	if (l.high_size)
		cr_assert_eq(gm_add_region(&t->gm, LAYOUT_4G, l.high_size, t->host + l.low_size), 0);
	t->gm.droppable = true; /* private and anonymous, as vm.c maps guest RAM */
	cr_assert_eq(e820_build(&t->map, mem), 0);
}

static inline void tmem_fini(struct tmem *t)
{
	munmap(t->host, t->host_size);
}

/* Host pointer to guest bytes, asserting they are RAM. */
static inline uint8_t *tmem_at(const struct tmem *t, uint64_t gpa, uint64_t len)
{
	uint8_t *p = gm_ptr(&t->gm, gpa, len);

	cr_assert_not_null(p, "gpa 0x%llx+0x%llx not in test RAM", (unsigned long long)gpa,
			   (unsigned long long)len);
	return p;
}

/* Little-endian reads from test buffers (independent of vmm/util.h on purpose). */
static inline uint64_t t_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = n; i--;)
		v = v << 8 | p[i];
	return v;
}

static inline void t_put(uint8_t *p, unsigned n, uint64_t v)
{
	for (unsigned i = 0; i < n; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

/* A file from disk for the real-image tests; NULL (and a printed reason) if absent. */
static inline uint8_t *t_slurp(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return NULL;
	}
	buf = malloc((size_t)n);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*size = (size_t)n;
	return buf;
}

/* Where `make linux-image` puts the Debian kernel; MICROVM_LINUX_DIR overrides. */
static inline const char *t_linux_dir(void)
{
	const char *d = getenv("MICROVM_LINUX_DIR");

	return d ? d : "build/guest-images/linux";
}

#endif
