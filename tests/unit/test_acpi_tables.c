/* SPDX-License-Identifier: MIT */
/*
 * acpi/tables.c: headers, lengths, field offsets, and the loader commands
 * each table leaves for the firmware (pointers hold offsets, checksums 0).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acpi/aml.h"
#include "acpi/loader.h"
#include "acpi/tables.h"
#include "vmm/err.h"
#include "vmm/util.h"

static struct acpi_loader l;
static struct acpi_tables t;
static struct errbuf e;

static void setup(void)
{
	memset(&t, 0, sizeof(t));
	t.loader = &l;
}

static void teardown(void)
{
	acpi_tables_free(&t);
	acpi_loader_free(&l);
}

TestSuite(acpi_tables, .init = setup, .fini = teardown);

static const struct acpi_loader_cmd *cmd(unsigned i)
{
	cr_assert(i < l.nr, "command %u of %u", i, l.nr);
	return &l.cmds[i];
}

/* The table at off: header fields, and its ADD_CHECKSUM as command ci. */
static const uint8_t *expect_table(uint32_t off, const char *sig, uint32_t len, uint8_t rev,
				   unsigned ci)
{
	const uint8_t *h = t.blob.data + off;
	const struct acpi_loader_cmd *c = cmd(ci);

	cr_assert(range_fits(off, len, t.blob.len));
	cr_assert_eq(memcmp(h, sig, 4), 0);
	cr_assert_eq(get_le32(h + 4), len, "%s length %u, want %u", sig, get_le32(h + 4), len);
	cr_assert_eq(h[8], rev, "%s revision", sig);
	cr_assert_eq(h[9], 0, "checksum left to the firmware");
	cr_assert_eq(memcmp(h + 10, "MICROV", 6), 0);
	cr_assert_eq(get_le32(h + 24), 1, "OEM revision");
	cr_assert_eq(memcmp(h + 28, "MVMM", 4), 0);
	cr_assert_eq(get_le32(h + 32), 1, "creator revision");
	cr_assert_eq(c->command, ACPI_LOADER_ADD_CHECKSUM);
	cr_assert_str_eq(c->file, "etc/acpi/tables");
	cr_assert_eq(c->offset, off + 9);
	cr_assert_eq(c->start, off);
	cr_assert_eq(c->length, len);
	return h;
}

static void expect_pointer(unsigned ci, const char *dest, const char *src, uint32_t offset,
			   uint8_t size)
{
	const struct acpi_loader_cmd *c = cmd(ci);

	cr_assert_eq(c->command, ACPI_LOADER_ADD_POINTER, "command %u", ci);
	cr_assert_str_eq(c->file, dest);
	cr_assert_str_eq(c->src, src);
	cr_assert_eq(c->offset, offset);
	cr_assert_eq(c->size, size);
}

static void expect_gas_io8(const uint8_t *g, uint16_t port)
{
	cr_assert_eq(g[0], 1, "SystemIO");
	cr_assert_eq(g[1], 8, "bit width");
	cr_assert_eq(g[2], 0, "bit offset");
	cr_assert_eq(g[3], 1, "byte access");
	cr_assert_eq(get_le64(g + 4), port);
}

Test(acpi_tables, header_and_oem_table_id)
{
	uint32_t off;
	const uint8_t *h;

	cr_assert_eq(acpi_table_begin(&t, "TEST", 3, "VMCOREIN", &off, &e), 0);
	cr_assert_eq(abuf_zeros(&t.blob, 4), ACPI_HEADER_SIZE);
	cr_assert_eq(acpi_table_end(&t, off, &e), 0);
	h = expect_table(off, "TEST", 40, 3, 0);
	cr_assert_eq(memcmp(h + 16, "VMCOREIN", 8), 0);
	cr_assert_eq(t.nr, 1);
	cr_assert_str_eq(t.info[0].signature, "TEST");
	cr_assert_str_eq(t.info[0].oem_table_id, "VMCOREIN");
	cr_assert_eq(t.info[0].offset, 0);
	cr_assert_eq(t.info[0].length, 40);

	/* Short ids are padded with spaces; the default is "MICROVM ". */
	cr_assert_eq(acpi_table_begin(&t, "TES2", 1, "AB", &off, &e), 0);
	cr_assert_eq(acpi_table_end(&t, off, &e), 0);
	cr_assert_eq(memcmp(t.blob.data + off + 16, "AB      ", 8), 0);
	cr_assert_eq(acpi_table_begin(&t, "TES3", 1, NULL, &off, &e), 0);
	cr_assert_eq(acpi_table_end(&t, off, &e), 0);
	cr_assert_eq(memcmp(t.blob.data + off + 16, "MICROVM ", 8), 0);
	cr_assert_eq(off, 40 + 36, "tables are packed back to back");
}

Test(acpi_tables, bad_signature_or_id)
{
	uint32_t off;

	cr_assert_eq(acpi_table_begin(&t, "TOOLONG", 1, NULL, &off, &e), -EINVAL);
	cr_assert_eq(acpi_table_begin(&t, "SSD", 1, NULL, &off, &e), -EINVAL);
	cr_assert_eq(acpi_table_begin(&t, "SSDT", 1, "NINECHARS", &off, &e), -EINVAL);
	cr_assert_eq(acpi_table_begin(&t, "SSDT", 1, "", &off, &e), -EINVAL);
	cr_assert_eq(acpi_table_begin(&t, "SSDT", 1, "TAB\tID", &off, &e), -EINVAL);
	cr_assert_eq(t.blob.len, 0);
}

Test(acpi_tables, aml_table_wraps_the_body)
{
	struct aml_arena *a = aml_arena_new();
	struct aml *body = aml_body(a);
	uint32_t off;

	aml_append(body, aml_name_decl(a, "X", aml_int(a, 5)));
	cr_assert_eq(acpi_add_aml_table(&t, "SSDT", "TEST", body, &off, &e), 0);
	expect_table(off, "SSDT", 36 + 7, 2, 0);
	cr_assert_eq(memcmp(t.blob.data + off + 36, "\x08X___\x0a\x05", 7), 0);

	/* A body whose AML failed to build is an error, not an empty table. */
	aml_name(a, "bad name");
	cr_assert_eq(acpi_add_aml_table(&t, "SSDT", "TEST2", aml_body(a), &off, &e), -EINVAL);
	cr_assert(strstr(e.msg, "bad name \"bad name\""), "the AML error is reported: %s", e.msg);
	aml_arena_free(a);
}

Test(acpi_tables, fadt_hardware_reduced)
{
	const struct acpi_fadt_cfg cfg = {
		.sleep_control_port = 0x600,
		.sleep_status_port = 0x601,
		.reset_port = 0x604,
		.reset_value = 0x42,
		.iapc_boot_arch = ACPI_IAPC_VGA_NOT_PRESENT | ACPI_IAPC_CMOS_RTC_NOT_PRESENT,
	};
	const uint8_t *f;
	uint32_t off;

	cr_assert_eq(abuf_zeros(&t.blob, 100), 0, "the DSDT would be at 0, pretend 100 bytes");
	cr_assert_eq(acpi_add_fadt(&t, &cfg, 0x10, &off, &e), 0);
	cr_assert_eq(off, 100);
	/* Commands: ADD_POINTER for X_DSDT, then the checksum. */
	expect_pointer(0, "etc/acpi/tables", "etc/acpi/tables", off + 140, 8);
	f = expect_table(off, "FACP", 276, 6, 1);
	cr_assert_eq(get_le32(f + 36), 0, "no FACS");
	cr_assert_eq(get_le32(f + 40), 0, "32-bit DSDT unused: X_DSDT is set");
	cr_assert_eq(get_le16(f + 46), 0, "no SCI");
	cr_assert_eq(get_le16(f + 109), 0x24, "IAPC_BOOT_ARCH");
	cr_assert_eq(get_le32(f + 112), (1u << 20) | (1u << 10), "HW_REDUCED_ACPI | RESET_REG_SUP");
	expect_gas_io8(f + 116, 0x604);
	cr_assert_eq(f[128], 0x42, "RESET_VALUE");
	cr_assert_eq(get_le64(f + 132), 0, "no X_FIRMWARE_CTRL");
	cr_assert_eq(get_le64(f + 140), 0x10, "X_DSDT holds the DSDT's offset before linking");
	for (unsigned i = 148; i < 244; i++)
		cr_assert_eq(f[i], 0, "X_PM1a..X_GPE1 blocks absent (byte %u)", i);
	expect_gas_io8(f + 244, 0x600);
	expect_gas_io8(f + 256, 0x601);
	for (unsigned i = 268; i < 276; i++)
		cr_assert_eq(f[i], 0);
}

Test(acpi_tables, madt_entries)
{
	const struct acpi_madt_cfg cfg = {
		.nr_cpus = 3, .lapic_addr = 0xFEE00000, .ioapic_addr = 0xFEC00000, .ioapic_id = 0
	};
	const uint8_t *m, *p;
	uint32_t off;

	cr_assert_eq(acpi_add_madt(&t, &cfg, &off, &e), 0);
	m = expect_table(off, "APIC", 36 + 8 + 3 * 8 + 12 + 10 + 6, 5, 0);
	cr_assert_eq(get_le32(m + 36), 0xFEE00000);
	cr_assert_eq(get_le32(m + 40), 1, "PCAT_COMPAT");
	p = m + 44;
	for (unsigned i = 0; i < 3; i++, p += 8) {
		cr_assert_eq(p[0], 0, "Processor Local APIC");
		cr_assert_eq(p[1], 8);
		cr_assert_eq(p[2], i, "UID");
		cr_assert_eq(p[3], i, "APIC ID");
		cr_assert_eq(get_le32(p + 4), 1, "enabled");
	}
	cr_assert_eq(p[0], 1, "I/O APIC");
	cr_assert_eq(p[1], 12);
	cr_assert_eq(p[2], 0, "IOAPIC id");
	cr_assert_eq(get_le32(p + 4), 0xFEC00000);
	cr_assert_eq(get_le32(p + 8), 0, "GSI base");
	p += 12;
	cr_assert_eq(p[0], 2, "Interrupt Source Override");
	cr_assert_eq(p[1], 10);
	cr_assert_eq(p[2], 0, "ISA");
	cr_assert_eq(p[3], 0, "IRQ0");
	cr_assert_eq(get_le32(p + 4), 2, "-> GSI2");
	cr_assert_eq(get_le16(p + 8), 0, "conforms to the bus");
	p += 10;
	cr_assert_eq(p[0], 4, "Local APIC NMI");
	cr_assert_eq(p[1], 6);
	cr_assert_eq(p[2], 0xFF, "all processors");
	cr_assert_eq(p[5], 1, "LINT1");
}

Test(acpi_tables, madt_cpu_limits)
{
	struct acpi_madt_cfg cfg = { .nr_cpus = 0 };
	uint32_t off;

	cr_assert_eq(acpi_add_madt(&t, &cfg, &off, &e), -EINVAL);
	cfg.nr_cpus = 255; /* APIC ID 0xFF is the broadcast ID */
	cr_assert_eq(acpi_add_madt(&t, &cfg, &off, &e), -EINVAL);
	cfg.nr_cpus = 254;
	cr_assert_eq(acpi_add_madt(&t, &cfg, &off, &e), 0);
	cr_assert_eq(t.blob.data[off + 44 + 253 * 8 + 3], 253, "last APIC ID");
}

Test(acpi_tables, xsdt_links_each_table)
{
	static const uint32_t offs[] = { 0x100, 0x200, 0x12345 };
	const uint8_t *x;
	uint32_t off;

	cr_assert_eq(acpi_add_xsdt(&t, offs, 3, &off, &e), 0);
	for (unsigned i = 0; i < 3; i++)
		expect_pointer(i, "etc/acpi/tables", "etc/acpi/tables", off + 36 + 8 * i, 8);
	x = expect_table(off, "XSDT", 36 + 24, 1, 3);
	for (unsigned i = 0; i < 3; i++)
		cr_assert_eq(get_le64(x + 36 + 8 * i), offs[i]);
}

Test(acpi_tables, link_checks_the_field)
{
	cr_assert_eq(abuf_zeros(&t.blob, 8), 0);
	cr_assert_eq(acpi_table_link(&t, 6, 4, 0, &e), -EINVAL, "field past the end");
	cr_assert_eq(acpi_table_link(&t, 0, 1, 0x100, &e), -EINVAL, "offset too big for 1 byte");
	cr_assert_eq(acpi_table_link(&t, 0, 2, 0xFFFF, &e), 0);
	cr_assert_eq(get_le16(t.blob.data), 0xFFFF);
}

Test(acpi_tables, rsdp)
{
	struct abuf r = { 0 };

	cr_assert_eq(acpi_build_rsdp(&r, &l, 0x1234, &e), 0);
	cr_assert_eq(r.len, 36);
	cr_assert_eq(memcmp(r.data, "RSD PTR ", 8), 0);
	cr_assert_eq(r.data[8], 0, "checksum left to the firmware");
	cr_assert_eq(memcmp(r.data + 9, "MICROV", 6), 0);
	cr_assert_eq(r.data[15], 2, "revision");
	cr_assert_eq(get_le32(r.data + 16), 0, "no RSDT");
	cr_assert_eq(get_le32(r.data + 20), 36, "length");
	cr_assert_eq(get_le64(r.data + 24), 0x1234, "XSDT offset in etc/acpi/tables");
	cr_assert_eq(r.data[32], 0);
	expect_pointer(0, "etc/acpi/rsdp", "etc/acpi/tables", 24, 8);
	cr_assert_eq(cmd(1)->command, ACPI_LOADER_ADD_CHECKSUM);
	cr_assert_str_eq(cmd(1)->file, "etc/acpi/rsdp");
	cr_assert_eq(cmd(1)->offset, 8);
	cr_assert_eq(cmd(1)->start, 0);
	cr_assert_eq(cmd(1)->length, 20);
	cr_assert_eq(cmd(2)->command, ACPI_LOADER_ADD_CHECKSUM);
	cr_assert_eq(cmd(2)->offset, 32);
	cr_assert_eq(cmd(2)->start, 0);
	cr_assert_eq(cmd(2)->length, 36, "extended checksum after the first: it covers it");
	cr_assert_eq(acpi_build_rsdp(&r, &l, 0, &e), -EINVAL, "the RSDP starts its own file");
	abuf_free(&r);
}

Test(acpi_tables, checksum)
{
	static const uint8_t p[] = { 0x10, 0xF0, 0x01 };

	cr_assert_eq(acpi_checksum(p, 3), 1);
	cr_assert_eq(acpi_checksum(p, 2), 0);
}
