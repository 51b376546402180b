/* SPDX-License-Identifier: MIT */
/*
 * vmm/state.c and vmm/state_read.c: round trips of every type, nested nodes, version and format
 * refusals, hostile files (every byte flipped, every truncation, crafted
 * trees with a valid crc32), and fdtdump/dtc reading what we write.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <libfdt.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "tests/unit/state_fixture.h"
#include "tests/unit/tool_fixture.h"
#include "vmm/state.h"
#include "vmm/util.h"

/* The vmcoreinfo device's save and load, as devices/vmcoreinfo.c writes them. */
static int vmci_save(struct state_writer *w, uint64_t addr)
{
	state_record_begin(w, "vmcoreinfo", 1);
	state_put_u64(w, "addr", addr);
	return state_record_end(w);
}

static int vmci_load(struct state_reader *r, uint64_t *addr)
{
	uint32_t v;
	int ret = state_record_open(r, "vmcoreinfo", 1, &v);

	return ret ? ret : state_get_u64(r, "addr", addr);
}

/* A copy of the finished blob in its own (8-byte aligned) allocation, so ASan sees any overrun. */
static uint8_t *finish_copy(struct state_writer *w, size_t *len)
{
	const uint8_t *d = state_writer_finish(w, len);
	uint8_t *copy;

	cr_assert_not_null(d, "%s", w->err.msg);
	copy = malloc(*len);
	cr_assert_not_null(copy);
	memcpy(copy, d, *len);
	state_writer_free(w);
	return copy;
}

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

/*
 * The sample for the hostile-input tests: a plain node, a nested node with
 * a record of every type, another record, and a big value that makes the
 * writer grow its buffer.
 */
static uint8_t *sample(size_t *len, size_t big)
{
	struct state_writer w;
	uint8_t *blob = malloc(big ? big : 1);

	for (size_t i = 0; i < big; i++)
		blob[i] = (uint8_t)(i * 13);
	state_writer_init(&w);
	state_node_begin(&w, "header");
	state_put_string(&w, "machine", "microvm");
	state_node_end(&w);
	state_node_begin(&w, "devices");
	state_record_begin(&w, "first", 3);
	state_put_u8(&w, "a", 0xA5);
	state_put_u16(&w, "b", 0xBEEF);
	state_put_u32(&w, "c", 0xDEADBEEF);
	state_put_u64(&w, "d", 0x0123456789ABCDEFULL);
	state_put_bool(&w, "f", true);
	state_put_bytes(&w, "e", "hello", 5);
	state_put_bytes(&w, "empty", NULL, 0);
	state_put_bytes(&w, "big", blob, big);
	state_put_string(&w, "s", "text");
	state_record_end(&w);
	vmci_save(&w, 0xFEED);
	state_node_end(&w);
	free(blob);
	return finish_copy(&w, len);
}

/*
 * Read everything sample() wrote: 0; the reader's refusal; or -EBADMSG when
 * a value read differs from what was written (damage the reader missed).
 */
static int sample_load(struct state_reader *r, size_t big)
{
	const uint8_t *blob;
	const char *s, *m;
	uint8_t b8, bytes[5];
	uint16_t b16;
	uint32_t b32, v;
	uint64_t b64, addr;
	size_t n, nbig;
	bool f, same;
	int rc;

	if ((rc = state_node_enter(r, "header")) || (rc = state_get_string(r, "machine", &m)))
		return rc;
	state_node_leave(r);
	if ((rc = state_node_enter(r, "devices")) || (rc = state_record_open(r, "first", 5, &v)) ||
	    (rc = state_get_u8(r, "a", &b8)) || (rc = state_get_u16(r, "b", &b16)) ||
	    (rc = state_get_u32(r, "c", &b32)) || (rc = state_get_u64(r, "d", &b64)) ||
	    (rc = state_get_bool(r, "f", &f)) || (rc = state_get_bytes(r, "e", bytes, 5)) ||
	    (rc = state_get_blob(r, "empty", &blob, &n)) || (rc = state_get_string(r, "s", &s)) ||
	    (rc = state_get_blob(r, "big", &blob, &nbig)) || (rc = vmci_load(r, &addr)))
		return rc;
	state_node_leave(r);
	same = !strcmp(m, "microvm") && v == 3 && b8 == 0xA5 && b16 == 0xBEEF && b32 == 0xDEADBEEF &&
	       b64 == 0x0123456789ABCDEFULL && f && !memcmp(bytes, "hello", 5) && n == 0 &&
	       !strcmp(s, "text") && nbig == big && addr == 0xFEED;
	for (size_t i = 0; same && i < big; i++)
		same = blob[i] == (uint8_t)(i * 13);
	return same ? 0 : errf(&r->err, -EBADMSG, "test: a value differs from what was written");
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
