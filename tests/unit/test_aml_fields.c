/* SPDX-License-Identifier: MIT */
/*
 * acpi/aml_fields.c: OperationRegion and Field, golden bytes from iasl
 * 20200925 (the ASL in the comment, 36-byte header stripped), and what the
 * constructors refuse.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "acpi/aml.h"
#include "tests/unit/aml_fixture.h"

TestSuite(aml_fields, .init = setup, .fini = teardown);

/*
 * OperationRegion (EREG, SystemIO, 0x0610, 0x04)
 * Field (EREG, DWordAcc, NoLock, WriteAsZeros) { ESEL, 32 }
 * OperationRegion (MREG, SystemMemory, 0xFEA00000, 0x01000000)
 * Field (MREG, ByteAcc, Lock, Preserve) { A, 8, , 56, BC, 16, , 4000, D, 1 }
 * Field (MREG, QWordAcc, NoLock, WriteAsOnes) { , 0x54321, Q, 64 }
 * Field (MREG, AnyAcc, NoLock, Preserve) { , 0x100000, BIG, 0x1FFFFF }
 *
 * FieldLength of 4000, 0x54321, 0x100000 and 0x1FFFFF bits takes 2, 3, 4
 * and 4 bytes.
 */
Test(aml_fields, regions_and_fields)
{
	static const struct aml_field_unit esel[] = { { "ESEL", 32 } };
	static const struct aml_field_unit bytes[] = {
		{ "A", 8 }, { NULL, 56 }, { "BC", 16 }, { NULL, 4000 }, { "D", 1 },
	};
	static const struct aml_field_unit qword[] = { { NULL, 0x54321 }, { "Q", 64 } };
	static const struct aml_field_unit big[] = { { NULL, 0x100000 }, { "BIG", 0x1FFFFF } };
	struct aml *b = aml_body(a);

	aml_append(b, aml_operation_region(a, "EREG", AML_SYSTEM_IO, aml_int(a, 0x610),
					   aml_int(a, 4)));
	aml_append(b,
		   aml_field(a, "EREG", AML_FIELD_DWORD_ACC | AML_FIELD_WRITE_AS_ZEROS, esel, 1));
	aml_append(b, aml_operation_region(a, "MREG", AML_SYSTEM_MEMORY, aml_int(a, 0xFEA00000),
					   aml_int(a, 0x01000000)));
	aml_append(b, aml_field(a, "MREG", AML_FIELD_BYTE_ACC | AML_FIELD_LOCK | AML_FIELD_PRESERVE,
				bytes, 5));
	aml_append(b,
		   aml_field(a, "MREG", AML_FIELD_QWORD_ACC | AML_FIELD_WRITE_AS_ONES, qword, 2));
	aml_append(b, aml_field(a, "MREG", AML_FIELD_ANY_ACC, big, 2));
	EXPECT(b, 0x5b, 0x80, 0x45, 0x52, 0x45, 0x47, 0x01, 0x0b, 0x10, 0x06, 0x0a, 0x04, 0x5b,
	       0x81, 0x0b, 0x45, 0x52, 0x45, 0x47, 0x43, 0x45, 0x53, 0x45, 0x4c, 0x20, 0x5b, 0x80,
	       0x4d, 0x52, 0x45, 0x47, 0x00, 0x0c, 0x00, 0x00, 0xa0, 0xfe, 0x0c, 0x00, 0x00, 0x00,
	       0x01, 0x5b, 0x81, 0x1a, 0x4d, 0x52, 0x45, 0x47, 0x11, 0x41, 0x5f, 0x5f, 0x5f, 0x08,
	       0x00, 0x38, 0x42, 0x43, 0x5f, 0x5f, 0x10, 0x00, 0x40, 0xfa, 0x44, 0x5f, 0x5f, 0x5f,
	       0x01, 0x5b, 0x81, 0x10, 0x4d, 0x52, 0x45, 0x47, 0x24, 0x00, 0x81, 0x32, 0x54, 0x51,
	       0x5f, 0x5f, 0x5f, 0x40, 0x04, 0x5b, 0x81, 0x13, 0x4d, 0x52, 0x45, 0x47, 0x00, 0x00,
	       0xc0, 0x00, 0x00, 0x01, 0x42, 0x49, 0x47, 0x5f, 0xcf, 0xff, 0xff, 0x01);
}

/* A Field is a block: its PkgLength follows it into a Device, here past 63 bytes. */
Test(aml_fields, field_inside_a_device)
{
	static const struct aml_field_unit many[] = {
		{ "R0", 8 }, { "R1", 8 }, { "R2", 8 }, { "R3", 8 }, { "R4", 8 },
		{ "R5", 8 }, { "R6", 8 }, { "R7", 8 }, { "R8", 8 }, { "R9", 8 },
		{ "RA", 8 }, { "RB", 8 }, { "RC", 8 },
	};
	struct aml *dev = aml_device(a, "DEV");
	const uint8_t *p;
	size_t len;

	aml_append(dev, aml_field(a, "\\_SB.REG", AML_FIELD_BYTE_ACC, many, 13));
	p = aml_bytes(dev, &len);
	cr_assert_not_null(p);
	/* Device: 5B 82 PkgLength(2) "DEV_"; Field: 5B 81 PkgLength(2) \_SB.REG flags 13 units. */
	cr_assert_eq(len, 2 + 2 + 4 + 2 + 2 + 10 + 1 + 13 * 5);
	cr_assert_eq(p[8], 0x5b);
	cr_assert_eq(p[9], 0x81);
	cr_assert_eq(p[10], 0x40 | ((2 + 10 + 1 + 13 * 5) & 0x0F));
	cr_assert_eq(p[11], (2 + 10 + 1 + 13 * 5) >> 4);
	cr_assert_eq(memcmp(p + 12, "\\._SB_REG_", 10), 0);
	cr_assert_eq(p[22], AML_FIELD_BYTE_ACC);
	cr_assert_eq(memcmp(p + 23, "R0__\x08", 5), 0);
}

Test(aml_fields, bad_field_names)
{
	static const char *const bad[] = { "", "ABCDE", "A.B", "\\ABC", "^ABC", "1ABC", "a" };

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct aml_arena *x = aml_arena_new();
		struct aml_field_unit u = { bad[i], 8 };
		struct errbuf e;

		aml_field(x, "REG", AML_FIELD_ANY_ACC, &u, 1);
		cr_assert_eq(aml_arena_error(x, &e), -EINVAL, "field name \"%s\" accepted", bad[i]);
		cr_assert(strstr(e.msg, "name"), "%s", e.msg);
		aml_arena_free(x);
	}
}

Test(aml_fields, zero_bits_refused)
{
	static const struct aml_field_unit u[] = { { "A", 8 }, { NULL, 0 } };

	aml_field(a, "REG", AML_FIELD_ANY_ACC, u, 2);
	expect_error(-EINVAL, "field unit (reserved) of 0 bits");
}

Test(aml_fields, too_many_bits_refused)
{
	static const struct aml_field_unit u = { "HUGE", 1u << 28 };

	aml_field(a, "REG", AML_FIELD_ANY_ACC, &u, 1);
	expect_error(-EINVAL, "field unit HUGE of 268435456 bits");
}

Test(aml_fields, bad_flags_refused)
{
	static const struct aml_field_unit u = { "A", 8 };
	static const unsigned bad[] = { 6, 0x0F, 3 << 5, 0x80, 0x100 };

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct aml_arena *x = aml_arena_new();
		struct errbuf e;

		aml_field(x, "REG", bad[i], &u, 1);
		cr_assert_eq(aml_arena_error(x, &e), -EINVAL, "flags 0x%x accepted", bad[i]);
		cr_assert(strstr(e.msg, "bad flags"), "%s", e.msg);
		aml_arena_free(x);
	}
}

Test(aml_fields, bad_region_name_refused)
{
	aml_operation_region(a, "toolong", AML_SYSTEM_IO, aml_int(a, 0), aml_int(a, 1));
	expect_error(-EINVAL, "bad name");
}
