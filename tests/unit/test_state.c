/* SPDX-License-Identifier: MIT */
/* vmm/state.c: round trips, version rejection, and hostile (truncated, garbled, crafted) streams. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

Test(state, vmcoreinfo_round_trip)
{
	struct state_writer w;
	struct state_reader r;
	const uint8_t *data;
	uint64_t addr = 0;
	size_t len;

	state_writer_init(&w);
	cr_assert_eq(vmci_save(&w, 0x7FFFF028), 0, "%s", w.err.msg);
	data = state_writer_data(&w, &len);
	cr_assert_not_null(data);
	cr_assert_eq(memcmp(data, "MVMSTATE\x01\0\0\0", 12), 0);
	cr_assert_eq(state_reader_init(&r, data, len), 0, "%s", r.err.msg);
	cr_assert_eq(vmci_load(&r, &addr), 0, "%s", r.err.msg);
	cr_assert_eq(addr, 0x7FFFF028);
	state_writer_free(&w);
}

Test(state, every_type_and_listing)
{
	struct state_writer w;
	struct state_reader r;
	const uint8_t *data, *blob;
	uint8_t b8, bytes[5], big[3000];
	uint16_t b16;
	uint32_t b32, v;
	uint64_t b64;
	size_t len, pos = 0;
	char name[STATE_NAME_MAX + 1];

	for (unsigned i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 13);
	state_writer_init(&w);
	state_record_begin(&w, "cpu.0", 3);
	state_put_u8(&w, "a", 0xA5);
	state_put_u16(&w, "b", 0xBEEF);
	state_put_u32(&w, "c", 0xDEADBEEF);
	state_put_u64(&w, "d", 0x0123456789ABCDEFULL);
	state_put_bytes(&w, "e", "hello", 5);
	state_put_bytes(&w, "empty", NULL, 0);
	state_put_bytes(&w, "xsave", big, sizeof(big));
	cr_assert_eq(state_record_end(&w), 0, "%s", w.err.msg);
	cr_assert_eq(vmci_save(&w, 1), 0);
	data = state_writer_data(&w, &len);
	cr_assert_not_null(data, "%s", w.err.msg);

	cr_assert_eq(state_reader_init(&r, data, len), 0, "%s", r.err.msg);
	cr_assert_eq(state_record_open(&r, "cpu.0", 5, &v), 0, "%s", r.err.msg);
	cr_assert_eq(v, 3);
	cr_assert_eq(state_get_u8(&r, "a", &b8), 0);
	cr_assert_eq(b8, 0xA5);
	cr_assert_eq(state_get_u16(&r, "b", &b16), 0);
	cr_assert_eq(b16, 0xBEEF);
	cr_assert_eq(state_get_u32(&r, "c", &b32), 0);
	cr_assert_eq(b32, 0xDEADBEEF);
	cr_assert_eq(state_get_u64(&r, "d", &b64), 0);
	cr_assert_eq(b64, 0x0123456789ABCDEFULL);
	cr_assert_eq(state_get_bytes(&r, "e", bytes, 5), 0);
	cr_assert_eq(memcmp(bytes, "hello", 5), 0);
	cr_assert_eq(state_get_blob(&r, "empty", &blob, &len), 0);
	cr_assert_eq(len, 0);
	cr_assert_eq(state_get_blob(&r, "xsave", &blob, &len), 0);
	cr_assert_eq(len, sizeof(big));
	cr_assert_eq(memcmp(blob, big, len), 0);

	cr_assert_eq(state_record_next(&r, &pos, name, &v), 1);
	cr_assert_str_eq(name, "cpu.0");
	cr_assert_eq(state_record_next(&r, &pos, name, &v), 1);
	cr_assert_str_eq(name, "vmcoreinfo");
	cr_assert_eq(v, 1);
	cr_assert_eq(state_record_next(&r, &pos, name, &v), 0);
	state_writer_free(&w);
}

Test(state, unknown_version_rejected)
{
	struct state_writer w;
	struct state_reader r;
	const uint8_t *data;
	uint64_t addr = 0;
	size_t len;

	state_writer_init(&w);
	state_record_begin(&w, "vmcoreinfo", 2);
	state_put_u64(&w, "addr", 0x1000);
	state_record_end(&w);
	data = state_writer_data(&w, &len);
	cr_assert_eq(state_reader_init(&r, data, len), 0, "%s", r.err.msg);
	cr_assert_eq(vmci_load(&r, &addr), -EPROTONOSUPPORT);
	cr_assert_str_eq(r.err.msg, "state: record vmcoreinfo version 2 is unknown to this microvm "
				    "(it reads versions 1..1)");
	cr_assert_eq(addr, 0, "nothing loaded");
	state_writer_free(&w);
}

Test(state, lookup_errors)
{
	struct state_writer w;
	struct state_reader r;
	const uint8_t *data;
	uint8_t buf[4];
	uint32_t v, u32;
	uint64_t u64;
	size_t len;

	state_writer_init(&w);
	state_record_begin(&w, "dev", 1);
	state_put_u32(&w, "x", 7);
	state_put_bytes(&w, "blob", "abc", 3);
	state_record_end(&w);
	data = state_writer_data(&w, &len);
	cr_assert_eq(state_reader_init(&r, data, len), 0);
	cr_assert_eq(state_get_u32(&r, "x", &u32), -EINVAL, "no record open yet");
	cr_assert_eq(state_record_open(&r, "other", 1, &v), -ENOENT);
	cr_assert_str_eq(r.err.msg, "state: no record other");
	cr_assert_eq(state_record_open(&r, "dev", 1, &v), 0);
	cr_assert_eq(state_get_u64(&r, "x", &u64), -EINVAL);
	cr_assert_str_eq(r.err.msg, "state: record dev: field x is u32, expected u64");
	cr_assert_eq(state_get_u32(&r, "y", &u32), -ENOENT);
	cr_assert_str_eq(r.err.msg, "state: record dev v1: no field y");
	cr_assert_eq(state_get_bytes(&r, "blob", buf, 4), -EINVAL);
	cr_assert_str_eq(r.err.msg, "state: record dev: field blob has 3 bytes, expected 4");
	cr_assert_eq(state_get_u32(&r, "x", &u32), 0);
	cr_assert_eq(u32, 7);
	state_writer_free(&w);
}

Test(state, writer_refuses_misuse)
{
	struct state_writer w;
	size_t len;

	state_writer_init(&w);
	cr_assert_eq(state_put_u8(&w, "a", 1), -EINVAL, "field outside a record");
	cr_assert_null(state_writer_data(&w, &len), "errors are sticky");
	state_writer_free(&w);

	state_writer_init(&w);
	state_record_begin(&w, "r", 1);
	state_put_u8(&w, "a", 1);
	cr_assert_eq(state_put_u8(&w, "a", 2), -EEXIST);
	state_writer_free(&w);

	state_writer_init(&w);
	state_record_begin(&w, "r", 1);
	state_record_end(&w);
	cr_assert_eq(state_record_begin(&w, "r", 1), -EEXIST);
	state_writer_free(&w);

	state_writer_init(&w);
	cr_assert_eq(state_record_begin(&w, "bad name", 1), -EINVAL);
	state_writer_free(&w);
	state_writer_init(&w);
	cr_assert_eq(state_record_begin(&w, "r", 0), -EINVAL, "versions start at 1");
	state_writer_free(&w);

	state_writer_init(&w);
	state_record_begin(&w, "open", 1);
	cr_assert_null(state_writer_data(&w, &len), "record still open");
	state_writer_free(&w);
}

/* A two-record stream used by the hostile-input tests. */
static uint8_t *sample(size_t *len, size_t *boundary)
{
	struct state_writer w;
	const uint8_t *d;
	uint8_t *copy;

	state_writer_init(&w);
	state_record_begin(&w, "first", 1);
	state_put_u64(&w, "addr", 0x1234);
	state_put_bytes(&w, "b", "xyz", 3);
	state_record_end(&w);
	*boundary = w.len;
	vmci_save(&w, 0xFEED);
	d = state_writer_data(&w, len);
	copy = malloc(*len);
	memcpy(copy, d, *len);
	state_writer_free(&w);
	return copy;
}

Test(state, truncated_streams)
{
	struct state_reader r;
	size_t len, boundary;
	uint8_t *s = sample(&len, &boundary);

	for (size_t l = 0; l < len; l++) {
		/* Copy so ASan catches any read past the prefix. */
		uint8_t *p = malloc(l ? l : 1);
		int ret;

		memcpy(p, s, l);
		ret = state_reader_init(&r, p, l);
		if (l == 12 || l == boundary)
			cr_assert_eq(ret, 0, "prefix %zu ends on a record boundary", l);
		else
			cr_assert_neq(ret, 0, "prefix %zu of %zu accepted", l, len);
		free(p);
	}
	cr_assert_eq(state_reader_init(&r, s, 5), -EINVAL);
	cr_assert_str_eq(r.err.msg, "state: not a microvm state stream (no MVMSTATE header)");
	free(s);
}

Test(state, every_single_byte_corruption_is_caught)
{
	struct state_reader r;
	size_t len, boundary;
	uint8_t *s = sample(&len, &boundary);

	for (size_t i = 0; i < len; i++) {
		for (unsigned x = 1; x < 256; x <<= 1) {
			s[i] ^= (uint8_t)x;
			cr_assert_neq(state_reader_init(&r, s, len), 0, "bit %u of byte %zu", x, i);
			s[i] ^= (uint8_t)x;
		}
	}
	cr_assert_eq(state_reader_init(&r, s, len), 0);
	s[8] = 2;
	cr_assert_eq(state_reader_init(&r, s, len), -EPROTONOSUPPORT);
	cr_assert_str_eq(r.err.msg, "state: stream format 2 unsupported (this microvm reads 1)");
	free(s);
}

/* ---- crafted streams with valid checksums: structure checks must stand alone ---- */

static uint32_t ref_crc32(const uint8_t *p, size_t n)
{
	uint32_t c = 0xFFFFFFFF;

	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xEDB88320 & -(c & 1));
	}
	return ~c;
}

struct craft {
	uint8_t b[512];
	size_t len, rec;
};

static void craft_start(struct craft *c, const char *name, uint32_t version, uint32_t nr_fields)
{
	size_t nl = strlen(name);

	memcpy(c->b, "MVMSTATE\x01\0\0\0", 12);
	c->rec = 12;
	c->len = 16;
	c->b[c->len++] = (uint8_t)nl;
	memcpy(c->b + c->len, name, nl);
	c->len += nl;
	put_le32(c->b + c->len, version);
	put_le32(c->b + c->len + 4, nr_fields);
	c->len += 8;
}

static void craft_field(struct craft *c, uint8_t type, const char *name, uint32_t len,
			size_t actual)
{
	size_t nl = strlen(name);

	c->b[c->len++] = type;
	c->b[c->len++] = (uint8_t)nl;
	memcpy(c->b + c->len, name, nl);
	c->len += nl;
	put_le32(c->b + c->len, len);
	c->len += 4;
	memset(c->b + c->len, 0x11, actual);
	c->len += actual;
}

static int craft_end(struct craft *c, struct state_reader *r)
{
	put_le32(c->b + c->rec, (uint32_t)(c->len - c->rec - 4));
	put_le32(c->b + c->len, ref_crc32(c->b + c->rec, c->len - c->rec));
	c->len += 4;
	return state_reader_init(r, c->b, c->len);
}

Test(state, crafted_valid_stream_and_checksum_agree)
{
	struct craft c;
	struct state_reader r;
	uint64_t v64;
	uint32_t v;

	craft_start(&c, "vmcoreinfo", 1, 1);
	craft_field(&c, STATE_U64, "addr", 8, 8);
	cr_assert_eq(craft_end(&c, &r), 0, "%s", r.err.msg);
	cr_assert_eq(state_record_open(&r, "vmcoreinfo", 1, &v), 0);
	cr_assert_eq(state_get_u64(&r, "addr", &v64), 0);
	cr_assert_eq(v64, 0x1111111111111111ULL);
}

Test(state, crafted_hostile_structures)
{
	struct craft c;
	struct state_reader r;
	uint64_t v64;
	uint32_t v;

	craft_start(&c, "r", 1, 2); /* says two fields, has one */
	craft_field(&c, STATE_U64, "a", 8, 8);
	cr_assert_eq(craft_end(&c, &r), -EINVAL);
	cr_assert(strstr(r.err.msg, "2 fields announced, 1 found"), "%s", r.err.msg);

	craft_start(&c, "r", 1, 1);
	craft_field(&c, 9, "a", 1, 1);
	cr_assert_eq(craft_end(&c, &r), -EINVAL);
	cr_assert(strstr(r.err.msg, "unknown type 9"), "%s", r.err.msg);

	craft_start(&c, "r", 1, 1);
	craft_field(&c, STATE_U32, "a", 8, 8);
	cr_assert_eq(craft_end(&c, &r), -EINVAL);
	cr_assert(strstr(r.err.msg, "u32 of 8 bytes"), "%s", r.err.msg);

	craft_start(&c, "r", 1, 1);
	craft_field(&c, STATE_BYTES, "a", 0xFFFFFFF0, 4); /* value overruns */
	cr_assert_eq(craft_end(&c, &r), -EINVAL);
	cr_assert(strstr(r.err.msg, "overruns"), "%s", r.err.msg);

	craft_start(&c, "r", 1, 1);
	craft_field(&c, STATE_U8, "a/b", 1, 1);
	cr_assert_eq(craft_end(&c, &r), -EINVAL, "bad field name");

	craft_start(&c, "r\n", 1, 0);
	cr_assert_eq(craft_end(&c, &r), -EINVAL, "bad record name");

	craft_start(&c, "r", 1, 1);
	craft_field(&c, STATE_U8, "", 1, 1);
	cr_assert_eq(craft_end(&c, &r), -EINVAL, "empty field name");

	craft_start(&c, "r", 1, 100000);
	cr_assert_eq(craft_end(&c, &r), -EINVAL, "field count beyond the limit");

	craft_start(&c, "r", 0, 0);
	cr_assert_eq(craft_end(&c, &r), 0);
	cr_assert_eq(state_record_open(&r, "r", 3, &v), -EPROTONOSUPPORT, "version 0 never valid");

	/* Duplicates pass the structure check but are refused when used. */
	craft_start(&c, "r", 1, 2);
	craft_field(&c, STATE_U64, "a", 8, 8);
	craft_field(&c, STATE_U64, "a", 8, 8);
	cr_assert_eq(craft_end(&c, &r), 0);
	cr_assert_eq(state_record_open(&r, "r", 1, &v), 0);
	cr_assert_eq(state_get_u64(&r, "a", &v64), -EINVAL);
	cr_assert(strstr(r.err.msg, "appears twice"), "%s", r.err.msg);
}

Test(state, random_garbage_never_crashes)
{
	struct state_reader r;
	uint8_t buf[256];
	unsigned seed = 12345;

	memcpy(buf, "MVMSTATE\x01\0\0\0", 12);
	for (int iter = 0; iter < 20000; iter++) {
		size_t len = 12 + (size_t)(rand_r(&seed) % (sizeof(buf) - 12));
		uint8_t *p;

		for (size_t i = 12; i < len; i++)
			buf[i] = (uint8_t)rand_r(&seed);
		/* Small lengths so some records parse far enough to reach the later checks. */
		if (len >= 16)
			put_le32(buf + 12, (uint32_t)(rand_r(&seed) % (len - 12)));
		p = malloc(len);
		memcpy(p, buf, len);
		state_reader_init(&r, p, len);
		free(p);
	}
}
