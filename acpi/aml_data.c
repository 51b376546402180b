/* SPDX-License-Identifier: MIT */
/*
 * AML data objects and names as terms (ACPI 6.4 §20.2.3, §20.2.5.1,
 * §20.2.6): integers, strings, EISA IDs, Local/Arg, Name declarations.
 */
#include <errno.h>
#include <string.h>

#include "acpi/aml.h"
#include "acpi/aml_internal.h"
#include "vmm/util.h"

#define AML_DWORD_PREFIX 0x0C
#define AML_STRING_PREFIX 0x0D
#define AML_NAME_OP 0x08
#define AML_LOCAL0_OP 0x60
#define AML_ARG0_OP 0x68

/* §20.2.5.1 DefName := NameOp NameString DataRefObject */
struct aml *aml_name_decl(struct aml_arena *a, const char *name, struct aml *value)
{
	struct aml *n = aml_node_new(a, AML_PLAIN, false);

	aml_put_u8(n, AML_NAME_OP);
	aml_put_name(n, name);
	aml_put_node(n, value);
	return n;
}

struct aml *aml_name(struct aml_arena *a, const char *path)
{
	struct aml *n = aml_node_new(a, AML_PLAIN, false);

	aml_put_name(n, path);
	return n;
}

struct aml *aml_int(struct aml_arena *a, uint64_t v)
{
	struct aml *n = aml_node_new(a, AML_PLAIN, false);
	uint8_t enc[9];

	aml_put(n, enc, aml_int_encode(v, enc));
	return n;
}

/* §20.2.3 DWordConst := DWordPrefix DWordData */
struct aml *aml_int_dword(struct aml_arena *a, uint32_t v)
{
	struct aml *n = aml_node_new(a, AML_PLAIN, false);

	aml_put_u8(n, AML_DWORD_PREFIX);
	aml_put_le32(n, v);
	return n;
}

struct aml *aml_patch_dword(struct aml_arena *a, uint32_t v, const char *label)
{
	struct aml *n = aml_int_dword(a, v);

	if (!*label || strlen(label) > AML_LABEL_MAX) {
		aml_fail(a, -EINVAL, "patch label \"%.32s\" empty or longer than %d", label,
			 AML_LABEL_MAX);
		return n;
	}
	aml_add_mark(n, label, 1); /* the DWordData after the prefix */
	return n;
}

/* §20.2.3 String := StringPrefix AsciiCharList NullChar; AsciiChar 0x01-0x7F */
struct aml *aml_string(struct aml_arena *a, const char *s)
{
	struct aml *n = aml_node_new(a, AML_PLAIN, false);

	for (const char *p = s; *p; p++) {
		if ((unsigned char)*p > 0x7F) {
			aml_fail(a, -EINVAL, "string \"%.32s\" has a non-ASCII character", s);
			return n;
		}
	}
	aml_put_u8(n, AML_STRING_PREFIX);
	aml_put(n, s, strlen(s) + 1);
	return n;
}

static int aml_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * §19.6.49 EISAID: "UUUXXXX" -> three 5-bit letters (A = 1) in bits 30-16 and
 * four hex digits in bits 15-0, stored most significant byte first.
 */
struct aml *aml_eisaid(struct aml_arena *a, const char *id)
{
	struct aml *n = aml_node_new(a, AML_PLAIN, false);
	uint32_t v = 0;
	uint8_t be[4];

	if (strlen(id) != 7)
		goto bad;
	for (int i = 0; i < 3; i++) {
		if (id[i] < 'A' || id[i] > 'Z')
			goto bad;
		v |= (uint32_t)(id[i] - '@') << (26 - 5 * i);
	}
	for (int i = 3; i < 7; i++) {
		int d = aml_hex_digit(id[i]);

		if (d < 0)
			goto bad;
		v |= (uint32_t)d << (4 * (6 - i));
	}
	put_be32(be, v);
	aml_put_u8(n, AML_DWORD_PREFIX);
	aml_put(n, be, sizeof(be));
	return n;
bad:
	aml_fail(a, -EINVAL, "bad EISA ID \"%.16s\" (want three letters A-Z, four hex digits)", id);
	return n;
}

/* §20.2.6.2 LocalObj := Local0Op (0x60) ... Local7Op (0x67) */
struct aml *aml_local(struct aml_arena *a, unsigned i)
{
	struct aml *n = aml_node_new(a, AML_PLAIN, false);

	if (i > 7)
		aml_fail(a, -EINVAL, "Local%u does not exist (Local0-Local7)", i);
	aml_put_u8(n, (uint8_t)(AML_LOCAL0_OP + (i & 7)));
	return n;
}

/* §20.2.6.1 ArgObj := Arg0Op (0x68) ... Arg6Op (0x6E) */
struct aml *aml_arg(struct aml_arena *a, unsigned i)
{
	struct aml *n = aml_node_new(a, AML_PLAIN, false);

	if (i > 6)
		aml_fail(a, -EINVAL, "Arg%u does not exist (Arg0-Arg6)", i);
	aml_put_u8(n, (uint8_t)(AML_ARG0_OP + (i > 6 ? 0 : i)));
	return n;
}
