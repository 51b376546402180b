/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by acpi/aml.c (nodes, names, data objects),
 * acpi/aml_ops.c (operators, resource descriptors) and acpi/aml_fields.c
 * (operation regions, fields). Not for other modules.
 */
#ifndef MICROVM_ACPI_AML_INTERNAL_H
#define MICROVM_ACPI_AML_INTERNAL_H

#include "acpi/abuf.h"
#include "acpi/aml.h"

enum aml_kind {
	AML_PLAIN,	 /* bytes as they are: terms, bodies */
	AML_BLOCK,	 /* op, PkgLength, buf (header + TermList) */
	AML_PACKAGE,	 /* op, PkgLength, NumElements, buf */
	AML_BUFFER,	 /* op, PkgLength, BufferSize, buf */
	AML_RESTEMPLATE, /* like AML_BUFFER plus an EndTag after buf */
};

struct aml_mark {
	char label[AML_LABEL_MAX + 1];
	uint32_t off; /* relative to the start of buf */
};

struct aml {
	struct aml_arena *arena;
	struct aml *next; /* the arena's list of nodes */
	enum aml_kind kind;
	uint8_t op[2];
	uint8_t oplen;
	bool container; /* accepts aml_append */
	bool sealed;	/* copied into another node: no more changes */
	unsigned count; /* AML_PACKAGE: elements appended */
	struct abuf buf;
	struct aml_mark *marks;
	unsigned nr_marks, cap_marks;
};

struct aml_arena {
	struct aml *nodes;
	struct aml dead; /* returned instead of NULL; ignores everything */
	int err;
	char msg[256];
};

/* Record the first error of the arena. */
void aml_fail(struct aml_arena *a, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

struct aml *aml_node_new(struct aml_arena *a, enum aml_kind kind, bool container);
/* Raw bytes / a little-endian integer / a child's encoding / a NameString into n->buf. */
void aml_put(struct aml *n, const void *p, size_t len);
void aml_put_u8(struct aml *n, uint8_t v);
void aml_put_le16(struct aml *n, uint16_t v);
void aml_put_le32(struct aml *n, uint32_t v);
void aml_put_node(struct aml *n, struct aml *child);
void aml_put_name(struct aml *n, const char *path);

/* PkgLength (§20.2.4): up to 63 in one byte, else 12, 20 or 28 bits. */
#define AML_PKGLEN_MAX ((1u << 28) - 1)
/* v in PkgLength's layout, not counting those bytes; their count, 0 if v > AML_PKGLEN_MAX. */
size_t aml_pkglen_put(uint32_t v, uint8_t out[4]);

/* Shortest integer encoding (Zero/One/Ones/Byte/Word/DWord/QWord) into out; its length. */
size_t aml_int_encode(uint64_t v, uint8_t out[9]);
/* Label the 4 bytes at buf offset off of n as patch point label. */
void aml_add_mark(struct aml *n, const char *label, uint32_t off);

/* Operators of one, two, or two-plus-target operands (Target NullName when target is NULL). */
struct aml *aml_op1(struct aml_arena *a, uint8_t op, struct aml *x);
struct aml *aml_op2(struct aml_arena *a, uint8_t op, struct aml *x, struct aml *y);
struct aml *aml_op2t(struct aml_arena *a, uint8_t op, struct aml *x, struct aml *y,
		     struct aml *target);

#endif
