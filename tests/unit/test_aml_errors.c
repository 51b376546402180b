/* SPDX-License-Identifier: MIT */
/*
 * acpi/aml.c, acpi/aml_ops.c, acpi/aml_devices.c: what the builder refuses
 * (bad names, EISA IDs, ranges, misuse of nodes) and how an error sticks to
 * the arena. The golden bytes of good terms: test_aml.c.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "acpi/aml.h"
#include "acpi/aml_devices.h"
#include "tests/unit/aml_fixture.h"

TestSuite(aml_errors, .init = setup, .fini = teardown);

Test(aml_errors, bad_names_are_rejected)
{
	static const char *const bad[] = { "",	   "abcd", "1ABC", "ABCDE", "A..B", "A.",
					   "\\^A", ".A",   "A B",  "\\_SB.", "^" "1" };

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct aml_arena *x = aml_arena_new();
		struct errbuf e;

		aml_name(x, bad[i]);
		cr_assert_eq(aml_arena_error(x, &e), -EINVAL, "name \"%s\" accepted", bad[i]);
		cr_assert(strstr(e.msg, "bad name"), "%s", e.msg);
		aml_arena_free(x);
	}
}

Test(aml_errors, max_segments_and_null_names)
{
	/* Multi-name path: 0x2F, count, segments; parent prefix alone: ^ NullName. */
	EXPECT(aml_name(a, "\\A.B.C"), 0x5c, 0x2f, 0x03, 'A', '_', '_', '_', 'B', '_', '_', '_',
	       'C', '_', '_', '_');
	EXPECT(aml_name(a, "^"), 0x5e, 0x00);
	EXPECT(aml_name(a, "_T_0"), '_', 'T', '_', '0');
}

Test(aml_errors, bad_eisaid_is_rejected)
{
	aml_eisaid(a, "PNP050");
	expect_error(-EINVAL, "EISA ID");
}

Test(aml_errors, bad_eisaid_letter)
{
	aml_eisaid(a, "pNP0501");
	expect_error(-EINVAL, "EISA ID");
}

Test(aml_errors, bad_eisaid_hex)
{
	aml_eisaid(a, "PNP05G1");
	expect_error(-EINVAL, "EISA ID");
}

Test(aml_errors, local_and_arg_ranges)
{
	EXPECT(aml_local(a, 7), 0x67);
	EXPECT(aml_arg(a, 6), 0x6e);
	aml_local(a, 8);
	expect_error(-EINVAL, "Local8");
}

Test(aml_errors, arg7_does_not_exist)
{
	aml_arg(a, 7);
	expect_error(-EINVAL, "Arg7");
}

Test(aml_errors, method_with_eight_args)
{
	aml_method(a, "M", 8, false);
	expect_error(-EINVAL, "arguments");
}

Test(aml_errors, non_ascii_string)
{
	aml_string(a, "caf\xc3\xa9");
	expect_error(-EINVAL, "non-ASCII");
}

Test(aml_errors, irq_out_of_range)
{
	aml_irq_no_flags(a, 16);
	expect_error(-EINVAL, "IRQ 16");
}

Test(aml_errors, interrupt_needs_one_to_255)
{
	aml_interrupt(a, true, 0, NULL, 0);
	expect_error(-EINVAL, "Interrupt descriptor");
}

Test(aml_errors, changing_an_appended_node_is_an_error)
{
	struct aml *b = aml_body(a), *dev = aml_device(a, "DEV");

	aml_append(b, dev);
	aml_append(dev, aml_name_decl(a, "_UID", aml_int(a, 1))); /* would be lost */
	expect_error(-EINVAL, "changed after");
}

Test(aml_errors, appending_to_a_term_is_an_error)
{
	aml_append(aml_int(a, 5), aml_int(a, 6));
	expect_error(-EINVAL, "not a container");
}

Test(aml_errors, package_of_256_elements_is_an_error)
{
	struct aml *pkg = aml_package(a);

	for (unsigned i = 0; i < 255; i++)
		aml_append(pkg, aml_int(a, 0));
	cr_assert_eq(aml_arena_error(a, NULL), 0);
	aml_append(pkg, aml_int(a, 0));
	expect_error(-E2BIG, "255");
}

Test(aml_errors, errors_are_sticky_and_nodes_never_null)
{
	struct aml *b = aml_body(a), *n;
	size_t len = 123;

	aml_name(a, "bad");
	n = aml_device(a, "GOOD");
	cr_assert_not_null(n, "constructors never return NULL");
	aml_append(b, n);
	aml_append(n, aml_int(a, 1));
	cr_assert_null(aml_bytes(b, &len));
	cr_assert_eq(len, 0);
	expect_error(-EINVAL, "bad name \"bad\"");
}

Test(aml_errors, patch_label_too_long)
{
	aml_patch_dword(a, 0, "SIXTEEN_CHARS_XX");
	expect_error(-EINVAL, "patch label");
}

Test(aml_errors, nodes_of_another_arena_are_refused)
{
	struct aml_arena *other = aml_arena_new();

	aml_append(aml_body(a), aml_int(other, 1));
	expect_error(-EINVAL, "across arenas");
	aml_arena_free(other);
}
