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

_Static_assert(sizeof(struct loader_wire) == LOADER_CMD_SIZE, "loader entry is 128 bytes");
_Static_assert(offsetof(struct loader_wire, alloc.file) == 4, "ALLOCATE file@4");
_Static_assert(offsetof(struct loader_wire, alloc.align) == 60, "ALLOCATE align@60");
_Static_assert(offsetof(struct loader_wire, alloc.zone) == 64, "ALLOCATE zone@64");
_Static_assert(offsetof(struct loader_wire, pointer.dest) == 4, "ADD_POINTER dest@4");
_Static_assert(offsetof(struct loader_wire, pointer.src) == 60, "ADD_POINTER src@60");
_Static_assert(offsetof(struct loader_wire, pointer.offset) == 116, "ADD_POINTER offset@116");
_Static_assert(offsetof(struct loader_wire, pointer.size) == 120, "ADD_POINTER size@120");
_Static_assert(offsetof(struct loader_wire, cksum.file) == 4, "ADD_CHECKSUM file@4");
_Static_assert(offsetof(struct loader_wire, cksum.offset) == 60, "ADD_CHECKSUM offset@60");
_Static_assert(offsetof(struct loader_wire, cksum.start) == 64, "ADD_CHECKSUM start@64");
_Static_assert(offsetof(struct loader_wire, cksum.length) == 68, "ADD_CHECKSUM length@68");
_Static_assert(offsetof(struct loader_wire, wrptr.dest) == 4, "WRITE_POINTER dest@4");
_Static_assert(offsetof(struct loader_wire, wrptr.src) == 60, "WRITE_POINTER src@60");
_Static_assert(offsetof(struct loader_wire, wrptr.dst_offset) == 116, "WRITE_POINTER dst@116");
_Static_assert(offsetof(struct loader_wire, wrptr.src_offset) == 120, "WRITE_POINTER src@120");
_Static_assert(offsetof(struct loader_wire, wrptr.size) == 124, "WRITE_POINTER size@124");

#define W(field) offsetof(struct loader_wire, field)

/* Largest alignment an ALLOCATE may ask for; QEMU's firmware handles up to a page or so. */
#define LOADER_ALIGN_MAX 4096u

void loader_free(struct loader *l)
{
	free(l->cmds);
	l->cmds = NULL;
	l->nr = l->cap = 0;
}

static int loader_name_ok(const char *name, const char *what, struct errbuf *e)
{
	size_t n = strlen(name);

	if (n == 0 || n >= LOADER_FILESZ)
		return errf(e, -EINVAL, "loader: %s file name \"%.64s\" must be 1-%d characters",
			    what, name, LOADER_FILESZ - 1);
	return 0;
}

static int loader_push(struct loader *l, const struct loader_cmd *c, struct errbuf *e)
{
	if (l->nr == l->cap) {
		unsigned cap = l->cap ? 2 * l->cap : 16;
		struct loader_cmd *p = realloc(l->cmds, cap * sizeof(*p));

		if (!p)
			return errf(e, -ENOMEM, "loader: out of memory");
		l->cmds = p;
		l->cap = cap;
	}
	l->cmds[l->nr++] = *c;
	return 0;
}

static bool loader_size_ok(uint8_t size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

int loader_allocate(struct loader *l, const char *file, uint32_t align, enum loader_zone zone,
		    struct errbuf *e)
{
	struct loader_cmd c = { .command = LOADER_ALLOCATE, .align = align, .zone = (uint8_t)zone };
	int r = loader_name_ok(file, "ALLOCATE", e);

	if (r)
		return r;
	if (!is_pow2(align) || align > LOADER_ALIGN_MAX)
		return errf(e, -EINVAL, "loader: ALLOCATE %s: alignment %u is not a power of two up to %u",
			    file, align, LOADER_ALIGN_MAX);
	if (zone != LOADER_ZONE_HIGH && zone != LOADER_ZONE_FSEG)
		return errf(e, -EINVAL, "loader: ALLOCATE %s: unknown zone %d", file, (int)zone);
	strcpy(c.file, file);
	return loader_push(l, &c, e);
}

int loader_add_pointer(struct loader *l, const char *dest, const char *src, uint32_t offset,
		       uint8_t size, struct errbuf *e)
{
	struct loader_cmd c = { .command = LOADER_ADD_POINTER, .offset = offset, .size = size };
	int r;

	if ((r = loader_name_ok(dest, "ADD_POINTER destination", e)) ||
	    (r = loader_name_ok(src, "ADD_POINTER source", e)))
		return r;
	if (!loader_size_ok(size))
		return errf(e, -EINVAL, "loader: ADD_POINTER %s: pointer size %u (1, 2, 4 or 8)", dest,
			    size);
	if (offset > UINT32_MAX - size)
		return errf(e, -EINVAL, "loader: ADD_POINTER %s: offset %u overflows", dest, offset);
	strcpy(c.file, dest);
	strcpy(c.src, src);
	return loader_push(l, &c, e);
}

int loader_add_checksum(struct loader *l, const char *file, uint32_t offset, uint32_t start,
			uint32_t length, struct errbuf *e)
{
	struct loader_cmd c = {
		.command = LOADER_ADD_CHECKSUM, .offset = offset, .start = start, .length = length
	};
	int r = loader_name_ok(file, "ADD_CHECKSUM", e);

	if (r)
		return r;
	if (start > UINT32_MAX - length)
		return errf(e, -EINVAL, "loader: ADD_CHECKSUM %s: range %u+%u overflows", file, start,
			    length);
	strcpy(c.file, file);
	return loader_push(l, &c, e);
}

int loader_write_pointer(struct loader *l, const char *dest, const char *src, uint32_t dst_offset,
			 uint32_t src_offset, uint8_t size, struct errbuf *e)
{
	struct loader_cmd c = {
		.command = LOADER_WRITE_POINTER,
		.offset = dst_offset,
		.src_offset = src_offset,
		.size = size,
	};
	int r;

	if ((r = loader_name_ok(dest, "WRITE_POINTER destination", e)) ||
	    (r = loader_name_ok(src, "WRITE_POINTER source", e)))
		return r;
	if (!loader_size_ok(size))
		return errf(e, -EINVAL, "loader: WRITE_POINTER %s: pointer size %u (1, 2, 4 or 8)",
			    dest, size);
	if (dst_offset > UINT32_MAX - size)
		return errf(e, -EINVAL, "loader: WRITE_POINTER %s: offset %u overflows", dest,
			    dst_offset);
	strcpy(c.file, dest);
	strcpy(c.src, src);
	return loader_push(l, &c, e);
}

static void loader_encode(const struct loader_cmd *c, uint8_t *p)
{
	memset(p, 0, LOADER_CMD_SIZE);
	put_le32(p, c->command);
	switch (c->command) {
	case LOADER_ALLOCATE:
		memcpy(p + W(alloc.file), c->file, LOADER_FILESZ);
		put_le32(p + W(alloc.align), c->align);
		p[W(alloc.zone)] = c->zone;
		break;
	case LOADER_ADD_POINTER:
		memcpy(p + W(pointer.dest), c->file, LOADER_FILESZ);
		memcpy(p + W(pointer.src), c->src, LOADER_FILESZ);
		put_le32(p + W(pointer.offset), c->offset);
		p[W(pointer.size)] = c->size;
		break;
	case LOADER_ADD_CHECKSUM:
		memcpy(p + W(cksum.file), c->file, LOADER_FILESZ);
		put_le32(p + W(cksum.offset), c->offset);
		put_le32(p + W(cksum.start), c->start);
		put_le32(p + W(cksum.length), c->length);
		break;
	case LOADER_WRITE_POINTER:
		memcpy(p + W(wrptr.dest), c->file, LOADER_FILESZ);
		memcpy(p + W(wrptr.src), c->src, LOADER_FILESZ);
		put_le32(p + W(wrptr.dst_offset), c->offset);
		put_le32(p + W(wrptr.src_offset), c->src_offset);
		p[W(wrptr.size)] = c->size;
		break;
	}
}

int loader_serialize(const struct loader *l, uint8_t **blob, size_t *len)
{
	static const uint32_t order[] = { LOADER_ALLOCATE, LOADER_ADD_POINTER, LOADER_ADD_CHECKSUM,
					  LOADER_WRITE_POINTER };
	uint8_t *p;
	size_t k = 0;

	*blob = NULL;
	*len = (size_t)l->nr * LOADER_CMD_SIZE;
	p = calloc(1, *len ? *len : 1);
	if (!p)
		return -ENOMEM;
	for (size_t g = 0; g < ARRAY_SIZE(order); g++)
		for (unsigned i = 0; i < l->nr; i++)
			if (l->cmds[i].command == order[g])
				loader_encode(&l->cmds[i], p + LOADER_CMD_SIZE * k++);
	*blob = p;
	return 0;
}

static int loader_copy_name(char *dst, const uint8_t *src)
{
	if (!memchr(src, 0, LOADER_FILESZ))
		return -EINVAL;
	memcpy(dst, src, LOADER_FILESZ);
	return 0;
}

int loader_decode(const uint8_t *p, struct loader_cmd *c)
{
	int r = 0;

	memset(c, 0, sizeof(*c));
	c->command = get_le32(p);
	switch (c->command) {
	case LOADER_ALLOCATE:
		r = loader_copy_name(c->file, p + W(alloc.file));
		c->align = get_le32(p + W(alloc.align));
		c->zone = p[W(alloc.zone)];
		break;
	case LOADER_ADD_POINTER:
		r = loader_copy_name(c->file, p + W(pointer.dest));
		r = r ? r : loader_copy_name(c->src, p + W(pointer.src));
		c->offset = get_le32(p + W(pointer.offset));
		c->size = p[W(pointer.size)];
		break;
	case LOADER_ADD_CHECKSUM:
		r = loader_copy_name(c->file, p + W(cksum.file));
		c->offset = get_le32(p + W(cksum.offset));
		c->start = get_le32(p + W(cksum.start));
		c->length = get_le32(p + W(cksum.length));
		break;
	case LOADER_WRITE_POINTER:
		r = loader_copy_name(c->file, p + W(wrptr.dest));
		r = r ? r : loader_copy_name(c->src, p + W(wrptr.src));
		c->offset = get_le32(p + W(wrptr.dst_offset));
		c->src_offset = get_le32(p + W(wrptr.src_offset));
		c->size = p[W(wrptr.size)];
		break;
	}
	return r;
}
