/* SPDX-License-Identifier: MIT */
/*
 * selftest: the guest's own helpers, checked where they run: printf
 * formatting, number parsing, command-line lookup, the mem and str
 * functions. A wrong helper would make every other scenario lie.
 */
#include "guest-images/testguest/boot.h"
#include "guest-images/testguest/guest.h"
#include "guest-images/testguest/scenarios.h"

static void expect_format(const char *want, const char *got, int len)
{
	CHECK(!strcmp(got, want) && len == (int)strlen(want), "snprintf gives \"%s\" (got \"%s\", %d)",
	      want, got, len);
}

static void selftest_format(void)
{
	char b[64];
	int n;

	n = snprintf(b, sizeof(b), "%d %i %u", -42, 7, 4000000000u);
	expect_format("-42 7 4000000000", b, n);
	n = snprintf(b, sizeof(b), "%x %X %#x %lx", 0xbeefu, 0xbeefu, 0x10u, 0xfedcba9876543210ul);
	expect_format("beef BEEF 0x10 fedcba9876543210", b, n);
	n = snprintf(b, sizeof(b), "[%08x] [%5d] [%-5d] [%05d]", 0xabcu, 42, 42, -42);
	expect_format("[00000abc] [   42] [42   ] [-0042]", b, n);
	n = snprintf(b, sizeof(b), "[%s] [%6s] [%-6s] [%c] [%%]", "ab", "ab", "ab", 'z');
	expect_format("[ab] [    ab] [ab    ] [z] [%]", b, n);
	n = snprintf(b, sizeof(b), "%p %lu %ld %zu", (void *)0x1000, 18446744073709551615ul,
		     (long)-9223372036854775807L - 1, (size_t)5);
	expect_format("0x1000 18446744073709551615 -9223372036854775808 5", b, n);
	n = snprintf(b, 6, "%s", "truncated");
	CHECK(!strcmp(b, "trunc") && n == 9, "snprintf truncates to the buffer and returns the full length");
}

static void expect_size(const char *s, int rc, uint64_t want)
{
	uint64_t v = 0xdead;
	int got = parse_size(s, &v);

	CHECK(got == rc && (rc < 0 || v == want), "parse_size(\"%s\") = %d, 0x%lx", s, got, v);
}

static void selftest_parse(void)
{
	expect_size("256M", 0, 256 * MiB);
	expect_size("5G", 0, 5 * GiB);
	expect_size("0x1000", 0, 0x1000);
	expect_size("1k", 0, 1024);
	expect_size("18446744073709551615", 0, UINT64_MAX);
	expect_size("18446744073709551616", -1, 0);
	expect_size("16777216T", -1, 0);
	expect_size("", -1, 0);
	expect_size("0x", -1, 0);
	expect_size("12Q", -1, 0);
	expect_size("1MB", -1, 0);
}

static void selftest_cmdline(void)
{
	static const char line[] = "  ab=1 a  long=0123456789 e= x=y";
	static struct boot_info bi;
	char v[8];

	memcpy(bi.cmdline, line, sizeof(line));
	CHECK(cmdline_get(&bi, "a", v, sizeof(v)) && !strcmp(v, ""), "a bare key is found, empty");
	CHECK(cmdline_get(&bi, "ab", v, sizeof(v)) && !strcmp(v, "1"), "ab=1 is found, not taken for a");
	CHECK(cmdline_get(&bi, "long", v, sizeof(v)) && !strcmp(v, "0123456"),
	      "a long value is truncated to the buffer");
	CHECK(cmdline_get(&bi, "e", v, sizeof(v)) && !strcmp(v, ""), "e= gives an empty value");
	CHECK(!cmdline_get(&bi, "y", v, sizeof(v)) && !cmdline_get(&bi, "b", v, sizeof(v)) &&
		      !cmdline_get(&bi, "lon", v, sizeof(v)),
	      "values, absent keys and prefixes of keys are not found");
}

static void selftest_mem(void)
{
	char b[16] = "0123456789";

	memmove(b + 2, b, 8);
	CHECK(!memcmp(b, "0101234567", 10), "memmove to an overlapping higher address");
	memmove(b, b + 2, 8);
	CHECK(!memcmp(b, "0123456767", 10), "memmove to an overlapping lower address");
	memset(b, 'x', 3);
	CHECK(!memcmp(b, "xxx3", 4) && memcmp("a", "b", 1) < 0 && strcmp("ab", "a") > 0 &&
		      strncmp("abc", "abd", 2) == 0 && strnlen("abc", 2) == 2,
	      "memset, memcmp, strcmp, strncmp, strnlen");
}

void scn_selftest(const struct boot_info *bi)
{
	(void)bi;
	selftest_format();
	selftest_parse();
	selftest_cmdline();
	selftest_mem();
}
