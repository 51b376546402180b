/* SPDX-License-Identifier: MIT */
/*
 * acpi/aml.c, acpi/aml_ops.c, acpi/aml_devices.c: golden bytes.
 *
 * Every golden array below is the body of the table iasl 20200925 compiled
 * from the ASL in the comment above it (the 36-byte header stripped), unless
 * the comment says otherwise. Options: -on where names are paths (iasl would
 * otherwise shorten \_SB.PCI0 to PCI0 where it can), -oa where the operators
 * are written the old way.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "acpi/aml.h"
#include "acpi/aml_devices.h"
#include "vmm/err.h"

static struct aml_arena *a;

static void setup(void)
{
	a = aml_arena_new();
	cr_assert(a);
}

static void teardown(void)
{
	aml_arena_free(a);
}

TestSuite(aml, .init = setup, .fini = teardown);

static void expect_bytes(struct aml *n, const uint8_t *want, size_t want_len)
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

static void expect_error(int code, const char *msg_part)
{
	struct errbuf e = { { 0 } };

	cr_assert_eq(aml_arena_error(a, &e), code, "error %d, want %d (%s)",
		     aml_arena_error(a, NULL), code, e.msg);
	cr_assert(strstr(e.msg, msg_part), "message \"%s\" lacks \"%s\"", e.msg, msg_part);
}

/*
 * Name (I0, 0)  Name (I1, 1)  Name (I2, Ones)  Name (I3, 0x05)  Name (I4, 0x1234)
 * Name (I5, 0x12345678)  Name (I6, 0x123456789A)  Name (I7, 0xFF)  Name (I8, 0x100)
 * Name (I9, 0xFFFFFFFF)  Name (IA, 0xFFFFFFFFFFFFFFFF)
 */
Test(aml, integers_use_the_shortest_encoding)
{
	static const uint64_t v[] = { 0,	    1,	   UINT64_MAX, 5,	    0x1234,    0x12345678,
				      0x123456789A, 0xFF, 0x100,      0xFFFFFFFF, UINT64_MAX };
	static const char *const names[] = { "I0", "I1", "I2", "I3", "I4", "I5",
					     "I6", "I7", "I8", "I9", "IA" };
	struct aml *b = aml_body(a);

	for (unsigned i = 0; i < 11; i++)
		aml_append(b, aml_name_decl(a, names[i], aml_int(a, v[i])));
	EXPECT(b, 0x08, 0x49, 0x30, 0x5f, 0x5f, 0x00, 0x08, 0x49, 0x31, 0x5f, 0x5f, 0x01, 0x08,
	       0x49, 0x32, 0x5f, 0x5f, 0xff, 0x08, 0x49, 0x33, 0x5f, 0x5f, 0x0a, 0x05, 0x08, 0x49,
	       0x34, 0x5f, 0x5f, 0x0b, 0x34, 0x12, 0x08, 0x49, 0x35, 0x5f, 0x5f, 0x0c, 0x78, 0x56,
	       0x34, 0x12, 0x08, 0x49, 0x36, 0x5f, 0x5f, 0x0e, 0x9a, 0x78, 0x56, 0x34, 0x12, 0x00,
	       0x00, 0x00, 0x08, 0x49, 0x37, 0x5f, 0x5f, 0x0a, 0xff, 0x08, 0x49, 0x38, 0x5f, 0x5f,
	       0x0b, 0x00, 0x01, 0x08, 0x49, 0x39, 0x5f, 0x5f, 0x0c, 0xff, 0xff, 0xff, 0xff, 0x08,
	       0x49, 0x41, 0x5f, 0x5f, 0xff);
}

/* Hand-written (iasl cannot force a DWord): Name (VCIA, 0) as DWordConst, then 0x1. */
Test(aml, forced_dword_and_patch_point)
{
	struct aml *b = aml_body(a);
	uint32_t off;

	aml_append(b, aml_name_decl(a, "VCIA", aml_patch_dword(a, 0, "VCIA")));
	aml_append(b, aml_int_dword(a, 1));
	EXPECT(b, 0x08, 0x56, 0x43, 0x49, 0x41, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x01, 0x00,
	       0x00, 0x00);
	cr_assert_eq(aml_mark_offset(b, "VCIA", &off), 0);
	cr_assert_eq(off, 6, "NameOp, NameSeg, DWordPrefix precede the data");
	cr_assert_eq(aml_mark_offset(b, "NONE", &off), -ENOENT);
	cr_assert_eq(aml_mark_count(b), 1);
}

/*
 * Name (_HID, "QEMU0002")  Name (S0, "")
 * Name (_UID, EisaId ("PNP0501"))  Name (_CID, EisaId ("PNP0A03"))
 */
Test(aml, strings_and_eisaid)
{
	struct aml *b = aml_body(a);

	aml_append(b, aml_name_decl(a, "_HID", aml_string(a, "QEMU0002")));
	aml_append(b, aml_name_decl(a, "S0", aml_string(a, "")));
	aml_append(b, aml_name_decl(a, "_UID", aml_eisaid(a, "PNP0501")));
	aml_append(b, aml_name_decl(a, "_CID", aml_eisaid(a, "PNP0A03")));
	EXPECT(b, 0x08, 0x5f, 0x48, 0x49, 0x44, 0x0d, 0x51, 0x45, 0x4d, 0x55, 0x30, 0x30, 0x30,
	       0x32, 0x00, 0x08, 0x53, 0x30, 0x5f, 0x5f, 0x0d, 0x00, 0x08, 0x5f, 0x55, 0x49, 0x44,
	       0x0c, 0x41, 0xd0, 0x05, 0x01, 0x08, 0x5f, 0x43, 0x49, 0x44, 0x0c, 0x41, 0xd0, 0x0a,
	       0x03);
}

/*
 * iasl -on:
 * Scope (\_SB) { Device (PCI0) { Name (_ADR, Zero)
 *     Device (ISA) { Name (_ADR, Zero) Name (FOO, 1) } } }
 * Method (M1, 0) { Return (\_SB.PCI0.ISA.FOO) }
 * Method (M2, 0) { Return (\_SB.PCI0) }
 * Scope (\_SB.PCI0.ISA) { Method (M3, 0) { Return (^FOO) }
 *     Method (M4, 0, Serialized) { Return (^^ISA.FOO) } }
 * Method (M5, 3) { Return (\) }
 */
Test(aml, names_scopes_devices_methods)
{
	struct aml *b = aml_body(a), *sb, *pci, *isa, *m, *s;

	sb = aml_scope(a, "\\_SB");
	pci = aml_device(a, "PCI0");
	aml_append(pci, aml_name_decl(a, "_ADR", aml_int(a, 0)));
	isa = aml_device(a, "ISA");
	aml_append(isa, aml_name_decl(a, "_ADR", aml_int(a, 0)));
	aml_append(isa, aml_name_decl(a, "FOO", aml_int(a, 1)));
	aml_append(pci, isa);
	aml_append(sb, pci);
	aml_append(b, sb);
	m = aml_method(a, "M1", 0, false);
	aml_append(m, aml_return(a, aml_name(a, "\\_SB.PCI0.ISA.FOO")));
	aml_append(b, m);
	m = aml_method(a, "M2", 0, false);
	aml_append(m, aml_return(a, aml_name(a, "\\_SB.PCI0")));
	aml_append(b, m);
	s = aml_scope(a, "\\_SB.PCI0.ISA");
	m = aml_method(a, "M3", 0, false);
	aml_append(m, aml_return(a, aml_name(a, "^FOO")));
	aml_append(s, m);
	m = aml_method(a, "M4", 0, true);
	aml_append(m, aml_return(a, aml_name(a, "^^ISA.FOO")));
	aml_append(s, m);
	aml_append(b, s);
	m = aml_method(a, "M5", 3, false);
	aml_append(m, aml_return(a, aml_name(a, "\\")));
	aml_append(b, m);
	EXPECT(b, 0x10, 0x26, 0x5c, 0x5f, 0x53, 0x42, 0x5f, 0x5b, 0x82, 0x1e, 0x50, 0x43, 0x49,
	       0x30, 0x08, 0x5f, 0x41, 0x44, 0x52, 0x00, 0x5b, 0x82, 0x11, 0x49, 0x53, 0x41, 0x5f,
	       0x08, 0x5f, 0x41, 0x44, 0x52, 0x00, 0x08, 0x46, 0x4f, 0x4f, 0x5f, 0x01, 0x14, 0x1a,
	       0x4d, 0x31, 0x5f, 0x5f, 0x00, 0xa4, 0x5c, 0x2f, 0x04, 0x5f, 0x53, 0x42, 0x5f, 0x50,
	       0x43, 0x49, 0x30, 0x49, 0x53, 0x41, 0x5f, 0x46, 0x4f, 0x4f, 0x5f, 0x14, 0x11, 0x4d,
	       0x32, 0x5f, 0x5f, 0x00, 0xa4, 0x5c, 0x2e, 0x5f, 0x53, 0x42, 0x5f, 0x50, 0x43, 0x49,
	       0x30, 0x10, 0x30, 0x5c, 0x2f, 0x03, 0x5f, 0x53, 0x42, 0x5f, 0x50, 0x43, 0x49, 0x30,
	       0x49, 0x53, 0x41, 0x5f, 0x14, 0x0c, 0x4d, 0x33, 0x5f, 0x5f, 0x00, 0xa4, 0x5e, 0x46,
	       0x4f, 0x4f, 0x5f, 0x14, 0x12, 0x4d, 0x34, 0x5f, 0x5f, 0x08, 0xa4, 0x5e, 0x5e, 0x2e,
	       0x49, 0x53, 0x41, 0x5f, 0x46, 0x4f, 0x4f, 0x5f, 0x14, 0x09, 0x4d, 0x35, 0x5f, 0x5f,
	       0x03, 0xa4, 0x5c, 0x00);
}

/*
 * iasl -oa:
 * Name (VCIA, 0x0C000000)
 * Method (OPS, 2, NotSerialized) {
 *   Store (Arg0, Local0)
 *   Add (Local0, 40, Local1)
 *   Store (Subtract (Local1, Arg1, ), Local1)
 *   And (Local1, 0xFF, Local2)
 *   Or (Local2, One, Local3)
 *   If (LEqual (VCIA, Zero)) { Return (Zero) } Else { Return (0x0F) }
 *   If (LNot (LLess (Local0, Local1))) { Store (One, Local4) }
 *   If (LAnd (LGreater (Local0, 2), LOr (Local1, Local2))) { Store (Local3, Local5) }
 *   Store (Package (0x02) { Zero, Zero }, Local6)
 *   Store (Add (VCIA, 40, ), Index (Local6, Zero, ))
 *   Store (DerefOf (Index (Local6, One, )), Local7)
 *   Return (Local6)
 * }
 * Name (_S5, Package (0x04) { 0x05, Zero, Zero, Zero })
 * Name (BUF, Buffer () { 0x01, 0x02, 0x03 })
 */
Test(aml, operators_if_else_package_buffer)
{
	static const uint8_t bytes[] = { 1, 2, 3 };
	struct aml *b = aml_body(a), *m, *c, *pkg;

	aml_append(b, aml_name_decl(a, "VCIA", aml_int(a, 0x0C000000)));
	m = aml_method(a, "OPS", 2, false);
	aml_append(m, aml_store(a, aml_arg(a, 0), aml_local(a, 0)));
	aml_append(m, aml_add(a, aml_local(a, 0), aml_int(a, 40), aml_local(a, 1)));
	aml_append(m, aml_store(a, aml_subtract(a, aml_local(a, 1), aml_arg(a, 1), NULL),
				aml_local(a, 1)));
	aml_append(m, aml_and(a, aml_local(a, 1), aml_int(a, 0xFF), aml_local(a, 2)));
	aml_append(m, aml_or(a, aml_local(a, 2), aml_int(a, 1), aml_local(a, 3)));
	c = aml_if(a, aml_lequal(a, aml_name(a, "VCIA"), aml_int(a, 0)));
	aml_append(c, aml_return(a, aml_int(a, 0)));
	aml_append(m, c);
	c = aml_else(a);
	aml_append(c, aml_return(a, aml_int(a, 0x0F)));
	aml_append(m, c);
	c = aml_if(a, aml_lnot(a, aml_lless(a, aml_local(a, 0), aml_local(a, 1))));
	aml_append(c, aml_store(a, aml_int(a, 1), aml_local(a, 4)));
	aml_append(m, c);
	c = aml_if(a, aml_land(a, aml_lgreater(a, aml_local(a, 0), aml_int(a, 2)),
			       aml_lor(a, aml_local(a, 1), aml_local(a, 2))));
	aml_append(c, aml_store(a, aml_local(a, 3), aml_local(a, 5)));
	aml_append(m, c);
	pkg = aml_package(a);
	aml_append(pkg, aml_int(a, 0));
	aml_append(pkg, aml_int(a, 0));
	aml_append(m, aml_store(a, pkg, aml_local(a, 6)));
	aml_append(m, aml_store(a, aml_add(a, aml_name(a, "VCIA"), aml_int(a, 40), NULL),
				aml_index(a, aml_local(a, 6), aml_int(a, 0))));
	aml_append(m, aml_store(a, aml_deref(a, aml_index(a, aml_local(a, 6), aml_int(a, 1))),
				aml_local(a, 7)));
	aml_append(m, aml_return(a, aml_local(a, 6)));
	aml_append(b, m);
	aml_append(b, acpi_aml_s5(a));
	aml_append(b, aml_name_decl(a, "BUF", aml_buffer(a, bytes, sizeof(bytes))));
	EXPECT(b, 0x08, 0x56, 0x43, 0x49, 0x41, 0x0c, 0x00, 0x00, 0x00, 0x0c, 0x14, 0x40, 0x06,
	       0x4f, 0x50, 0x53, 0x5f, 0x02, 0x70, 0x68, 0x60, 0x72, 0x60, 0x0a, 0x28, 0x61, 0x70,
	       0x74, 0x61, 0x69, 0x00, 0x61, 0x7b, 0x61, 0x0a, 0xff, 0x62, 0x7d, 0x62, 0x01, 0x63,
	       0xa0, 0x09, 0x93, 0x56, 0x43, 0x49, 0x41, 0x00, 0xa4, 0x00, 0xa1, 0x04, 0xa4, 0x0a,
	       0x0f, 0xa0, 0x08, 0x92, 0x95, 0x60, 0x61, 0x70, 0x01, 0x64, 0xa0, 0x0c, 0x90, 0x94,
	       0x60, 0x0a, 0x02, 0x91, 0x61, 0x62, 0x70, 0x63, 0x65, 0x70, 0x12, 0x04, 0x02, 0x00,
	       0x00, 0x66, 0x70, 0x72, 0x56, 0x43, 0x49, 0x41, 0x0a, 0x28, 0x00, 0x88, 0x66, 0x00,
	       0x00, 0x70, 0x83, 0x88, 0x66, 0x01, 0x00, 0x67, 0xa4, 0x66, 0x08, 0x5f, 0x53, 0x35,
	       0x5f, 0x12, 0x07, 0x04, 0x0a, 0x05, 0x00, 0x00, 0x00, 0x08, 0x42, 0x55, 0x46, 0x5f,
	       0x11, 0x06, 0x0a, 0x03, 0x01, 0x02, 0x03);
}

/*
 * iasl -oa:
 * Name (CRS1, ResourceTemplate () {
 *   IO (Decode16, 0x03F8, 0x03F8, 0x00, 0x08)
 *   IRQNoFlags () {4}
 * })
 * Name (CRS2, ResourceTemplate () {
 *   IO (Decode10, 0x0510, 0x0510, 0x01, 0x0C)
 *   IRQ (Edge, ActiveHigh, Exclusive) {3}
 *   IRQ (Level, ActiveLow, Shared) {11}
 *   Memory32Fixed (ReadWrite, 0xFEC00000, 0x00001000)
 *   Memory32Fixed (ReadOnly, 0xFED00000, 0x00000400)
 *   Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive) {5}
 *   Interrupt (ResourceProducer, Edge, ActiveLow, Shared) {16, 0x12345678}
 * })
 * Name (CRS3, ResourceTemplate () {})
 */
Test(aml, resource_templates)
{
	static const uint32_t one[] = { 5 }, two[] = { 16, 0x12345678 };
	struct aml *b = aml_body(a), *crs;

	crs = aml_resource_template(a);
	aml_append(crs, aml_io(a, true, 0x3F8, 0x3F8, 0, 8));
	aml_append(crs, aml_irq_no_flags(a, 4));
	aml_append(b, aml_name_decl(a, "CRS1", crs));
	crs = aml_resource_template(a);
	aml_append(crs, aml_io(a, false, 0x510, 0x510, 1, 0x0C));
	aml_append(crs, aml_irq(a, 3, AML_IRQ_EDGE | AML_IRQ_ACTIVE_HIGH | AML_IRQ_EXCLUSIVE));
	aml_append(crs, aml_irq(a, 11, AML_IRQ_LEVEL | AML_IRQ_ACTIVE_LOW | AML_IRQ_SHARED));
	aml_append(crs, aml_memory32_fixed(a, true, 0xFEC00000, 0x1000));
	aml_append(crs, aml_memory32_fixed(a, false, 0xFED00000, 0x400));
	aml_append(crs, aml_interrupt(a, true, AML_IRQ_LEVEL, one, 1));
	aml_append(crs, aml_interrupt(a, false, AML_IRQ_EDGE | AML_IRQ_ACTIVE_LOW | AML_IRQ_SHARED,
				      two, 2));
	aml_append(b, aml_name_decl(a, "CRS2", crs));
	aml_append(b, aml_name_decl(a, "CRS3", aml_resource_template(a)));
	EXPECT(b, 0x08, 0x43, 0x52, 0x53, 0x31, 0x11, 0x10, 0x0a, 0x0d, 0x47, 0x01, 0xf8, 0x03,
	       0xf8, 0x03, 0x00, 0x08, 0x22, 0x10, 0x00, 0x79, 0x00, 0x08, 0x43, 0x52, 0x53, 0x32,
	       0x11, 0x44, 0x04, 0x0a, 0x40, 0x47, 0x00, 0x10, 0x05, 0x10, 0x05, 0x01, 0x0c, 0x23,
	       0x08, 0x00, 0x01, 0x23, 0x00, 0x08, 0x18, 0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0xc0,
	       0xfe, 0x00, 0x10, 0x00, 0x00, 0x86, 0x09, 0x00, 0x00, 0x00, 0x00, 0xd0, 0xfe, 0x00,
	       0x04, 0x00, 0x00, 0x89, 0x06, 0x00, 0x01, 0x01, 0x05, 0x00, 0x00, 0x00, 0x89, 0x0a,
	       0x00, 0x0e, 0x02, 0x10, 0x00, 0x00, 0x00, 0x78, 0x56, 0x34, 0x12, 0x79, 0x00, 0x08,
	       0x43, 0x52, 0x53, 0x33, 0x11, 0x05, 0x0a, 0x02, 0x79, 0x00);
}

/*
 * iasl -oa:
 * Name (CRS4, ResourceTemplate () {
 *   IRQ (Level, ActiveHigh, SharedAndWake) {7}
 *   Interrupt (ResourceConsumer, Edge, ActiveHigh, ExclusiveAndWake) {9}
 * })
 */
Test(aml, wake_capable_interrupts)
{
	static const uint32_t nine[] = { 9 };
	struct aml *crs = aml_resource_template(a);

	aml_append(crs, aml_irq(a, 7, AML_IRQ_LEVEL | AML_IRQ_SHARED | AML_IRQ_WAKE));
	aml_append(crs, aml_interrupt(a, true, AML_IRQ_EDGE | AML_IRQ_WAKE, nine, 1));
	EXPECT(aml_name_decl(a, "CRS4", crs), 0x08, 0x43, 0x52, 0x53, 0x34, 0x11, 0x12, 0x0a, 0x0f,
	       0x23, 0x80, 0x00, 0x30, 0x89, 0x06, 0x00, 0x13, 0x01, 0x09, 0x00, 0x00, 0x00, 0x79,
	       0x00);
}

/* Name (B, Buffer () { 0x00, 0x01, ... }) of n bytes: the first bytes of iasl -oa output. */
static void expect_buffer_head(size_t n, const uint8_t *head, size_t head_len)
{
	uint8_t *data = malloc(n);
	const uint8_t *got;
	size_t len;

	cr_assert(data);
	for (size_t i = 0; i < n; i++)
		data[i] = (uint8_t)i;
	got = aml_bytes(aml_name_decl(a, "B", aml_buffer(a, data, n)), &len);
	cr_assert_not_null(got);
	cr_assert_eq(len, 5 + head_len + n);
	cr_assert_arr_eq(got + 5, head, head_len, "buffer of %zu bytes", n);
	cr_assert_eq(memcmp(got + 5 + head_len, data, n), 0);
	free(data);
}

/* PkgLength: 63 fits one byte, 64 needs two; 4095 fits two, 4096 needs three (iasl agrees). */
Test(aml, pkglength_boundaries)
{
	expect_buffer_head(60, (const uint8_t[]){ 0x11, 0x3f, 0x0a, 0x3c }, 4);
	expect_buffer_head(61, (const uint8_t[]){ 0x11, 0x41, 0x04, 0x0a, 0x3d }, 5);
	expect_buffer_head(4090, (const uint8_t[]){ 0x11, 0x4f, 0xff, 0x0b, 0xfa, 0x0f }, 6);
	expect_buffer_head(4091, (const uint8_t[]){ 0x11, 0x81, 0x00, 0x01, 0x0b, 0xfb, 0x0f }, 7);
	/*
	 * Past iasl's patience (it takes minutes on a 1 MiB initializer), by the
	 * spec (§20.2.4): total 0xFFFFF fits three bytes, 0x100001 needs four.
	 */
	expect_buffer_head(1048567,
			   (const uint8_t[]){ 0x11, 0x8f, 0xff, 0xff, 0x0c, 0xf7, 0xff, 0x0f, 0x00 },
			   9);
	expect_buffer_head(1048568,
			   (const uint8_t[]){ 0x11, 0xc1, 0x00, 0x00, 0x01, 0x0c, 0xf8, 0xff, 0x0f,
					      0x00 },
			   10);
}

/*
 * Scope (\_SB) {
 *   Device (COM1) {
 *     Name (_HID, EisaId ("PNP0501")) Name (_UID, One) Name (_STA, 0x0F)
 *     Name (_CRS, ResourceTemplate () { IO (Decode16, 0x03F8, 0x03F8, 0x00, 0x08)
 *                                       IRQNoFlags () {4} })
 *   }
 *   Device (FWCF) {
 *     Name (_HID, "QEMU0002") Name (_STA, 0x0B)
 *     Name (_CRS, ResourceTemplate () { IO (Decode16, 0x0510, 0x0510, 0x01, 0x0C) })
 *   }
 *   Device (PEVT) {
 *     Name (_HID, "QEMU0001")
 *     Name (_CRS, ResourceTemplate () { IO (Decode16, 0x0505, 0x0505, 0x01, 0x01) })
 *     Name (_STA, 0x0F)
 *   }
 *   Device (C000) { Name (_HID, "ACPI0007") Name (_UID, Zero) }
 *   Device (C001) { Name (_HID, "ACPI0007") Name (_UID, One) }
 *   Device (C002) { Name (_HID, "ACPI0007") Name (_UID, 0x02) }
 * }
 * Name (_S5, Package (0x04) { 0x05, Zero, Zero, Zero })
 */
Test(aml, device_helpers)
{
	struct aml *b = aml_body(a), *sb = aml_scope(a, "\\_SB");

	aml_append(sb, acpi_aml_serial(a, 0, 0x3F8, 4));
	aml_append(sb, acpi_aml_fwcfg(a, 0x510, 0x0C));
	aml_append(sb, acpi_aml_pvpanic(a, 0x505));
	aml_append(sb, acpi_aml_cpus(a, 3));
	aml_append(b, sb);
	aml_append(b, acpi_aml_s5(a));
	EXPECT(b, 0x10, 0x40, 0x0f, 0x5c, 0x5f, 0x53, 0x42, 0x5f, 0x5b, 0x82, 0x32, 0x43, 0x4f,
	       0x4d, 0x31, 0x08, 0x5f, 0x48, 0x49, 0x44, 0x0c, 0x41, 0xd0, 0x05, 0x01, 0x08, 0x5f,
	       0x55, 0x49, 0x44, 0x01, 0x08, 0x5f, 0x53, 0x54, 0x41, 0x0a, 0x0f, 0x08, 0x5f, 0x43,
	       0x52, 0x53, 0x11, 0x10, 0x0a, 0x0d, 0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x00, 0x08,
	       0x22, 0x10, 0x00, 0x79, 0x00, 0x5b, 0x82, 0x2e, 0x46, 0x57, 0x43, 0x46, 0x08, 0x5f,
	       0x48, 0x49, 0x44, 0x0d, 0x51, 0x45, 0x4d, 0x55, 0x30, 0x30, 0x30, 0x32, 0x00, 0x08,
	       0x5f, 0x53, 0x54, 0x41, 0x0a, 0x0b, 0x08, 0x5f, 0x43, 0x52, 0x53, 0x11, 0x0d, 0x0a,
	       0x0a, 0x47, 0x01, 0x10, 0x05, 0x10, 0x05, 0x01, 0x0c, 0x79, 0x00, 0x5b, 0x82, 0x2e,
	       0x50, 0x45, 0x56, 0x54, 0x08, 0x5f, 0x48, 0x49, 0x44, 0x0d, 0x51, 0x45, 0x4d, 0x55,
	       0x30, 0x30, 0x30, 0x31, 0x00, 0x08, 0x5f, 0x43, 0x52, 0x53, 0x11, 0x0d, 0x0a, 0x0a,
	       0x47, 0x01, 0x05, 0x05, 0x05, 0x05, 0x01, 0x01, 0x79, 0x00, 0x08, 0x5f, 0x53, 0x54,
	       0x41, 0x0a, 0x0f, 0x5b, 0x82, 0x1a, 0x43, 0x30, 0x30, 0x30, 0x08, 0x5f, 0x48, 0x49,
	       0x44, 0x0d, 0x41, 0x43, 0x50, 0x49, 0x30, 0x30, 0x30, 0x37, 0x00, 0x08, 0x5f, 0x55,
	       0x49, 0x44, 0x00, 0x5b, 0x82, 0x1a, 0x43, 0x30, 0x30, 0x31, 0x08, 0x5f, 0x48, 0x49,
	       0x44, 0x0d, 0x41, 0x43, 0x50, 0x49, 0x30, 0x30, 0x30, 0x37, 0x00, 0x08, 0x5f, 0x55,
	       0x49, 0x44, 0x01, 0x5b, 0x82, 0x1b, 0x43, 0x30, 0x30, 0x32, 0x08, 0x5f, 0x48, 0x49,
	       0x44, 0x0d, 0x41, 0x43, 0x50, 0x49, 0x30, 0x30, 0x30, 0x37, 0x00, 0x08, 0x5f, 0x55,
	       0x49, 0x44, 0x0a, 0x02, 0x08, 0x5f, 0x53, 0x35, 0x5f, 0x12, 0x07, 0x04, 0x0a, 0x05,
	       0x00, 0x00, 0x00);
}

/*
 * iasl -on refuses _HID "QEMUVMCI" and shortens a DWord 0 to Zero, so the
 * golden is its output for the same shape with _HID "QEMU0003" and
 * VCIA = 0x12345678; the test patches those two back into our bytes' copy.
 *
 * Name (VCIA, 0x12345678)
 * Scope (\_SB) {
 *     Device (VMCI) {
 *         Name (_HID, "QEMU0003")
 *         Method (_STA, 0, NotSerialized) {
 *             If (LEqual (\VCIA, Zero)) { Return (Zero) }
 *             Return (0x0F)
 *         }
 *         Method (ADDR, 0, NotSerialized) {
 *             Store (Package (0x02) { Zero, Zero }, Local0)
 *             Store (Add (\VCIA, 0x28, ), Index (Local0, Zero, ))
 *             Return (Local0)
 *         }
 *     }
 * }
 */
Test(aml, vmcoreinfo_ssdt_body)
{
	static const uint8_t want[] = {
		0x08, 0x56, 0x43, 0x49, 0x41, 0x0c, 0x78, 0x56, 0x34, 0x12, 0x10, 0x41, 0x05, 0x5c,
		0x5f, 0x53, 0x42, 0x5f, 0x5b, 0x82, 0x48, 0x04, 0x56, 0x4d, 0x43, 0x49, 0x08, 0x5f,
		0x48, 0x49, 0x44, 0x0d, 0x51, 0x45, 0x4d, 0x55, 0x30, 0x30, 0x30, 0x33, 0x00, 0x14,
		0x14, 0x5f, 0x53, 0x54, 0x41, 0x00, 0xa0, 0x0a, 0x93, 0x5c, 0x56, 0x43, 0x49, 0x41,
		0x00, 0xa4, 0x00, 0xa4, 0x0a, 0x0f, 0x14, 0x1d, 0x41, 0x44, 0x44, 0x52, 0x00, 0x70,
		0x12, 0x04, 0x02, 0x00, 0x00, 0x60, 0x70, 0x72, 0x5c, 0x56, 0x43, 0x49, 0x41, 0x0a,
		0x28, 0x00, 0x88, 0x60, 0x00, 0x00, 0xa4, 0x60,
	};
	struct aml *body = acpi_aml_vmcoreinfo(a);
	uint8_t got[sizeof(want)];
	const uint8_t *p;
	uint32_t off;
	size_t len;
	char *hid;

	p = aml_bytes(body, &len);
	cr_assert_not_null(p);
	cr_assert_eq(len, sizeof(want));
	memcpy(got, p, len);
	cr_assert_eq(aml_mark_offset(body, ACPI_VMCOREINFO_LABEL, &off), 0);
	cr_assert_eq(off, 6);
	cr_assert_eq(memcmp(got + off, "\0\0\0\0", 4), 0, "VCIA starts as 0");
	memcpy(got + off, "\x78\x56\x34\x12", 4);
	hid = memmem(got, len, "QEMUVMCI", 8);
	cr_assert_not_null(hid);
	memcpy(hid, "QEMU0003", 8);
	cr_assert_arr_eq(got, want, sizeof(want));
}

/* Patch points keep their position through nested blocks and long PkgLengths. */
Test(aml, patch_point_follows_nesting)
{
	static uint8_t pad[100];
	struct aml *b = aml_body(a), *sb, *dev, *m;
	const uint8_t *p;
	uint32_t off;
	size_t len;

	sb = aml_scope(a, "\\_SB");
	dev = aml_device(a, "DEV0");
	aml_append(dev, aml_name_decl(a, "PAD", aml_buffer(a, pad, sizeof(pad))));
	m = aml_method(a, "GET", 0, false);
	aml_append(m, aml_return(a, aml_patch_dword(a, 0xAABBCCDD, "HERE")));
	aml_append(dev, m);
	aml_append(sb, dev);
	aml_append(b, aml_name_decl(a, "X", aml_int(a, 5)));
	aml_append(b, sb);
	p = aml_bytes(b, &len);
	cr_assert_not_null(p);
	cr_assert_eq(aml_mark_offset(b, "HERE", &off), 0);
	cr_assert(off + 4 <= len);
	cr_assert_eq(p[off - 1], 0x0C, "DWordPrefix right before the patch point");
	cr_assert_eq(p[off] | p[off + 1] << 8 | p[off + 2] << 16 | (uint32_t)p[off + 3] << 24,
		     0xAABBCCDD);

	/* A block's own offset counts its opcode and PkgLength. */
	cr_assert_eq(aml_mark_offset(sb, "HERE", &off), 0);
	cr_assert_eq(p[7 + off - 1], 0x0C, "sb starts after Name (X, 5): 7 bytes");

	/* Two patch points with one label are ambiguous. */
	m = aml_body(a);
	aml_append(m, b);
	aml_append(m, aml_patch_dword(a, 0, "HERE"));
	cr_assert_eq(aml_mark_offset(m, "HERE", &off), -EEXIST);
	cr_assert_eq(aml_mark_count(m), 2);
}

Test(aml, bad_names_are_rejected)
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

Test(aml, max_segments_and_null_names)
{
	/* Multi-name path: 0x2F, count, segments; parent prefix alone: ^ NullName. */
	EXPECT(aml_name(a, "\\A.B.C"), 0x5c, 0x2f, 0x03, 'A', '_', '_', '_', 'B', '_', '_', '_',
	       'C', '_', '_', '_');
	EXPECT(aml_name(a, "^"), 0x5e, 0x00);
	EXPECT(aml_name(a, "_T_0"), '_', 'T', '_', '0');
}

Test(aml, bad_eisaid_is_rejected)
{
	aml_eisaid(a, "PNP050");
	expect_error(-EINVAL, "EISA ID");
}

Test(aml, bad_eisaid_letter)
{
	aml_eisaid(a, "pNP0501");
	expect_error(-EINVAL, "EISA ID");
}

Test(aml, bad_eisaid_hex)
{
	aml_eisaid(a, "PNP05G1");
	expect_error(-EINVAL, "EISA ID");
}

Test(aml, local_and_arg_ranges)
{
	EXPECT(aml_local(a, 7), 0x67);
	EXPECT(aml_arg(a, 6), 0x6e);
	aml_local(a, 8);
	expect_error(-EINVAL, "Local8");
}

Test(aml, arg7_does_not_exist)
{
	aml_arg(a, 7);
	expect_error(-EINVAL, "Arg7");
}

Test(aml, method_with_eight_args)
{
	aml_method(a, "M", 8, false);
	expect_error(-EINVAL, "arguments");
}

Test(aml, non_ascii_string)
{
	aml_string(a, "caf\xc3\xa9");
	expect_error(-EINVAL, "non-ASCII");
}

Test(aml, irq_out_of_range)
{
	aml_irq_no_flags(a, 16);
	expect_error(-EINVAL, "IRQ 16");
}

Test(aml, interrupt_needs_one_to_255)
{
	aml_interrupt(a, true, 0, NULL, 0);
	expect_error(-EINVAL, "Interrupt descriptor");
}

Test(aml, changing_an_appended_node_is_an_error)
{
	struct aml *b = aml_body(a), *dev = aml_device(a, "DEV");

	aml_append(b, dev);
	aml_append(dev, aml_name_decl(a, "_UID", aml_int(a, 1))); /* would be lost */
	expect_error(-EINVAL, "changed after");
}

Test(aml, appending_to_a_term_is_an_error)
{
	aml_append(aml_int(a, 5), aml_int(a, 6));
	expect_error(-EINVAL, "not a container");
}

Test(aml, package_of_256_elements_is_an_error)
{
	struct aml *pkg = aml_package(a);

	for (unsigned i = 0; i < 255; i++)
		aml_append(pkg, aml_int(a, 0));
	cr_assert_eq(aml_arena_error(a, NULL), 0);
	aml_append(pkg, aml_int(a, 0));
	expect_error(-E2BIG, "255");
}

Test(aml, errors_are_sticky_and_nodes_never_null)
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

Test(aml, patch_label_too_long)
{
	aml_patch_dword(a, 0, "SIXTEEN_CHARS_XX");
	expect_error(-EINVAL, "patch label");
}

Test(aml, nodes_of_another_arena_are_refused)
{
	struct aml_arena *other = aml_arena_new();

	aml_append(aml_body(a), aml_int(other, 1));
	expect_error(-EINVAL, "across arenas");
	aml_arena_free(other);
}
