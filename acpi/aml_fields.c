/* SPDX-License-Identifier: MIT */
/*
 * Operation regions and their fields (ACPI 6.4 §20.2.5.2 Named Objects
 * Encoding): how AML reads and writes a device's registers.
 */
#include <errno.h>
#include <string.h>

#include "acpi/aml.h"
#include "acpi/aml_internal.h"

#define AML_EXT_PREFIX 0x5B
#define AML_OP_REGION_OP 0x80 /* after AML_EXT_PREFIX */
#define AML_FIELD_OP 0x81     /* after AML_EXT_PREFIX */
#define AML_RESERVED_FIELD 0x00

/* FieldFlags: bits 0-3 AccessType (0-5), 4 LockRule, 5-6 UpdateRule (0-2), 7 reserved. */
#define AML_FIELD_ACC_MASK 0x0F
#define AML_FIELD_UPDATE_MASK 0x60

/*
 * §20.2.5.2 DefOpRegion := OpRegionOp NameString RegionSpace RegionOffset RegionLen;
 * RegionSpace is a ByteData, RegionOffset and RegionLen are TermArgs.
 */
struct aml *aml_operation_region(struct aml_arena *a, const char *name, uint8_t space,
				 struct aml *offset, struct aml *len)
{
	struct aml *n = aml_node_new(a, AML_PLAIN, false);

	aml_put_u8(n, AML_EXT_PREFIX);
	aml_put_u8(n, AML_OP_REGION_OP);
	aml_put_name(n, name);
	aml_put_u8(n, space);
	aml_put_node(n, offset);
	aml_put_node(n, len);
	return n;
}

/* A NamedField's NameSeg: one segment, no prefix (aml_put_name would take a path). */
static bool aml_nameseg_ok(struct aml_arena *a, const char *name)
{
	size_t len = strlen(name);

	if (len >= 1 && len <= 4 && !strpbrk(name, ".\\^"))
		return true;
	aml_fail(a, -EINVAL, "bad field name \"%.16s\" (one segment of 1-4 characters)", name);
	return false;
}

/*
 * §20.2.5.2 FieldElement := NamedField | ReservedField | ...
 *   NamedField    := NameSeg FieldLength
 *   ReservedField := 0x00 FieldLength
 * FieldLength is a bit count in PkgLength's layout, not counting itself.
 */
static void aml_put_field_unit(struct aml *n, const struct aml_field_unit *u)
{
	uint8_t len[4];

	if (u->bits < 1 || u->bits > AML_PKGLEN_MAX) {
		aml_fail(n->arena, -EINVAL, "field unit %.16s of %u bits (1-%u)",
			 u->name ? u->name : "(reserved)", u->bits, AML_PKGLEN_MAX);
		return;
	}
	if (!u->name)
		aml_put_u8(n, AML_RESERVED_FIELD);
	else if (aml_nameseg_ok(n->arena, u->name))
		aml_put_name(n, u->name);
	else
		return;
	aml_put(n, len, aml_pkglen_put(u->bits, len));
}

/* §20.2.5.2 DefField := FieldOp PkgLength NameString FieldFlags FieldList */
struct aml *aml_field(struct aml_arena *a, const char *region, unsigned flags,
		      const struct aml_field_unit *units, unsigned nr)
{
	struct aml *n = aml_node_new(a, AML_BLOCK, false);

	if ((flags & AML_FIELD_ACC_MASK) > AML_FIELD_BUFFER_ACC ||
	    (flags & AML_FIELD_UPDATE_MASK) == AML_FIELD_UPDATE_MASK || flags > 0x7F) {
		aml_fail(a, -EINVAL, "field of %.16s: bad flags 0x%x", region, flags);
		return n;
	}
	n->op[0] = AML_EXT_PREFIX;
	n->op[1] = AML_FIELD_OP;
	n->oplen = 2;
	aml_put_name(n, region);
	aml_put_u8(n, (uint8_t)flags);
	for (unsigned i = 0; i < nr; i++)
		aml_put_field_unit(n, &units[i]);
	return n;
}
