/* SPDX-License-Identifier: MIT */
/*
 * AML builder (ACPI 6.4 chapter 20, "ACPI Machine Language Specification").
 *
 * Memory model: every node belongs to an arena; aml_arena_free() releases
 * them all, so builders never free a node. A node is a byte buffer plus, for
 * blocks (Scope, Device, Method, If, Else, Package, Buffer, Field), the
 * opcode whose PkgLength is computed when the node is encoded.
 * aml_append(parent, child) and every operator constructor copy the child's
 * encoding into the parent; from then on the child is sealed and appending
 * more to it is an error (it would silently be lost otherwise).
 *
 * Errors are sticky in the arena: constructors never return NULL (on failure
 * they return the arena's inert "dead" node and record the first error), so
 * a table is composed with nested calls and checked once with
 * aml_arena_error() before its bytes are used.
 *
 * Patch points: aml_patch_dword() is an integer forced to DWordConst whose
 * four data bytes carry a label. Labels follow the bytes through every
 * append, so aml_mark_offset() reports where the DWord ended up inside the
 * encoded table body, for a linker/loader ADD_POINTER.
 *
 * Names are ASL-style paths: "\\_SB.COM1", "^PCI0.S08", "VCIA"; segments
 * shorter than four characters are padded with '_'. Upper case only.
 */
#ifndef MICROVM_ACPI_AML_H
#define MICROVM_ACPI_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct errbuf;
struct aml;
struct aml_arena;

/* A patch-point label: up to AML_LABEL_MAX characters. */
#define AML_LABEL_MAX 15

/* Arena: NULL only when the arena itself cannot be allocated. */
struct aml_arena *aml_arena_new(void);
void aml_arena_free(struct aml_arena *a);
/* 0, or the first error's -errno with its message in e. */
int aml_arena_error(const struct aml_arena *a, struct errbuf *e);
/* The same for the arena node n belongs to. */
int aml_error(const struct aml *n, struct errbuf *e);

/*
 * The encoding of n (a pointer into arena memory, valid until the arena is
 * freed), or NULL with *len = 0 after an error. Seals n.
 */
const uint8_t *aml_bytes(struct aml *n, size_t *len);
/* Offset of the patch point `label` in n's encoding: 0, -ENOENT, or -EEXIST if ambiguous. */
int aml_mark_offset(const struct aml *n, const char *label, uint32_t *off);
/* Number of patch points n carries. */
unsigned aml_mark_count(const struct aml *n);

/* Append child's encoding to parent (a body, scope, device, method, if, else, package, buffer). */
void aml_append(struct aml *parent, struct aml *child);

/* ---- containers ---- */

/* A bare term list without opcode: a definition block body (DSDT/SSDT contents). */
struct aml *aml_body(struct aml_arena *a);
struct aml *aml_scope(struct aml_arena *a, const char *name);
struct aml *aml_device(struct aml_arena *a, const char *name);
struct aml *aml_method(struct aml_arena *a, const char *name, unsigned nargs, bool serialized);
struct aml *aml_if(struct aml_arena *a, struct aml *predicate);
/* Append right after the aml_if it belongs to, in the same parent. */
struct aml *aml_else(struct aml_arena *a);
/* Package: NumElements counts the appended elements (at most 255). */
struct aml *aml_package(struct aml_arena *a);
/* Buffer holding a copy of data[0..len). */
struct aml *aml_buffer(struct aml_arena *a, const void *data, size_t len);
/* ResourceTemplate: a Buffer of appended descriptors plus an EndTag (checksum 0). */
struct aml *aml_resource_template(struct aml_arena *a);

/* ---- names and data ---- */

struct aml *aml_name_decl(struct aml_arena *a, const char *name, struct aml *value);
/* A NameString used as a term: reference to an object, or a call of a method without args. */
struct aml *aml_name(struct aml_arena *a, const char *path);
/* Integer in its shortest encoding: Zero, One, Ones (all 64 bits), Byte/Word/DWord/QWord. */
struct aml *aml_int(struct aml_arena *a, uint64_t v);
/* Integer always encoded as DWordConst (five bytes), e.g. for values patched later. */
struct aml *aml_int_dword(struct aml_arena *a, uint32_t v);
/* aml_int_dword whose four data bytes are the patch point `label`. */
struct aml *aml_patch_dword(struct aml_arena *a, uint32_t v, const char *label);
struct aml *aml_string(struct aml_arena *a, const char *s);
/* EISAID ("PNP0501"): the compressed 32-bit EISA ID as a DWordConst. */
struct aml *aml_eisaid(struct aml_arena *a, const char *id);
struct aml *aml_local(struct aml_arena *a, unsigned n); /* Local0..Local7 */
struct aml *aml_arg(struct aml_arena *a, unsigned n);   /* Arg0..Arg6 */

/* ---- operation regions and fields (acpi/aml_fields.c) ---- */

/* RegionSpace (§20.2.5.2): the address space an OperationRegion lives in. */
enum aml_region_space {
	AML_SYSTEM_MEMORY = 0x00,
	AML_SYSTEM_IO = 0x01,
};
/* OperationRegion (name, space, offset, len): offset and len are terms (normally aml_int). */
struct aml *aml_operation_region(struct aml_arena *a, const char *name, uint8_t space,
				 struct aml *offset, struct aml *len);

/* FieldFlags (§20.2.5.2): one access type | AML_FIELD_LOCK or not | one update rule. */
enum aml_field_flags {
	AML_FIELD_ANY_ACC = 0,
	AML_FIELD_BYTE_ACC = 1,
	AML_FIELD_WORD_ACC = 2,
	AML_FIELD_DWORD_ACC = 3,
	AML_FIELD_QWORD_ACC = 4,
	AML_FIELD_BUFFER_ACC = 5,
	AML_FIELD_LOCK = 1 << 4,
	AML_FIELD_PRESERVE = 0 << 5,
	AML_FIELD_WRITE_AS_ONES = 1 << 5,
	AML_FIELD_WRITE_AS_ZEROS = 2 << 5,
};
/* One unit of a Field, in order from bit 0 of the region: name NULL skips the bits (ASL ", N"). */
struct aml_field_unit {
	const char *name; /* NameSeg: 1-4 characters, padded with '_' */
	unsigned bits;	  /* 1 .. 2^28-1 */
};
/* Field (region, flags) { units[0..nr) }. */
struct aml *aml_field(struct aml_arena *a, const char *region, unsigned flags,
		      const struct aml_field_unit *units, unsigned nr);

/* ---- operators (target may be NULL: no store) ---- */

struct aml *aml_store(struct aml_arena *a, struct aml *src, struct aml *dst);
struct aml *aml_add(struct aml_arena *a, struct aml *x, struct aml *y, struct aml *target);
struct aml *aml_subtract(struct aml_arena *a, struct aml *x, struct aml *y, struct aml *target);
struct aml *aml_and(struct aml_arena *a, struct aml *x, struct aml *y, struct aml *target);
struct aml *aml_or(struct aml_arena *a, struct aml *x, struct aml *y, struct aml *target);
struct aml *aml_lequal(struct aml_arena *a, struct aml *x, struct aml *y);
struct aml *aml_lless(struct aml_arena *a, struct aml *x, struct aml *y);
struct aml *aml_lgreater(struct aml_arena *a, struct aml *x, struct aml *y);
struct aml *aml_land(struct aml_arena *a, struct aml *x, struct aml *y);
struct aml *aml_lor(struct aml_arena *a, struct aml *x, struct aml *y);
struct aml *aml_lnot(struct aml_arena *a, struct aml *x);
struct aml *aml_return(struct aml_arena *a, struct aml *v);
struct aml *aml_index(struct aml_arena *a, struct aml *obj, struct aml *idx);
struct aml *aml_deref(struct aml_arena *a, struct aml *ref);
/* Notify (object, value): object a name (aml_name), value e.g. 0x80 (§5.6.6). */
struct aml *aml_notify(struct aml_arena *a, struct aml *object, struct aml *value);

/* ---- resource descriptors (ACPI 6.4 §6.4), for aml_resource_template ---- */

/* IO (Decode16 or Decode10, min, max, align, len). */
struct aml *aml_io(struct aml_arena *a, bool decode16, uint16_t min, uint16_t max, uint8_t align,
		   uint8_t len);
/* Memory32Fixed (ReadWrite or ReadOnly, base, len). */
struct aml *aml_memory32_fixed(struct aml_arena *a, bool rw, uint32_t base, uint32_t len);
/* IRQNoFlags () {irq}: edge, active high, exclusive; irq 0..15. */
struct aml *aml_irq_no_flags(struct aml_arena *a, unsigned irq);

enum aml_irq_flags {
	AML_IRQ_LEVEL = 0,
	AML_IRQ_EDGE = 1 << 0,
	AML_IRQ_ACTIVE_HIGH = 0,
	AML_IRQ_ACTIVE_LOW = 1 << 1,
	AML_IRQ_EXCLUSIVE = 0,
	AML_IRQ_SHARED = 1 << 2,
	AML_IRQ_WAKE = 1 << 3,
};
/* IRQ (mode, polarity, sharing) {irq}; irq 0..15, flags from enum aml_irq_flags. */
struct aml *aml_irq(struct aml_arena *a, unsigned irq, unsigned flags);
/* Interrupt (ResourceConsumer or Producer, mode, polarity, sharing) {irqs...}; 1..255 GSIs. */
struct aml *aml_interrupt(struct aml_arena *a, bool consumer, unsigned flags, const uint32_t *irqs,
			  unsigned nr);

#endif
