/* SPDX-License-Identifier: MIT */
/*
 * acpi/loader.c: the "etc/table-loader" blob, field by field at the byte
 * offsets of QEMU's ABI (DESIGN.md §5), written out here as numbers rather
 * than taken from the code under test.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acpi/loader.h"
#include "vmm/err.h"
#include "vmm/util.h"

static struct acpi_loader l;
static struct errbuf e;

static void teardown(void)
{
	acpi_loader_free(&l);
}

TestSuite(loader, .fini = teardown);

static uint8_t *serialize(size_t *len)
{
	uint8_t *blob;

	cr_assert_eq(acpi_loader_serialize(&l, &blob, len), 0);
	cr_assert_eq(*len % 128, 0);
	return blob;
}

static void expect_name(const uint8_t *field, const char *name)
{
	size_t n = strlen(name);

	cr_assert_eq(memcmp(field, name, n), 0, "name field holds \"%.56s\", want %s",
		     (const char *)field, name);
	for (size_t i = n; i < 56; i++)
		cr_assert_eq(field[i], 0, "name field byte %zu not zero padded", i);
}

Test(loader, allocate_layout)
{
	uint8_t *b;
	size_t len;

	cr_assert_eq(acpi_loader_allocate(&l, "etc/acpi/tables", 64, ACPI_LOADER_ZONE_HIGH, &e), 0);
	cr_assert_eq(acpi_loader_allocate(&l, "etc/acpi/rsdp", 16, ACPI_LOADER_ZONE_FSEG, &e), 0);
	b = serialize(&len);
	cr_assert_eq(len, 256);
	cr_assert_eq(get_le32(b), 1, "ALLOCATE is 1");
	expect_name(b + 4, "etc/acpi/tables");
	cr_assert_eq(get_le32(b + 60), 64);
	cr_assert_eq(b[64], 1, "zone HIGH is 1");
	for (size_t i = 65; i < 128; i++)
		cr_assert_eq(b[i], 0, "padding byte %zu", i);
	cr_assert_eq(get_le32(b + 128), 1);
	expect_name(b + 128 + 4, "etc/acpi/rsdp");
	cr_assert_eq(get_le32(b + 128 + 60), 16);
	cr_assert_eq(b[128 + 64], 2, "zone FSEG is 2");
	free(b);
}

Test(loader, add_pointer_layout)
{
	uint8_t *b;
	size_t len;

	cr_assert_eq(acpi_loader_add_pointer(&l, "etc/acpi/rsdp", "etc/acpi/tables", 24, 8, &e), 0);
	b = serialize(&len);
	cr_assert_eq(len, 128);
	cr_assert_eq(get_le32(b), 2, "ADD_POINTER is 2");
	expect_name(b + 4, "etc/acpi/rsdp");
	expect_name(b + 60, "etc/acpi/tables");
	cr_assert_eq(get_le32(b + 116), 24);
	cr_assert_eq(b[120], 8);
	for (size_t i = 121; i < 128; i++)
		cr_assert_eq(b[i], 0);
	free(b);
}

Test(loader, add_checksum_layout)
{
	uint8_t *b;
	size_t len;

	cr_assert_eq(acpi_loader_add_checksum(&l, "etc/acpi/rsdp", 32, 0, 36, &e), 0);
	b = serialize(&len);
	cr_assert_eq(get_le32(b), 3, "ADD_CHECKSUM is 3");
	expect_name(b + 4, "etc/acpi/rsdp");
	cr_assert_eq(get_le32(b + 60), 32, "offset of the checksum byte");
	cr_assert_eq(get_le32(b + 64), 0, "start");
	cr_assert_eq(get_le32(b + 68), 36, "length");
	for (size_t i = 72; i < 128; i++)
		cr_assert_eq(b[i], 0);
	free(b);
}

Test(loader, write_pointer_layout)
{
	uint8_t *b;
	size_t len;

	cr_assert_eq(acpi_loader_write_pointer(&l, "etc/vmcoreinfo-addr", "etc/vmcoreinfo", 0, 40, 8,
					       &e),
		     0);
	b = serialize(&len);
	cr_assert_eq(get_le32(b), 4, "WRITE_POINTER is 4");
	expect_name(b + 4, "etc/vmcoreinfo-addr");
	expect_name(b + 60, "etc/vmcoreinfo");
	cr_assert_eq(get_le32(b + 116), 0, "dst_offset");
	cr_assert_eq(get_le32(b + 120), 40, "src_offset");
	cr_assert_eq(b[124], 8, "size");
	for (size_t i = 125; i < 128; i++)
		cr_assert_eq(b[i], 0);
	free(b);
}

/* Kinds are grouped ALLOCATE, ADD_POINTER, ADD_CHECKSUM, WRITE_POINTER; order kept inside. */
Test(loader, commands_are_grouped_allocates_first)
{
	static const uint32_t want[] = { 1, 1, 2, 2, 3, 3, 4 };
	static const char *const file[] = { "a", "d", "b", "f", "c", "e", "w" };
	uint8_t *b;
	size_t len;

	cr_assert_eq(acpi_loader_write_pointer(&l, "w", "a", 0, 0, 8, &e), 0);
	cr_assert_eq(acpi_loader_add_checksum(&l, "c", 9, 0, 36, &e), 0);
	cr_assert_eq(acpi_loader_allocate(&l, "a", 64, ACPI_LOADER_ZONE_HIGH, &e), 0);
	cr_assert_eq(acpi_loader_add_pointer(&l, "b", "a", 0, 4, &e), 0);
	cr_assert_eq(acpi_loader_allocate(&l, "d", 16, ACPI_LOADER_ZONE_FSEG, &e), 0);
	cr_assert_eq(acpi_loader_add_checksum(&l, "e", 9, 0, 36, &e), 0);
	cr_assert_eq(acpi_loader_add_pointer(&l, "f", "a", 0, 8, &e), 0);
	b = serialize(&len);
	cr_assert_eq(len, 7 * 128);
	for (unsigned i = 0; i < 7; i++) {
		cr_assert_eq(get_le32(b + 128 * i), want[i], "entry %u", i);
		expect_name(b + 128 * i + 4, file[i]);
	}
	free(b);
}

Test(loader, decode_round_trip)
{
	struct acpi_loader_cmd c;
	uint8_t *b;
	size_t len;

	cr_assert_eq(acpi_loader_allocate(&l, "x", 4096, ACPI_LOADER_ZONE_HIGH, &e), 0);
	cr_assert_eq(acpi_loader_add_pointer(&l, "y", "x", 0xFFFFFFF0, 8, &e), 0);
	cr_assert_eq(acpi_loader_add_checksum(&l, "y", 9, 3, 0x1000, &e), 0);
	cr_assert_eq(acpi_loader_write_pointer(&l, "z", "x", 8, 40, 4, &e), 0);
	b = serialize(&len);
	cr_assert_eq(acpi_loader_decode(b, &c), 0);
	cr_assert_eq(c.command, ACPI_LOADER_ALLOCATE);
	cr_assert_str_eq(c.file, "x");
	cr_assert_eq(c.align, 4096);
	cr_assert_eq(c.zone, ACPI_LOADER_ZONE_HIGH);
	cr_assert_eq(acpi_loader_decode(b + 128, &c), 0);
	cr_assert_eq(c.command, ACPI_LOADER_ADD_POINTER);
	cr_assert_str_eq(c.file, "y");
	cr_assert_str_eq(c.src, "x");
	cr_assert_eq(c.offset, 0xFFFFFFF0);
	cr_assert_eq(c.size, 8);
	cr_assert_eq(acpi_loader_decode(b + 256, &c), 0);
	cr_assert_eq(c.command, ACPI_LOADER_ADD_CHECKSUM);
	cr_assert_eq(c.offset, 9);
	cr_assert_eq(c.start, 3);
	cr_assert_eq(c.length, 0x1000);
	cr_assert_eq(acpi_loader_decode(b + 384, &c), 0);
	cr_assert_eq(c.command, ACPI_LOADER_WRITE_POINTER);
	cr_assert_str_eq(c.file, "z");
	cr_assert_str_eq(c.src, "x");
	cr_assert_eq(c.offset, 8);
	cr_assert_eq(c.src_offset, 40);
	cr_assert_eq(c.size, 4);

	/* A hostile blob: a name field without its NUL is refused, not over-read. */
	memset(b + 4, 'A', 56);
	cr_assert_eq(acpi_loader_decode(b, &c), -EINVAL);
	free(b);
}

Test(loader, empty_loader_serializes_to_nothing)
{
	uint8_t *b;
	size_t len = 1;

	b = serialize(&len);
	cr_assert_eq(len, 0);
	free(b);
}

Test(loader, bad_commands_are_refused)
{
	char longname[57];

	memset(longname, 'n', 56);
	longname[56] = '\0';
	cr_assert_eq(acpi_loader_allocate(&l, longname, 64, ACPI_LOADER_ZONE_HIGH, &e), -EINVAL);
	cr_assert(strstr(e.msg, "1-55 characters"), "%s", e.msg);
	longname[55] = '\0';
	cr_assert_eq(acpi_loader_allocate(&l, longname, 64, ACPI_LOADER_ZONE_HIGH, &e), 0,
		     "55 characters fit");
	cr_assert_eq(acpi_loader_allocate(&l, "", 64, ACPI_LOADER_ZONE_HIGH, &e), -EINVAL);
	cr_assert_eq(acpi_loader_allocate(&l, "f", 48, ACPI_LOADER_ZONE_HIGH, &e), -EINVAL);
	cr_assert_eq(acpi_loader_allocate(&l, "f", 0, ACPI_LOADER_ZONE_HIGH, &e), -EINVAL);
	cr_assert_eq(acpi_loader_allocate(&l, "f", 8192, ACPI_LOADER_ZONE_HIGH, &e), -EINVAL);
	cr_assert_eq(acpi_loader_allocate(&l, "f", 64, (enum acpi_loader_zone)3, &e), -EINVAL);
	cr_assert_eq(acpi_loader_add_pointer(&l, "d", "s", 0, 3, &e), -EINVAL);
	cr_assert_eq(acpi_loader_add_pointer(&l, "d", "", 0, 4, &e), -EINVAL);
	cr_assert_eq(acpi_loader_add_pointer(&l, "d", "s", 0xFFFFFFFE, 4, &e), -EINVAL);
	cr_assert_eq(acpi_loader_add_checksum(&l, "f", 0, 0xFFFFFFF0, 0x20, &e), -EINVAL);
	cr_assert_eq(acpi_loader_write_pointer(&l, "d", "s", 0, 0, 16, &e), -EINVAL);
	cr_assert_eq(acpi_loader_write_pointer(&l, "d", "s", 0xFFFFFFFC, 0, 8, &e), -EINVAL);
	cr_assert_eq(l.nr, 1, "only the valid command was kept");
}
