/* SPDX-License-Identifier: MIT */
/*
 * Linker/loader blob builder. The wire format is QEMU's
 * hw/acpi/bios-linker-loader.c ABI, restated in DESIGN.md §5 and defined
 * once in acpi/loader_abi.h.
 */
#include "acpi/loader.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/err.h"
#include "vmm/util.h"

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

	if (n == 0 || n >= LOADER_NAME_LEN)
		return errf(e, -EINVAL, "table-loader: %s file name \"%.64s\" must be 1-%d characters",
			    what, name, LOADER_NAME_LEN - 1);
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
	memset(p, 0, LOADER_ENTRY_SIZE);
	put_le32(p, c->command);
	switch (c->command) {
	case ACPI_LOADER_ALLOCATE:
		memcpy(p + LOADER_ALLOC_FILE, c->file, LOADER_NAME_LEN);
		put_le32(p + LOADER_ALLOC_ALIGN, c->align);
		p[LOADER_ALLOC_ZONE] = c->zone;
		break;
	case ACPI_LOADER_ADD_POINTER:
		memcpy(p + LOADER_PTR_DEST, c->file, LOADER_NAME_LEN);
		memcpy(p + LOADER_PTR_SRC, c->src, LOADER_NAME_LEN);
		put_le32(p + LOADER_PTR_OFFSET, c->offset);
		p[LOADER_PTR_SIZE] = c->size;
		break;
	case ACPI_LOADER_ADD_CHECKSUM:
		memcpy(p + LOADER_CKSUM_FILE, c->file, LOADER_NAME_LEN);
		put_le32(p + LOADER_CKSUM_OFFSET, c->offset);
		put_le32(p + LOADER_CKSUM_START, c->start);
		put_le32(p + LOADER_CKSUM_LENGTH, c->length);
		break;
	case ACPI_LOADER_WRITE_POINTER:
		memcpy(p + LOADER_WPTR_DEST, c->file, LOADER_NAME_LEN);
		memcpy(p + LOADER_WPTR_SRC, c->src, LOADER_NAME_LEN);
		put_le32(p + LOADER_WPTR_DST_OFFSET, c->offset);
		put_le32(p + LOADER_WPTR_SRC_OFFSET, c->src_offset);
		p[LOADER_WPTR_SIZE] = c->size;
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
	*len = (size_t)l->nr * LOADER_ENTRY_SIZE;
	p = calloc(1, *len ? *len : 1);
	if (!p)
		return -ENOMEM;
	for (size_t g = 0; g < ARRAY_SIZE(order); g++)
		for (unsigned i = 0; i < l->nr; i++)
			if (l->cmds[i].command == order[g])
				acpi_loader_encode(&l->cmds[i], p + LOADER_ENTRY_SIZE * k++);
	*blob = p;
	return 0;
}

static int acpi_loader_copy_name(char *dst, const uint8_t *src)
{
	if (!memchr(src, 0, LOADER_NAME_LEN))
		return -EINVAL;
	memcpy(dst, src, LOADER_NAME_LEN);
	return 0;
}

int acpi_loader_decode(const uint8_t *p, struct acpi_loader_cmd *c)
{
	int r = 0;

	memset(c, 0, sizeof(*c));
	c->command = get_le32(p);
	switch (c->command) {
	case ACPI_LOADER_ALLOCATE:
		r = acpi_loader_copy_name(c->file, p + LOADER_ALLOC_FILE);
		c->align = get_le32(p + LOADER_ALLOC_ALIGN);
		c->zone = p[LOADER_ALLOC_ZONE];
		break;
	case ACPI_LOADER_ADD_POINTER:
		r = acpi_loader_copy_name(c->file, p + LOADER_PTR_DEST);
		r = r ? r : acpi_loader_copy_name(c->src, p + LOADER_PTR_SRC);
		c->offset = get_le32(p + LOADER_PTR_OFFSET);
		c->size = p[LOADER_PTR_SIZE];
		break;
	case ACPI_LOADER_ADD_CHECKSUM:
		r = acpi_loader_copy_name(c->file, p + LOADER_CKSUM_FILE);
		c->offset = get_le32(p + LOADER_CKSUM_OFFSET);
		c->start = get_le32(p + LOADER_CKSUM_START);
		c->length = get_le32(p + LOADER_CKSUM_LENGTH);
		break;
	case ACPI_LOADER_WRITE_POINTER:
		r = acpi_loader_copy_name(c->file, p + LOADER_WPTR_DEST);
		r = r ? r : acpi_loader_copy_name(c->src, p + LOADER_WPTR_SRC);
		c->offset = get_le32(p + LOADER_WPTR_DST_OFFSET);
		c->src_offset = get_le32(p + LOADER_WPTR_SRC_OFFSET);
		c->size = p[LOADER_WPTR_SIZE];
		break;
	}
	return r;
}
