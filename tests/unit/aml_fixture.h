/* SPDX-License-Identifier: MIT */
/*
 * The AML tests' arena (one per test, from the suite's init) and their
 * checks: exact bytes of a node, or the arena's sticky error and message.
 * Static only: each test file that includes it gets its own arena and
 * declares its own suite with these setup and teardown functions.
 */
#ifndef MICROVM_TESTS_AML_FIXTURE_H
#define MICROVM_TESTS_AML_FIXTURE_H

#include <criterion/criterion.h>
#include <string.h>

#include "acpi/aml.h"
#include "vmm/err.h"

static struct aml_arena *a;

static inline void setup(void)
{
	a = aml_arena_new();
	cr_assert(a);
}

static inline void teardown(void)
{
	aml_arena_free(a);
}

static inline void expect_bytes(struct aml *n, const uint8_t *want, size_t want_len)
{
	struct errbuf e = { { 0 } };
	const uint8_t *got;
	size_t len;

	got = aml_bytes(n, &len);
	cr_assert_eq(aml_arena_error(a, &e), 0, "%s", e.msg);
	cr_assert_not_null(got);
	for (size_t i = 0; i < len && i < want_len; i++)
		if (got[i] != want[i])
			cr_assert_fail("byte %zu: got 0x%02x, want 0x%02x", i, got[i], want[i]);
	cr_assert_eq(len, want_len, "length %zu, want %zu", len, want_len);
}

#define EXPECT(n, ...)                                                                             \
	do {                                                                                       \
		static const uint8_t want_[] = { __VA_ARGS__ };                                    \
		expect_bytes(n, want_, sizeof(want_));                                             \
	} while (0)

static inline void expect_error(int code, const char *msg_part)
{
	struct errbuf e = { { 0 } };

	cr_assert_eq(aml_arena_error(a, &e), code, "error %d, want %d (%s)",
		     aml_arena_error(a, NULL), code, e.msg);
	cr_assert(strstr(e.msg, msg_part), "message \"%s\" lacks \"%s\"", e.msg, msg_part);
}

#endif
