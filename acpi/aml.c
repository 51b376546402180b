/* SPDX-License-Identifier: MIT */
/*
 * AML builder core: arena, node encoding (PkgLength, integer encoding),
 * NameStrings and the block constructors. Section numbers are ACPI 6.4.
 */
#include "acpi/aml.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acpi/aml_internal.h"
#include "vmm/err.h"
#include "vmm/util.h"

/* §20.2.3 Data Objects Encoding, §20.2.5 Term Objects Encoding */
#define AML_ZERO_OP 0x00
#define AML_ONE_OP 0x01
#define AML_ONES_OP 0xFF
#define AML_BYTE_PREFIX 0x0A
#define AML_WORD_PREFIX 0x0B
#define AML_DWORD_PREFIX 0x0C
#define AML_QWORD_PREFIX 0x0E
#define AML_SCOPE_OP 0x10
#define AML_BUFFER_OP 0x11
#define AML_PACKAGE_OP 0x12
#define AML_METHOD_OP 0x14
#define AML_EXT_PREFIX 0x5B
#define AML_DEVICE_OP 0x82 /* after AML_EXT_PREFIX */
#define AML_IF_OP 0xA0
#define AML_ELSE_OP 0xA1

/* §20.2.2 Name Objects Encoding */
#define AML_ROOT_CHAR '\\'
#define AML_PARENT_PREFIX '^'
#define AML_DUAL_NAME_PREFIX 0x2E
#define AML_MULTI_NAME_PREFIX 0x2F
#define AML_NULL_NAME 0x00
#define AML_MAX_SEGS 255

/* §6.4.2.9 End Tag: small item 0x0F, length 1 -> 0x79, then a checksum (0: none). */
#define AML_END_TAG 0x79

void aml_fail(struct aml_arena *a, int code, const char *fmt, ...)
{
	va_list ap;

	if (a->err)
		return;
	a->err = code;
	va_start(ap, fmt);
	vsnprintf(a->msg, sizeof(a->msg), fmt, ap);
	va_end(ap);
}

struct aml_arena *aml_arena_new(void)
{
	struct aml_arena *a = calloc(1, sizeof(*a));

	if (a) {
		a->dead.arena = a;
		a->dead.sealed = true;
	}
	return a;
}

void aml_arena_free(struct aml_arena *a)
{
	struct aml *n, *next;

	if (!a)
		return;
	for (n = a->nodes; n; n = next) {
		next = n->next;
		abuf_free(&n->buf);
		free(n->marks);
		free(n);
	}
	free(a);
}

int aml_arena_error(const struct aml_arena *a, struct errbuf *e)
{
	if (!a->err)
		return 0;
	return errf(e, a->err, "AML: %s", a->msg);
}

int aml_error(const struct aml *n, struct errbuf *e)
{
	return aml_arena_error(n->arena, e);
}

struct aml *aml_node_new(struct aml_arena *a, enum aml_kind kind, bool container)
{
	struct aml *n;

	if (a->err)
		return &a->dead; /* nothing built after an error is ever used */
	n = calloc(1, sizeof(*n));
	if (!n) {
		aml_fail(a, -ENOMEM, "out of memory");
		return &a->dead;
	}
	n->arena = a;
	n->kind = kind;
	n->container = container;
	n->next = a->nodes;
	a->nodes = n;
	return n;
}

static bool aml_writable(struct aml *n)
{
	if (n == &n->arena->dead)
		return false;
	if (n->sealed) {
		aml_fail(n->arena, -EINVAL, "node changed after it was appended elsewhere");
		return false;
	}
	return true;
}

void aml_put(struct aml *n, const void *p, size_t len)
{
	if (!aml_writable(n))
		return;
	if (abuf_append(&n->buf, p, len) < 0)
		aml_fail(n->arena, -ENOMEM, "out of memory or term larger than %u bytes", ABUF_MAX);
}

void aml_put_u8(struct aml *n, uint8_t v)
{
	aml_put(n, &v, 1);
}

void aml_put_le16(struct aml *n, uint16_t v)
{
	uint8_t t[2];

	put_le16(t, v);
	aml_put(n, t, sizeof(t));
}

void aml_put_le32(struct aml *n, uint32_t v)
{
	uint8_t t[4];

	put_le32(t, v);
	aml_put(n, t, sizeof(t));
}

/* Shortest integer encoding (§20.2.3 ComputationalData / ConstObj); returns its length. */
size_t aml_int_encode(uint64_t v, uint8_t out[9])
{
	if (v == 0 || v == 1) {
		out[0] = v ? AML_ONE_OP : AML_ZERO_OP;
		return 1;
	}
	/* Ones is 64 bits wide in tables of revision 2 or more, which is all we build. */
	if (v == UINT64_MAX) {
		out[0] = AML_ONES_OP;
		return 1;
	}
	if (v <= UINT8_MAX) {
		out[0] = AML_BYTE_PREFIX;
		out[1] = (uint8_t)v;
		return 2;
	}
	if (v <= UINT16_MAX) {
		out[0] = AML_WORD_PREFIX;
		put_le16(out + 1, (uint16_t)v);
		return 3;
	}
	if (v <= UINT32_MAX) {
		out[0] = AML_DWORD_PREFIX;
		put_le32(out + 1, (uint32_t)v);
		return 5;
	}
	out[0] = AML_QWORD_PREFIX;
	put_le64(out + 1, v);
	return 9;
}

/*
 * §20.2.4 PkgLength's layout for the value v as it is: one byte up to 0x3F,
 * else a lead byte (bits 7-6 the count of following bytes, bits 3-0 the low
 * nibble) and 1-3 bytes more. FieldLength (§20.2.5.2) uses it for a bit
 * count. Returns the byte count, 0 if v exceeds AML_PKGLEN_MAX.
 */
size_t aml_pkglen_put(uint32_t v, uint8_t out[4])
{
	size_t n;

	if (v > AML_PKGLEN_MAX)
		return 0;
	if (v <= 0x3F) {
		out[0] = (uint8_t)v;
		return 1;
	}
	n = v < 1u << 12 ? 2 : v < 1u << 20 ? 3 : 4;
	out[0] = (uint8_t)((n - 1) << 6 | (v & 0x0F));
	for (size_t i = 1; i < n; i++)
		out[i] = (uint8_t)(v >> (4 + 8 * (i - 1)));
	return n;
}

/* PkgLength of a package whose contents after it are len bytes (it counts itself); 0 if too big. */
static size_t aml_pkglen_encode(size_t len, uint8_t out[4])
{
	for (size_t n = 1; n <= 4; n++)
		if (len + n <= AML_PKGLEN_MAX && aml_pkglen_put((uint32_t)(len + n), out) == n)
			return n;
	return 0;
}

/*
 * Everything that precedes buf in n's encoding. Returns its length, or -1
 * (error recorded) when the contents are too large for a PkgLength.
 */
static int aml_prefix(const struct aml *n, uint8_t out[24])
{
	uint8_t size_enc[9];
	size_t p = 0, k, body = n->buf.len, size_len = 0;

	if (n->kind == AML_PLAIN)
		return 0;
	memcpy(out, n->op, n->oplen);
	p = n->oplen;
	if (n->kind == AML_PACKAGE)
		body += 1; /* NumElements */
	if (n->kind == AML_BUFFER || n->kind == AML_RESTEMPLATE) {
		uint64_t bytes = n->buf.len + (n->kind == AML_RESTEMPLATE ? 2 : 0);

		size_len = aml_int_encode(bytes, size_enc); /* BufferSize, §20.2.5.4 */
		body = bytes + size_len;
	}
	k = aml_pkglen_encode(body, out + p);
	if (!k) {
		aml_fail(n->arena, -E2BIG, "object of %zu bytes exceeds the PkgLength limit", body);
		return -1;
	}
	p += k;
	if (n->kind == AML_PACKAGE)
		out[p++] = (uint8_t)n->count;
	memcpy(out + p, size_enc, size_len);
	return (int)(p + size_len);
}

void aml_add_mark(struct aml *n, const char *label, uint32_t off)
{
	struct aml_mark *m;

	if (!aml_writable(n))
		return;
	if (n->nr_marks == n->cap_marks) {
		unsigned cap = n->cap_marks ? 2 * n->cap_marks : 4;

		m = realloc(n->marks, cap * sizeof(*m));
		if (!m) {
			aml_fail(n->arena, -ENOMEM, "out of memory");
			return;
		}
		n->marks = m;
		n->cap_marks = cap;
	}
	m = &n->marks[n->nr_marks++];
	snprintf(m->label, sizeof(m->label), "%s", label);
	m->off = off;
}

void aml_put_node(struct aml *n, struct aml *child)
{
	static const uint8_t end_tag[2] = { AML_END_TAG, 0 };
	uint8_t prefix[24];
	size_t base;
	int plen;

	if (child == &child->arena->dead || !aml_writable(n))
		return;
	if (child->arena != n->arena || child == n) {
		aml_fail(n->arena, -EINVAL, "node appended to itself or across arenas");
		return;
	}
	plen = aml_prefix(child, prefix);
	if (plen < 0)
		return;
	child->sealed = true;
	aml_put(n, prefix, (size_t)plen);
	base = n->buf.len;
	aml_put(n, child->buf.data, child->buf.len);
	if (child->kind == AML_RESTEMPLATE)
		aml_put(n, end_tag, sizeof(end_tag));
	for (unsigned i = 0; i < child->nr_marks; i++)
		aml_add_mark(n, child->marks[i].label, (uint32_t)(base + child->marks[i].off));
}

void aml_append(struct aml *parent, struct aml *child)
{
	if (parent == &parent->arena->dead)
		return;
	if (!parent->container) {
		aml_fail(parent->arena, -EINVAL, "append to a term that is not a container");
		return;
	}
	if (parent->kind == AML_PACKAGE && parent->count == 255) {
		aml_fail(parent->arena, -E2BIG, "package with more than 255 elements");
		return;
	}
	aml_put_node(parent, child);
	if (parent->kind == AML_PACKAGE && !parent->arena->err)
		parent->count++;
}

const uint8_t *aml_bytes(struct aml *n, size_t *len)
{
	struct aml_arena *a = n->arena;
	struct aml *out = n;

	*len = 0;
	if (n->kind != AML_PLAIN) {
		out = aml_node_new(a, AML_PLAIN, false);
		aml_put_node(out, n);
	}
	if (a->err)
		return NULL;
	n->sealed = true;
	*len = out->buf.len;
	return out->buf.data;
}

int aml_mark_offset(const struct aml *n, const char *label, uint32_t *off)
{
	uint8_t prefix[24];
	int found = 0, plen;

	for (unsigned i = 0; i < n->nr_marks; i++) {
		if (strcmp(n->marks[i].label, label))
			continue;
		if (found++)
			return -EEXIST;
		*off = n->marks[i].off;
	}
	if (!found)
		return -ENOENT;
	plen = aml_prefix(n, prefix);
	if (plen < 0)
		return -E2BIG;
	*off += (uint32_t)plen;
	return 0;
}

unsigned aml_mark_count(const struct aml *n)
{
	return n->nr_marks;
}

/* ---- §20.2.2 NameString ---- */

static bool aml_lead_char(char c)
{
	return (c >= 'A' && c <= 'Z') || c == '_';
}

static bool aml_name_char(char c)
{
	return aml_lead_char(c) || (c >= '0' && c <= '9');
}

void aml_put_name(struct aml *n, const char *path)
{
	char segs[AML_MAX_SEGS][4];
	const char *p = path;
	unsigned nsegs = 0, prefix = 0;
	bool root = false;

	if (*p == AML_ROOT_CHAR) {
		root = true;
		p++;
	} else {
		while (*p == AML_PARENT_PREFIX) {
			prefix++;
			p++;
		}
	}
	while (*p) {
		size_t len = strcspn(p, ".");

		if (len < 1 || len > 4 || !aml_lead_char(p[0]) || nsegs == AML_MAX_SEGS)
			goto bad;
		memset(segs[nsegs], '_', 4);
		for (size_t i = 0; i < len; i++) {
			if (!aml_name_char(p[i]))
				goto bad;
			segs[nsegs][i] = p[i];
		}
		nsegs++;
		p += len;
		if (*p == '.' && !*++p)
			goto bad; /* trailing dot */
	}
	if (!nsegs && !root && !prefix)
		goto bad; /* an empty name is never what the caller meant */
	if (root)
		aml_put_u8(n, AML_ROOT_CHAR);
	for (unsigned i = 0; i < prefix; i++)
		aml_put_u8(n, AML_PARENT_PREFIX);
	if (nsegs == 0) {
		aml_put_u8(n, AML_NULL_NAME);
	} else if (nsegs == 2) {
		aml_put_u8(n, AML_DUAL_NAME_PREFIX);
	} else if (nsegs > 2) {
		aml_put_u8(n, AML_MULTI_NAME_PREFIX);
		aml_put_u8(n, (uint8_t)nsegs);
	}
	aml_put(n, segs, 4 * (size_t)nsegs);
	return;
bad:
	aml_fail(n->arena, -EINVAL, "bad name \"%.64s\" (segments: 1-4 of A-Z 0-9 _, not starting with a digit)",
		 path);
}

/* ---- containers ---- */

struct aml *aml_body(struct aml_arena *a)
{
	return aml_node_new(a, AML_PLAIN, true);
}

static struct aml *aml_block(struct aml_arena *a, enum aml_kind kind, uint8_t op0, int op1)
{
	struct aml *n = aml_node_new(a, kind, true);

	n->op[0] = op0;
	n->oplen = 1;
	if (op1 >= 0) {
		n->op[1] = (uint8_t)op1;
		n->oplen = 2;
	}
	return n;
}

/* §20.2.5.1 DefScope := ScopeOp PkgLength NameString TermList */
struct aml *aml_scope(struct aml_arena *a, const char *name)
{
	struct aml *n = aml_block(a, AML_BLOCK, AML_SCOPE_OP, -1);

	aml_put_name(n, name);
	return n;
}

/* §20.2.5.2 DefDevice := DeviceOp PkgLength NameString TermList */
struct aml *aml_device(struct aml_arena *a, const char *name)
{
	struct aml *n = aml_block(a, AML_BLOCK, AML_EXT_PREFIX, AML_DEVICE_OP);

	aml_put_name(n, name);
	return n;
}

/*
 * §20.2.5.2 DefMethod := MethodOp PkgLength NameString MethodFlags TermList;
 * MethodFlags bits 0-2 ArgCount, bit 3 SerializeFlag, bits 4-7 SyncLevel (0).
 */
struct aml *aml_method(struct aml_arena *a, const char *name, unsigned nargs, bool serialized)
{
	struct aml *n = aml_block(a, AML_BLOCK, AML_METHOD_OP, -1);

	if (nargs > 7)
		aml_fail(a, -EINVAL, "method %.16s with %u arguments (at most 7)", name, nargs);
	aml_put_name(n, name);
	aml_put_u8(n, (uint8_t)((nargs & 7) | (serialized ? 1u << 3 : 0)));
	return n;
}

/* §20.2.5.3 DefIfElse := IfOp PkgLength Predicate TermList DefElse */
struct aml *aml_if(struct aml_arena *a, struct aml *predicate)
{
	struct aml *n = aml_block(a, AML_BLOCK, AML_IF_OP, -1);

	aml_put_node(n, predicate);
	return n;
}

/* §20.2.5.3 DefElse := Nothing | <ElseOp PkgLength TermList> */
struct aml *aml_else(struct aml_arena *a)
{
	return aml_block(a, AML_BLOCK, AML_ELSE_OP, -1);
}

/* §20.2.5.4 DefPackage := PackageOp PkgLength NumElements PackageElementList */
struct aml *aml_package(struct aml_arena *a)
{
	return aml_block(a, AML_PACKAGE, AML_PACKAGE_OP, -1);
}

/* §20.2.5.4 DefBuffer := BufferOp PkgLength BufferSize ByteList */
struct aml *aml_buffer(struct aml_arena *a, const void *data, size_t len)
{
	struct aml *n = aml_block(a, AML_BUFFER, AML_BUFFER_OP, -1);

	aml_put(n, data, len);
	return n;
}

/* §19.6.117 ResourceTemplate: a Buffer of descriptors closed by an End Tag (§6.4.2.9). */
struct aml *aml_resource_template(struct aml_arena *a)
{
	return aml_block(a, AML_RESTEMPLATE, AML_BUFFER_OP, -1);
}
