/* SPDX-License-Identifier: MIT */
/*
 * Linker/loader blob builder. The wire format is QEMU's
 * hw/acpi/bios-linker-loader.c ABI, restated in DESIGN.md §5.
 */
#include "acpi/loader.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/err.h"
#include "vmm/util.h"

_Static_assert(sizeof(struct acpi_loader_wire) == ACPI_LOADER_CMD_SIZE, "loader entry is 128 bytes");
_Static_assert(offsetof(struct acpi_loader_wire, alloc.file) == 4, "ALLOCATE file@4");
_Static_assert(offsetof(struct acpi_loader_wire, alloc.align) == 60, "ALLOCATE align@60");
_Static_assert(offsetof(struct acpi_loader_wire, alloc.zone) == 64, "ALLOCATE zone@64");
_Static_assert(offsetof(struct acpi_loader_wire, pointer.dest) == 4, "ADD_POINTER dest@4");
_Static_assert(offsetof(struct acpi_loader_wire, pointer.src) == 60, "ADD_POINTER src@60");
_Static_assert(offsetof(struct acpi_loader_wire, pointer.offset) == 116, "ADD_POINTER offset@116");
_Static_assert(offsetof(struct acpi_loader_wire, pointer.size) == 120, "ADD_POINTER size@120");
_Static_assert(offsetof(struct acpi_loader_wire, cksum.file) == 4, "ADD_CHECKSUM file@4");
_Static_assert(offsetof(struct acpi_loader_wire, cksum.offset) == 60, "ADD_CHECKSUM offset@60");
_Static_assert(offsetof(struct acpi_loader_wire, cksum.start) == 64, "ADD_CHECKSUM start@64");
_Static_assert(offsetof(struct acpi_loader_wire, cksum.length) == 68, "ADD_CHECKSUM length@68");
_Static_assert(offsetof(struct acpi_loader_wire, wrptr.dest) == 4, "WRITE_POINTER dest@4");
_Static_assert(offsetof(struct acpi_loader_wire, wrptr.src) == 60, "WRITE_POINTER src@60");
_Static_assert(offsetof(struct acpi_loader_wire, wrptr.dst_offset) == 116, "WRITE_POINTER dst@116");
_Static_assert(offsetof(struct acpi_loader_wire, wrptr.src_offset) == 120, "WRITE_POINTER src@120");
_Static_assert(offsetof(struct acpi_loader_wire, wrptr.size) == 124, "WRITE_POINTER size@124");

#define W(field) offsetof(struct acpi_loader_wire, field)

/* Largest alignment an ALLOCATE may ask for; QEMU's firmware handles up to a page or so. */
#define ACPI_LOADER_ALIGN_MAX 4096u

void acpi_loader_free(struct acpi_loader *l)
{
	free(l->cmds);
	l->cmds = NULL;
	l->nr = l->cap = 0;
}

static int acpi_loader_name_ok(const char *name, const char *what, struct errbuf *e)
{
	size_t n = strlen(name);

	if (n == 0 || n >= ACPI_LOADER_FILESZ)
		return errf(e, -EINVAL, "table-loader: %s file name \"%.64s\" must be 1-%d characters",
			    what, name, ACPI_LOADER_FILESZ - 1);
	return 0;
}

static int acpi_loader_push(struct acpi_loader *l, const struct acpi_loader_cmd *c, struct errbuf *e)
{
	if (l->nr == l->cap) {
		unsigned cap = l->cap ? 2 * l->cap : 16;
		struct acpi_loader_cmd *p = realloc(l->cmds, cap * sizeof(*p));

		if (!p)
			return errf(e, -ENOMEM, "table-loader: out of memory");
		l->cmds = p;
		l->cap = cap;
	}
	l->cmds[l->nr++] = *c;
	return 0;
}

static bool acpi_loader_size_ok(uint8_t size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

int acpi_loader_allocate(struct acpi_loader *l, const char *file, uint32_t align, enum acpi_loader_zone zone,
		    struct errbuf *e)
{
	struct acpi_loader_cmd c = { .command = ACPI_LOADER_ALLOCATE, .align = align, .zone = (uint8_t)zone };
	int r = acpi_loader_name_ok(file, "ALLOCATE", e);

	if (r)
		return r;
	if (!is_pow2(align) || align > ACPI_LOADER_ALIGN_MAX)
		return errf(e, -EINVAL, "table-loader: ALLOCATE %s: alignment %u is not a power of two up to %u",
			    file, align, ACPI_LOADER_ALIGN_MAX);
	if (zone != ACPI_LOADER_ZONE_HIGH && zone != ACPI_LOADER_ZONE_FSEG)
		return errf(e, -EINVAL, "table-loader: ALLOCATE %s: unknown zone %d", file, (int)zone);
	strcpy(c.file, file);
	return acpi_loader_push(l, &c, e);
}

int acpi_loader_add_pointer(struct acpi_loader *l, const char *dest, const char *src, uint32_t offset,
		       uint8_t size, struct errbuf *e)
{
	struct acpi_loader_cmd c = { .command = ACPI_LOADER_ADD_POINTER, .offset = offset, .size = size };
	int r;

	if ((r = acpi_loader_name_ok(dest, "ADD_POINTER destination", e)) ||
	    (r = acpi_loader_name_ok(src, "ADD_POINTER source", e)))
		return r;
	if (!acpi_loader_size_ok(size))
		return errf(e, -EINVAL, "table-loader: ADD_POINTER %s: pointer size %u (1, 2, 4 or 8)", dest,
			    size);
	if (offset > UINT32_MAX - size)
		return errf(e, -EINVAL, "table-loader: ADD_POINTER %s: offset %u overflows", dest, offset);
	strcpy(c.file, dest);
	strcpy(c.src, src);
	return acpi_loader_push(l, &c, e);
}

int acpi_loader_add_checksum(struct acpi_loader *l, const char *file, uint32_t offset, uint32_t start,
			uint32_t length, struct errbuf *e)
{
	struct acpi_loader_cmd c = {
		.command = ACPI_LOADER_ADD_CHECKSUM, .offset = offset, .start = start, .length = length
	};
	int r = acpi_loader_name_ok(file, "ADD_CHECKSUM", e);

	if (r)
		return r;
	if (start > UINT32_MAX - length)
		return errf(e, -EINVAL, "table-loader: ADD_CHECKSUM %s: range %u+%u overflows", file, start,
			    length);
	strcpy(c.file, file);
	return acpi_loader_push(l, &c, e);
}

int acpi_loader_write_pointer(struct acpi_loader *l, const char *dest, const char *src, uint32_t dst_offset,
			 uint32_t src_offset, uint8_t size, struct errbuf *e)
{
	struct acpi_loader_cmd c = {
		.command = ACPI_LOADER_WRITE_POINTER,
		.offset = dst_offset,
		.src_offset = src_offset,
		.size = size,
	};
	int r;

	if ((r = acpi_loader_name_ok(dest, "WRITE_POINTER destination", e)) ||
	    (r = acpi_loader_name_ok(src, "WRITE_POINTER source", e)))
		return r;
	if (!acpi_loader_size_ok(size))
		return errf(e, -EINVAL, "table-loader: WRITE_POINTER %s: pointer size %u (1, 2, 4 or 8)",
			    dest, size);
	if (dst_offset > UINT32_MAX - size)
		return errf(e, -EINVAL, "table-loader: WRITE_POINTER %s: offset %u overflows", dest,
			    dst_offset);
	strcpy(c.file, dest);
	strcpy(c.src, src);
	return acpi_loader_push(l, &c, e);
}

static void acpi_loader_encode(const struct acpi_loader_cmd *c, uint8_t *p)
{
	memset(p, 0, ACPI_LOADER_CMD_SIZE);
	put_le32(p, c->command);
	switch (c->command) {
	case ACPI_LOADER_ALLOCATE:
		memcpy(p + W(alloc.file), c->file, ACPI_LOADER_FILESZ);
		put_le32(p + W(alloc.align), c->align);
		p[W(alloc.zone)] = c->zone;
		break;
	case ACPI_LOADER_ADD_POINTER:
		memcpy(p + W(pointer.dest), c->file, ACPI_LOADER_FILESZ);
		memcpy(p + W(pointer.src), c->src, ACPI_LOADER_FILESZ);
		put_le32(p + W(pointer.offset), c->offset);
		p[W(pointer.size)] = c->size;
		break;
	case ACPI_LOADER_ADD_CHECKSUM:
		memcpy(p + W(cksum.file), c->file, ACPI_LOADER_FILESZ);
		put_le32(p + W(cksum.offset), c->offset);
		put_le32(p + W(cksum.start), c->start);
		put_le32(p + W(cksum.length), c->length);
		break;
	case ACPI_LOADER_WRITE_POINTER:
		memcpy(p + W(wrptr.dest), c->file, ACPI_LOADER_FILESZ);
		memcpy(p + W(wrptr.src), c->src, ACPI_LOADER_FILESZ);
		put_le32(p + W(wrptr.dst_offset), c->offset);
		put_le32(p + W(wrptr.src_offset), c->src_offset);
		p[W(wrptr.size)] = c->size;
		break;
	}
}

int acpi_loader_serialize(const struct acpi_loader *l, uint8_t **blob, size_t *len)
{
	static const uint32_t order[] = { ACPI_LOADER_ALLOCATE, ACPI_LOADER_ADD_POINTER, ACPI_LOADER_ADD_CHECKSUM,
					  ACPI_LOADER_WRITE_POINTER };
	uint8_t *p;
	size_t k = 0;

	*blob = NULL;
	*len = (size_t)l->nr * ACPI_LOADER_CMD_SIZE;
	p = calloc(1, *len ? *len : 1);
	if (!p)
		return -ENOMEM;
	for (size_t g = 0; g < ARRAY_SIZE(order); g++)
		for (unsigned i = 0; i < l->nr; i++)
			if (l->cmds[i].command == order[g])
				acpi_loader_encode(&l->cmds[i], p + ACPI_LOADER_CMD_SIZE * k++);
	*blob = p;
	return 0;
}

static int acpi_loader_copy_name(char *dst, const uint8_t *src)
{
	if (!memchr(src, 0, ACPI_LOADER_FILESZ))
		return -EINVAL;
	memcpy(dst, src, ACPI_LOADER_FILESZ);
	return 0;
}

int acpi_loader_decode(const uint8_t *p, struct acpi_loader_cmd *c)
{
	int r = 0;

	memset(c, 0, sizeof(*c));
	c->command = get_le32(p);
	switch (c->command) {
	case ACPI_LOADER_ALLOCATE:
		r = acpi_loader_copy_name(c->file, p + W(alloc.file));
		c->align = get_le32(p + W(alloc.align));
		c->zone = p[W(alloc.zone)];
		break;
	case ACPI_LOADER_ADD_POINTER:
		r = acpi_loader_copy_name(c->file, p + W(pointer.dest));
		r = r ? r : acpi_loader_copy_name(c->src, p + W(pointer.src));
		c->offset = get_le32(p + W(pointer.offset));
		c->size = p[W(pointer.size)];
		break;
	case ACPI_LOADER_ADD_CHECKSUM:
		r = acpi_loader_copy_name(c->file, p + W(cksum.file));
		c->offset = get_le32(p + W(cksum.offset));
		c->start = get_le32(p + W(cksum.start));
		c->length = get_le32(p + W(cksum.length));
		break;
	case ACPI_LOADER_WRITE_POINTER:
		r = acpi_loader_copy_name(c->file, p + W(wrptr.dest));
		r = r ? r : acpi_loader_copy_name(c->src, p + W(wrptr.src));
		c->offset = get_le32(p + W(wrptr.dst_offset));
		c->src_offset = get_le32(p + W(wrptr.src_offset));
		c->size = p[W(wrptr.size)];
		break;
	}
	return r;
}
