/* SPDX-License-Identifier: MIT */
/*
 * For the state file's tests (tests/unit/test_state*.c): the vmcoreinfo
 * record as devices/vmcoreinfo.c writes it, a sample file with a record of
 * every type and the reader that checks all of it, and, for tests that
 * change a finished file on purpose, state_seal: the crc32 made valid again
 * the way vmm/state.c computes it (over the blob with the crc32 value
 * zeroed), so the change reaches the checks behind it. Static inline only:
 * every test file is linked into one binary.
 */
#ifndef MICROVM_TESTS_STATE_FIXTURE_H
#define MICROVM_TESTS_STATE_FIXTURE_H

#include <criterion/criterion.h>
#include <errno.h>
#include <libfdt.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "vmm/state.h"
#include "vmm/util.h"

static inline void state_seal(void *blob)
{
	int plen;
	uint8_t *p = fdt_getprop_w(blob, 0, "crc32", &plen);

	cr_assert(p && plen == 4);
	memset(p, 0, 4);
	put_be32(p, (uint32_t)crc32_z(crc32_z(0, Z_NULL, 0), blob, fdt_totalsize(blob)));
}

/* The vmcoreinfo device's save and load, as devices/vmcoreinfo.c writes them. */
static inline int vmci_save(struct state_writer *w, uint64_t addr)
{
	state_record_begin(w, "vmcoreinfo", 1);
	state_put_u64(w, "addr", addr);
	return state_record_end(w);
}

static inline int vmci_load(struct state_reader *r, uint64_t *addr)
{
	uint32_t v;
	int ret = state_record_open(r, "vmcoreinfo", 1, &v);

	return ret ? ret : state_get_u64(r, "addr", addr);
}

/* A copy of the finished blob in its own (8-byte aligned) allocation, so ASan sees any overrun. */
static inline uint8_t *finish_copy(struct state_writer *w, size_t *len)
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

/*
 * The sample for the hostile-input tests: a plain node, a nested node with
 * a record of every type, another record, and a big value that makes the
 * writer grow its buffer.
 */
static inline uint8_t *sample(size_t *len, size_t big)
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
static inline int sample_load(struct state_reader *r, size_t big)
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

#endif
