/* SPDX-License-Identifier: MIT */
/*
 * vmm/state_read.c against crafted trees: each has a valid crc32 and a
 * hostile structure (a format from the future, wrong types and sizes,
 * duplicated fields, deep nesting, random damage resealed), so the
 * reader's structure checks must stand on their own.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "tests/unit/state_fixture.h"
#include "vmm/state.h"
#include "vmm/util.h"

/* ---- crafted trees: valid crc32, hostile structure. The structure checks must stand alone. ---- */

/* A root like the writer's (compatible, format, crc32) in size bytes at buf, left open for more. */
static void craft_begin_sized(void *buf, int size, const char *compatible, uint32_t format)
{
	cr_assert_eq(fdt_create(buf, size), 0);
	cr_assert_eq(fdt_finish_reservemap(buf), 0);
	cr_assert_eq(fdt_begin_node(buf, ""), 0);
	if (compatible)
		cr_assert_eq(fdt_property_string(buf, "compatible", compatible), 0);
	cr_assert_eq(fdt_property_u32(buf, "format", format), 0);
	cr_assert_eq(fdt_property_u32(buf, "crc32", 0), 0);
}

static void craft_begin(void *buf, const char *compatible, uint32_t format)
{
	craft_begin_sized(buf, 4096, compatible, format);
}

static int craft_end(void *buf, struct state_reader *r)
{
	cr_assert_eq(fdt_end_node(buf), 0);
	cr_assert_eq(fdt_finish(buf), 0);
	state_seal(buf);
	return state_reader_init(r, buf, fdt_totalsize(buf));
}

Test(state, format_from_the_future)
{
	static uint64_t buf[512];
	struct state_reader r;
	size_t len;
	uint8_t *s = sample(&len, 0);
	int plen;
	uint8_t *fmt = fdt_getprop_w(s, 0, "format", &plen);

	/* A newer microvm's file: refused by its format, whatever else changed (checked before the crc32). */
	put_be32(fmt, 3);
	cr_assert_eq(state_reader_init(&r, s, len), -EPROTONOSUPPORT);
	cr_assert_str_eq(r.err.msg, "state: format 3 is newer than this microvm understands (2); use a newer microvm");
	state_seal(s);
	cr_assert_eq(state_reader_init(&r, s, len), -EPROTONOSUPPORT, "sealed or not");
	put_be32(fmt, 0);
	state_seal(s);
	cr_assert_eq(state_reader_init(&r, s, len), -EPROTONOSUPPORT);
	cr_assert_str_eq(r.err.msg, "state: format 0 is not one this microvm reads (it reads 2)");
	free(s);

	craft_begin(buf, "microvm,state", 0xFFFFFFFF);
	cr_assert_eq(craft_end(buf, &r), -EPROTONOSUPPORT);
	cr_assert(strstr(r.err.msg, "format 4294967295 is newer"), "%s", r.err.msg);
}

Test(state, crafted_valid_tree_is_read)
{
	static uint64_t buf[512];
	struct state_reader r;
	uint64_t addr;

	craft_begin(buf, "microvm,state", STATE_FORMAT);
	fdt_begin_node(buf, "vmcoreinfo");
	fdt_property_u32(buf, "version", 1);
	fdt_property_u64(buf, "addr", 0x1234);
	fdt_property_u32(buf, "from-the-future", 1); /* unknown properties are ignored */
	fdt_end_node(buf);
	cr_assert_eq(craft_end(buf, &r), 0, "%s", r.err.msg);
	cr_assert_eq(vmci_load(&r, &addr), 0, "%s", r.err.msg);
	cr_assert_eq(addr, 0x1234);
}

Test(state, crafted_hostile_trees)
{
	static uint64_t buf[512];
	struct state_reader r;
	uint64_t addr;
	uint32_t v;

	craft_begin(buf, "other,thing", STATE_FORMAT);
	cr_assert_eq(craft_end(buf, &r), -EINVAL);
	cr_assert(strstr(r.err.msg, "not a microvm state file"), "%s", r.err.msg);

	craft_begin(buf, NULL, STATE_FORMAT);
	cr_assert_eq(craft_end(buf, &r), -EINVAL, "no compatible");

	craft_begin(buf, "microvm,state", STATE_FORMAT);
	fdt_property(buf, "format", "\0\0", 2); /* a second format */
	cr_assert_eq(craft_end(buf, &r), -EINVAL, "two formats");

	/* The version: absent, short, zero. */
	craft_begin(buf, "microvm,state", STATE_FORMAT);
	fdt_begin_node(buf, "vmcoreinfo");
	fdt_property_u64(buf, "addr", 1);
	fdt_end_node(buf);
	cr_assert_eq(craft_end(buf, &r), 0);
	cr_assert_eq(vmci_load(&r, &addr), -EINVAL);
	cr_assert_str_eq(r.err.msg, "state: record vmcoreinfo has no 4-byte version");

	craft_begin(buf, "microvm,state", STATE_FORMAT);
	fdt_begin_node(buf, "vmcoreinfo");
	fdt_property(buf, "version", "\1", 1);
	fdt_end_node(buf);
	cr_assert_eq(craft_end(buf, &r), 0);
	cr_assert_eq(vmci_load(&r, &addr), -EINVAL);

	craft_begin(buf, "microvm,state", STATE_FORMAT);
	fdt_begin_node(buf, "vmcoreinfo");
	fdt_property_u32(buf, "version", 0);
	fdt_end_node(buf);
	cr_assert_eq(craft_end(buf, &r), 0);
	cr_assert_eq(vmci_load(&r, &addr), -EPROTONOSUPPORT, "version 0 is never valid");

	/* Sizes: a u64 of 4 bytes, of 12. */
	craft_begin(buf, "microvm,state", STATE_FORMAT);
	fdt_begin_node(buf, "vmcoreinfo");
	fdt_property_u32(buf, "version", 1);
	fdt_property_u32(buf, "addr", 1);
	fdt_end_node(buf);
	cr_assert_eq(craft_end(buf, &r), 0);
	cr_assert_eq(vmci_load(&r, &addr), -EINVAL);
	cr_assert_str_eq(r.err.msg, "state: record vmcoreinfo: field addr has 4 bytes, a u64 has 8");

	craft_begin(buf, "microvm,state", STATE_FORMAT);
	fdt_begin_node(buf, "vmcoreinfo");
	fdt_property_u32(buf, "version", 1);
	fdt_property(buf, "addr", "123456789012", 12);
	fdt_end_node(buf);
	cr_assert_eq(craft_end(buf, &r), 0);
	cr_assert_eq(vmci_load(&r, &addr), -EINVAL);

	/* Duplicates: a node, a property. libfdt's own lookups would take the first silently. */
	craft_begin(buf, "microvm,state", STATE_FORMAT);
	for (int i = 0; i < 2; i++) {
		fdt_begin_node(buf, "vmcoreinfo");
		fdt_property_u32(buf, "version", 1);
		fdt_property_u64(buf, "addr", 1);
		fdt_end_node(buf);
	}
	cr_assert_eq(craft_end(buf, &r), 0);
	cr_assert_eq(state_record_open(&r, "vmcoreinfo", 1, &v), -EINVAL);
	cr_assert_str_eq(r.err.msg, "state: record vmcoreinfo appears twice in node /");

	craft_begin(buf, "microvm,state", STATE_FORMAT);
	fdt_begin_node(buf, "vmcoreinfo");
	fdt_property_u32(buf, "version", 1);
	fdt_property_u64(buf, "addr", 1);
	fdt_property_u64(buf, "addr", 2);
	fdt_end_node(buf);
	cr_assert_eq(craft_end(buf, &r), 0);
	cr_assert_eq(vmci_load(&r, &addr), -EINVAL);
	cr_assert_str_eq(r.err.msg, "state: record vmcoreinfo: field addr appears twice");

	/* A doubled field the load never asks for still makes the record ambiguous. */
	craft_begin(buf, "microvm,state", STATE_FORMAT);
	fdt_begin_node(buf, "vmcoreinfo");
	fdt_property_u32(buf, "version", 1);
	fdt_property_u64(buf, "addr", 1);
	fdt_property_u32(buf, "future", 1);
	fdt_property_u32(buf, "future", 2);
	fdt_end_node(buf);
	cr_assert_eq(craft_end(buf, &r), 0);
	cr_assert_eq(vmci_load(&r, &addr), -EINVAL);
	cr_assert_str_eq(r.err.msg, "state: record vmcoreinfo: field future appears twice");
}

/* Fields are found in any order, however many a record has (the search resumes where the last one ended). */
Test(state, fields_in_any_order)
{
	enum { N = 3000 };
	static uint64_t buf[N * 4 + 1024];
	struct state_reader r;
	char name[16];
	uint32_t v;

	craft_begin_sized(buf, sizeof(buf), "microvm,state", STATE_FORMAT);
	cr_assert_eq(fdt_begin_node(buf, "big"), 0);
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		cr_assert_eq(fdt_property_u32(buf, name, (uint32_t)i * 7), 0);
	}
	fdt_end_node(buf);
	cr_assert_eq(craft_end(buf, &r), 0, "%s", r.err.msg);
	cr_assert_eq(state_node_enter(&r, "big"), 0);
	for (int pass = 0; pass < 3; pass++)
		for (int k = 0; k < N; k++) {
			int i = pass == 0 ? k : pass == 1 ? N - 1 - k : (k * 1237) % N;

			snprintf(name, sizeof(name), "f%d", i);
			cr_assert_eq(state_get_u32(&r, name, &v), 0, "pass %d %s: %s", pass, name, r.err.msg);
			cr_assert_eq(v, (uint32_t)i * 7);
		}
	cr_assert_eq(state_get_u32(&r, "f3000", &v), -ENOENT);
	cr_assert_str_eq(r.err.msg, "state: record big has no field f3000");
	cr_assert_eq(state_get_u32(&r, "f0", &v), 0, "found again after a miss");
}

Test(state, nesting_is_bounded)
{
	static uint64_t buf[512];
	struct state_reader r;

	craft_begin(buf, "microvm,state", STATE_FORMAT);
	for (int i = 0; i < 12; i++)
		fdt_begin_node(buf, "n");
	for (int i = 0; i < 12; i++)
		fdt_end_node(buf);
	cr_assert_eq(craft_end(buf, &r), 0, "%s", r.err.msg);
	for (int i = 0; i < STATE_DEPTH_MAX; i++)
		cr_assert_eq(state_node_enter(&r, "n"), 0);
	cr_assert_eq(state_node_enter(&r, "n"), -EINVAL);
	cr_assert(strstr(r.err.msg, "nested deeper than 8"), "%s", r.err.msg);
}

/* Random damage with the crc32 fixed up, so libfdt's checks and ours meet it: refused or read, never a crash. */
Test(state, resealed_random_damage_never_crashes)
{
	struct state_reader r;
	size_t len;
	uint8_t *s = sample(&len, 40), *p = malloc(len);
	unsigned seed = 12345;
	size_t crc_off;
	int plen;

	crc_off = (size_t)((const uint8_t *)fdt_getprop(s, 0, "crc32", &plen) - s);
	for (int iter = 0; iter < 20000; iter++) {
		memcpy(p, s, len);
		for (int k = 1 + rand_r(&seed) % 4; k > 0; k--) {
			size_t at = (size_t)rand_r(&seed) % len;

			if (at < crc_off || at >= crc_off + 4)
				p[at] = (uint8_t)rand_r(&seed);
		}
		put_be32(p + crc_off, 0);
		put_be32(p + crc_off, (uint32_t)crc32_z(crc32_z(0, Z_NULL, 0), p, len));
		if (state_reader_init(&r, p, len) == 0 && sample_load(&r, 40))
			cr_assert_gt(strlen(r.err.msg), 0);
	}
	free(p);
	free(s);
}
