/* SPDX-License-Identifier: MIT */
/*
 * vmm/state.c and vmm/state_read.c: round trips of every type, nested nodes, version and format
 * refusals, hostile files (every byte flipped, every truncation), and
 * fdtdump/dtc reading what we write. Crafted trees with a valid crc32:
 * test_state_crafted.c.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "tests/unit/state_fixture.h"
#include "tests/unit/tool_fixture.h"
#include "vmm/state.h"
#include "vmm/util.h"

Test(state, vmcoreinfo_round_trip)
{
	struct state_writer w;
	struct state_reader r;
	uint64_t addr = 0;
	uint8_t *data;
	size_t len;

	state_writer_init(&w);
	cr_assert_eq(vmci_save(&w, 0x7FFFF028), 0, "%s", w.err.msg);
	data = finish_copy(&w, &len);
	cr_assert_eq(fdt_magic(data), FDT_MAGIC);
	cr_assert_eq(fdt_totalsize(data), len);
	cr_assert_eq(state_reader_init(&r, data, len), 0, "%s", r.err.msg);
	cr_assert_eq(vmci_load(&r, &addr), 0, "%s", r.err.msg);
	cr_assert_eq(addr, 0x7FFFF028);
	free(data);
}

/* The encoding docs/snapshot.md promises: big-endian cells, fdt64, raw bytes, NUL-terminated strings. */
Test(state, encoding_is_plain_fdt)
{
	struct state_writer w;
	const uint8_t *p;
	uint8_t *data;
	size_t len;
	int node, plen;

	state_writer_init(&w);
	state_record_begin(&w, "dev", 7);
	state_put_u8(&w, "a", 0xA5);
	state_put_u16(&w, "b", 0xBEEF);
	state_put_u64(&w, "d", 0x0123456789ABCDEFULL);
	state_put_string(&w, "s", "hi");
	state_put_bool(&w, "t", true);
	state_record_end(&w);
	data = finish_copy(&w, &len);

	cr_assert_eq(fdt_check_full(data, len), 0);
	p = fdt_getprop(data, 0, "compatible", &plen);
	cr_assert_eq(plen, 14);
	cr_assert_str_eq((const char *)p, "microvm,state");
	p = fdt_getprop(data, 0, "format", &plen);
	cr_assert_eq(plen, 4);
	cr_assert_eq(get_be32(p), STATE_FORMAT);
	cr_assert_eq(STATE_FORMAT, 2, "format 1 was the retired MVMSTATE stream");
	node = fdt_subnode_offset(data, 0, "dev");
	cr_assert_geq(node, 0);
	p = fdt_getprop(data, node, "version", &plen);
	cr_assert_eq(get_be32(p), 7);
	p = fdt_getprop(data, node, "a", &plen);
	cr_assert_eq(plen, 4);
	cr_assert_arr_eq(p, "\0\0\0\xa5", 4);
	p = fdt_getprop(data, node, "b", &plen);
	cr_assert_arr_eq(p, "\0\0\xbe\xef", 4);
	p = fdt_getprop(data, node, "d", &plen);
	cr_assert_eq(plen, 8);
	cr_assert_eq(get_be64(p), 0x0123456789ABCDEFULL);
	p = fdt_getprop(data, node, "s", &plen);
	cr_assert_eq(plen, 3);
	cr_assert_arr_eq(p, "hi", 3);
	p = fdt_getprop(data, node, "t", &plen);
	cr_assert_arr_eq(p, "\0\0\0\1", 4);
	free(data);
}



Test(state, every_type_nested_and_listed)
{
	struct state_reader r;
	const char *name;
	uint32_t format;
	size_t len;
	uint8_t *data = sample(&len, 20000);
	int iter = 0;

	cr_assert_gt(len, 20000, "the writer grew past its first 4 KiB");
	cr_assert_eq(state_reader_init(&r, data, len), 0, "%s", r.err.msg);
	cr_assert_eq(state_get_u32(&r, "format", &format), 0, "the root is selected at first");
	cr_assert_eq(format, STATE_FORMAT);
	cr_assert_eq(sample_load(&r, 20000), 0, "%s", r.err.msg);

	cr_assert_eq(state_child_next(&r, &iter, &name), 1);
	cr_assert_str_eq(name, "header");
	cr_assert_eq(state_child_next(&r, &iter, &name), 1);
	cr_assert_str_eq(name, "devices");
	cr_assert_eq(state_child_next(&r, &iter, &name), 0);
	cr_assert_eq(state_node_enter(&r, "devices"), 0);
	iter = 0;
	cr_assert_eq(state_child_next(&r, &iter, &name), 1);
	cr_assert_str_eq(name, "first");
	cr_assert_eq(state_child_next(&r, &iter, &name), 1);
	cr_assert_str_eq(name, "vmcoreinfo");
	cr_assert_eq(state_child_next(&r, &iter, &name), 0);
	free(data);
}

Test(state, unknown_version_rejected)
{
	struct state_writer w;
	struct state_reader r;
	uint64_t addr = 0;
	uint8_t *data;
	size_t len;

	state_writer_init(&w);
	state_record_begin(&w, "vmcoreinfo", 2);
	state_put_u64(&w, "addr", 0x1000);
	state_record_end(&w);
	data = finish_copy(&w, &len);
	cr_assert_eq(state_reader_init(&r, data, len), 0, "%s", r.err.msg);
	cr_assert_eq(vmci_load(&r, &addr), -EPROTONOSUPPORT);
	cr_assert_str_eq(r.err.msg, "state: record vmcoreinfo version 2 is unknown to this microvm "
				    "(it reads versions 1..1)");
	cr_assert_eq(addr, 0, "nothing loaded");
	cr_assert_eq(state_get_u64(&r, "addr", &addr), -EINVAL, "a refused record is not selected");
	free(data);
}

Test(state, lookup_errors)
{
	struct state_writer w;
	struct state_reader r;
	const char *s;
	uint8_t buf[4], u8;
	uint16_t u16;
	uint32_t v, u32;
	uint64_t u64;
	uint8_t *data;
	size_t len;
	bool b;

	state_writer_init(&w);
	state_record_begin(&w, "dev", 1);
	state_put_u32(&w, "x", 7);
	state_put_u32(&w, "big", 0x10000);
	state_put_u32(&w, "two", 2);
	state_put_bytes(&w, "blob", "abc", 3);
	state_put_bytes(&w, "unterminated", "ab", 2);
	state_put_bytes(&w, "embedded", "a\0b", 4);
	state_record_end(&w);
	data = finish_copy(&w, &len);
	cr_assert_eq(state_reader_init(&r, data, len), 0);
	cr_assert_eq(state_record_open(&r, "other", 1, &v), -ENOENT);
	cr_assert_str_eq(r.err.msg, "state: node / has no record other");
	cr_assert_eq(state_get_u32(&r, "x", &u32), -EINVAL, "no record selected after a failed open");
	cr_assert_str_eq(r.err.msg, "state: field x read with no record open");
	cr_assert_eq(state_record_open(&r, "dev", 1, &v), 0);
	cr_assert_eq(state_get_u64(&r, "x", &u64), -EINVAL);
	cr_assert_str_eq(r.err.msg, "state: record dev: field x has 4 bytes, a u64 has 8");
	cr_assert_eq(state_get_u32(&r, "y", &u32), -ENOENT);
	cr_assert_str_eq(r.err.msg, "state: record dev has no field y");
	cr_assert_eq(state_get_bytes(&r, "blob", buf, 4), -EINVAL);
	cr_assert(strstr(r.err.msg, "field blob has 3 bytes"), "%s", r.err.msg);
	cr_assert_eq(state_get_u32(&r, "blob", &u32), -EINVAL, "3 bytes are no u32");
	cr_assert_eq(state_get_u16(&r, "big", &u16), -EINVAL);
	cr_assert_str_eq(r.err.msg, "state: record dev: field big is 65536, out of range for a u16");
	cr_assert_eq(state_get_u8(&r, "big", &u8), -EINVAL);
	cr_assert_eq(state_get_bool(&r, "two", &b), -EINVAL);
	cr_assert_eq(state_get_string(&r, "unterminated", &s), -EINVAL);
	cr_assert(strstr(r.err.msg, "not one NUL-terminated string"), "%s", r.err.msg);
	cr_assert_eq(state_get_string(&r, "embedded", &s), -EINVAL);
	cr_assert_eq(state_get_string(&r, "blob", &s), -EINVAL);
	cr_assert_eq(state_get_u32(&r, "x", &u32), 0);
	cr_assert_eq(u32, 7);
	cr_assert_eq(state_node_enter(&r, "dev"), 0);
	cr_assert_eq(state_get_u32(&r, "x", &u32), 0, "an entered node is selected");
	cr_assert_eq(state_node_enter(&r, "nothing"), -ENOENT);
	cr_assert_str_eq(r.err.msg, "state: node dev has no node nothing");
	state_node_leave(&r);
	cr_assert_eq(state_get_u32(&r, "format", &u32), 0, "back at the root");
	state_node_leave(&r);
	cr_assert_eq(state_get_u32(&r, "format", &u32), 0, "leaving the root stays there");
	free(data);
}

Test(state, writer_refuses_misuse)
{
	struct state_writer w;
	size_t len;

	state_writer_init(&w);
	state_record_begin(&w, "r", 1);
	state_put_u8(&w, "a", 1);
	cr_assert_eq(state_put_u8(&w, "a", 2), -EEXIST);
	cr_assert_null(state_writer_finish(&w, &len), "errors are sticky");
	cr_assert_eq(state_node_end(&w), -EEXIST, "errors are sticky");
	state_writer_free(&w);

	state_writer_init(&w);
	state_record_begin(&w, "r", 1);
	state_record_end(&w);
	cr_assert_eq(state_record_begin(&w, "r", 1), -EEXIST);
	state_writer_free(&w);

	state_writer_init(&w);
	cr_assert_eq(state_put_u32(&w, "format", 9), -EEXIST, "the root's own properties");
	state_writer_free(&w);

	state_writer_init(&w);
	state_record_begin(&w, "r", 1);
	cr_assert_eq(state_put_u32(&w, "version", 9), -EEXIST);
	state_writer_free(&w);

	state_writer_init(&w);
	state_node_begin(&w, "n");
	state_node_begin(&w, "child");
	state_node_end(&w);
	cr_assert_eq(state_put_u8(&w, "late", 1), -EINVAL, "properties come before child nodes");
	cr_assert(strstr(w.err.msg, "late: property after a child node"), "%s", w.err.msg);
	state_writer_free(&w);

	static const char *const bad_nodes[] = { "bad name", "", "@0", "a@", "a@b@c", "a/b",
						 "0123456789012345678901234567890123" };
	for (unsigned i = 0; i < ARRAY_SIZE(bad_nodes); i++) {
		state_writer_init(&w);
		cr_assert_eq(state_node_begin(&w, bad_nodes[i]), -EINVAL, "%s", bad_nodes[i]);
		state_writer_free(&w);
	}
	static const char *const bad_props[] = { "a b", "", "a@b", "name", "a/b" };
	for (unsigned i = 0; i < ARRAY_SIZE(bad_props); i++) {
		state_writer_init(&w);
		cr_assert_eq(state_put_u8(&w, bad_props[i], 1), -EINVAL, "%s", bad_props[i]);
		state_writer_free(&w);
	}
	state_writer_init(&w);
	cr_assert_eq(state_node_begin(&w, "cpu@0"), 0, "a unit address");
	cr_assert_eq(state_put_u8(&w, "#x,y+z?-_.", 1), 0, "every property character");
	state_writer_free(&w);

	state_writer_init(&w);
	cr_assert_eq(state_record_begin(&w, "r", 0), -EINVAL, "versions start at 1");
	state_writer_free(&w);

	state_writer_init(&w);
	cr_assert_eq(state_node_end(&w), -EINVAL, "the root is closed by finish");
	state_writer_free(&w);

	state_writer_init(&w);
	for (unsigned i = 0; i < STATE_DEPTH_MAX; i++)
		cr_assert_eq(state_node_begin(&w, "n"), 0);
	cr_assert_eq(state_node_begin(&w, "n"), -EINVAL, "deeper than %d", STATE_DEPTH_MAX);
	state_writer_free(&w);

	state_writer_init(&w);
	state_record_begin(&w, "open", 1);
	cr_assert_null(state_writer_finish(&w, &len), "record still open");
	cr_assert(strstr(w.err.msg, "still open"), "%s", w.err.msg);
	state_writer_free(&w);

	state_writer_init(&w);
	cr_assert_not_null(state_writer_finish(&w, &len));
	cr_assert_not_null(state_writer_finish(&w, &len), "finish twice gives the same blob");
	cr_assert_eq(state_put_u8(&w, "a", 1), -EINVAL, "nothing after finish");
	state_writer_free(&w);
}

/* Names unique among siblings only: the same record name in two nodes is fine. */
Test(state, names_are_per_node)
{
	struct state_writer w;
	struct state_reader r;
	uint64_t addr;
	uint8_t *data;
	size_t len;

	state_writer_init(&w);
	state_node_begin(&w, "a");
	vmci_save(&w, 1);
	state_node_end(&w);
	state_node_begin(&w, "b");
	vmci_save(&w, 2);
	state_node_end(&w);
	data = finish_copy(&w, &len);
	cr_assert_eq(state_reader_init(&r, data, len), 0);
	cr_assert_eq(vmci_load(&r, &addr), -ENOENT, "not at the root");
	cr_assert_eq(state_node_enter(&r, "b"), 0);
	cr_assert_eq(vmci_load(&r, &addr), 0);
	cr_assert_eq(addr, 2);
	free(data);
}

/*
 * Each property name is stored once in the strings block, however many
 * nodes use it (the writer shares them itself: libfdt's own search was
 * quadratic), and the tree stays valid and readable.
 */
Test(state, property_names_are_stored_once)
{
	struct state_writer w;
	struct state_reader r;
	char name[32], seen[64][32];
	unsigned nseen = 0;
	size_t len, want = 0;
	uint8_t *data;
	int off, node, plen;

	state_writer_init(&w);
	for (unsigned n = 0; n < 300; n++) {
		snprintf(name, sizeof(name), "cpu@%u", n);
		state_record_begin(&w, name, 1);
		for (unsigned f = 0; f < 20; f++) {
			snprintf(name, sizeof(name), "field-%u", f);
			state_put_u64(&w, name, (uint64_t)n << 32 | f);
		}
		state_put_u32(&w, n % 2 ? "odd" : "even", n);
		state_record_end(&w);
	}
	data = finish_copy(&w, &len);
	cr_assert_eq(fdt_check_full(data, len), 0);
	cr_assert_eq(fdt_totalsize(data), len);
	cr_assert_eq(state_reader_init(&r, data, len), 0, "%s", r.err.msg);

	/* Distinct names: compatible format crc32 version field-0..19 odd even. */
	fdt_for_each_subnode(node, data, 0) {
		fdt_for_each_property_offset(off, data, node) {
			const char *pn;
			unsigned i;

			fdt_getprop_by_offset(data, off, &pn, &plen);
			cr_assert_not_null(pn);
			for (i = 0; i < nseen && strcmp(seen[i], pn); i++)
				;
			if (i == nseen) {
				cr_assert_lt(nseen, 64);
				strcpy(seen[nseen++], pn);
				want += strlen(pn) + 1;
			}
		}
	}
	cr_assert_eq(nseen, 23);
	want += sizeof("compatible") + sizeof("format") + sizeof("crc32");
	cr_assert_eq(fdt_size_dt_strings(data), want, "strings block %u bytes, %zu names' worth",
		     fdt_size_dt_strings(data), want);
	node = fdt_path_offset(data, "/cpu@299");
	cr_assert_geq(node, 0);
	cr_assert_not_null(fdt_getprop(data, node, "odd", &plen));
	cr_assert_eq(fdt64_to_cpu(*(const fdt64_t *)fdt_getprop(data, node, "field-19", &plen)),
		     (uint64_t)299 << 32 | 19);
	free(data);
}

/* A repeated name is refused among hundreds (the writer's hash set grows), and a sibling node starts afresh. */
Test(state, repeated_name_found_among_many)
{
	struct state_writer w;
	char name[32];

	state_writer_init(&w);
	state_node_begin(&w, "big");
	for (unsigned f = 0; f < 500; f++) {
		snprintf(name, sizeof(name), "p-%u", f);
		cr_assert_eq(state_put_u32(&w, name, f), 0, "%s", w.err.msg);
	}
	cr_assert_eq(state_node_begin(&w, "p-250"), -EEXIST, "a child named as a property");
	state_writer_free(&w);

	state_writer_init(&w);
	for (unsigned n = 0; n < 3; n++) {
		snprintf(name, sizeof(name), "n%u", n);
		cr_assert_eq(state_node_begin(&w, name), 0, "%s", w.err.msg);
		for (unsigned f = 0; f < 100; f++) {
			snprintf(name, sizeof(name), "p-%u", f);
			cr_assert_eq(state_put_u32(&w, name, f), 0, "node %u: %s", n, w.err.msg);
		}
		cr_assert_eq(state_node_end(&w), 0);
	}
	cr_assert_eq(state_node_begin(&w, "n1"), -EEXIST, "a second child n1");
	cr_assert(strstr(w.err.msg, "written twice"), "%s", w.err.msg);
	state_writer_free(&w);
}

/* Refused with a one-line message, never accepted: state_reader_init or, failing that, the full load. */
static void assert_refused(uint8_t *p, size_t len, const char *what, size_t at)
{
	struct state_reader r;
	int ret = state_reader_init(&r, p, len);

	if (ret == 0)
		ret = sample_load(&r, 100);
	cr_assert_neq(ret, 0, "%s at offset %zu accepted", what, at);
	cr_assert_neq(ret, -EBADMSG, "%s at offset %zu read as different values", what, at);
	cr_assert_gt(strlen(r.err.msg), 0, "%s at offset %zu: no message", what, at);
	cr_assert_null(strchr(r.err.msg, '\n'), "%s: one line: %s", what, r.err.msg);
}

Test(state, every_byte_flipped_and_every_truncation_refused)
{
	struct state_reader r;
	size_t len;
	uint8_t *s = sample(&len, 100);
	static const uint8_t flips[] = { 0xFF, 0x01 };

	cr_assert_eq(state_reader_init(&r, s, len), 0, "%s", r.err.msg);
	cr_assert_eq(sample_load(&r, 100), 0, "%s", r.err.msg);
	for (size_t i = 0; i < len; i++) {
		uint8_t *p = malloc(len);

		for (unsigned f = 0; f < ARRAY_SIZE(flips); f++) {
			memcpy(p, s, len);
			p[i] ^= flips[f];
			assert_refused(p, len, flips[f] == 1 ? "flip 0x01" : "flip 0xFF", i);
		}
		free(p);
		/* A prefix in an allocation of its own: ASan catches a read past it. */
		p = malloc(i ? i : 1);
		memcpy(p, s, i);
		assert_refused(p, i, "truncation", i);
		free(p);
	}
	free(s);
}

Test(state, plain_refusals_name_the_problem)
{
	struct state_reader r;
	size_t len;
	uint8_t *s = sample(&len, 10);
	uint8_t *big = calloc(1, len + 8);

	cr_assert_eq(state_reader_init(&r, s, 10), -EINVAL);
	cr_assert_str_eq(r.err.msg, "state: truncated: 10 bytes, less than a device tree header");
	cr_assert_eq(state_reader_init(&r, s, len - 1), -EINVAL);
	cr_assert(strstr(r.err.msg, "state: truncated: the header says"), "%s", r.err.msg);
	memcpy(big, s, len);
	cr_assert_eq(state_reader_init(&r, big, len + 8), -EINVAL);
	cr_assert(strstr(r.err.msg, "8 trailing bytes"), "%s", r.err.msg);
	memcpy(big, "MVMSTATE\x01\0\0\0", 12);
	cr_assert_eq(state_reader_init(&r, big, len), -EPROTONOSUPPORT);
	cr_assert_str_eq(r.err.msg, "state: format 1 (MVMSTATE) is retired; this microvm reads format 2");
	memcpy(big, "\x7f" "ELF", 4);
	cr_assert_eq(state_reader_init(&r, big, len), -EINVAL);
	cr_assert_str_eq(r.err.msg, "state: not a state file (no device tree magic)");
	memcpy(big + 1, s, len);
	cr_assert_eq(state_reader_init(&r, big + 1, len), -EINVAL);
	cr_assert(strstr(r.err.msg, "aligned"), "%s", r.err.msg);
	s[len - 2] ^= 0x40; /* in the strings block: a property name */
	cr_assert_eq(state_reader_init(&r, s, len), -EINVAL);
	free(big);
	free(s);
}

/* ---- the standard tools read the file ---- */

Test(state, fdtdump_and_dtc_read_the_file)
{
	size_t len;
	uint8_t *s = sample(&len, 16);
	char *text;

	if (!tool_installed("fdtdump") || !tool_installed("dtc"))
		cr_skip("fdtdump or dtc is not installed (package device-tree-compiler)");
	text = tool_run_on("fdtdump", s, len);
	cr_assert_not_null(text, "fdtdump failed");
	cr_assert(strstr(text, "vmcoreinfo {"), "%s", text);
	cr_assert(strstr(text, "compatible = \"microvm,state\";"), "%s", text);
	free(text);

	text = tool_run_on("dtc -I dtb -O dts", s, len);
	cr_assert_not_null(text, "dtc failed");
	cr_assert(strstr(text, "devices {"), "%s", text);
	cr_assert(strstr(text, "format = <0x02>;"), "%s", text);
	cr_assert(strstr(text, "addr = <0x00 0xfeed>;"), "%s", text);
	cr_assert_null(strstr(text, "Warning"), "dtc has no complaint: %s", text);
	free(text);
	free(s);
}
