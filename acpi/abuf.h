/* SPDX-License-Identifier: MIT */
/*
 * A growable byte buffer for building wire formats (AML, ACPI tables, the
 * linker/loader blob). Allocation failure is sticky: once `oom` is set every
 * later append is dropped, so builders check once at the end instead of
 * after every byte. Sizes are capped at ABUF_MAX so offsets fit in u32.
 */
#ifndef MICROVM_ACPI_ABUF_H
#define MICROVM_ACPI_ABUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest buffer: every table offset and length must fit in a u32 with room to spare. */
#define ABUF_MAX (64u << 20)

struct abuf {
	uint8_t *data;
	size_t len;
	size_t cap;
	bool oom; /* an append failed (no memory or ABUF_MAX reached) */
};

void abuf_free(struct abuf *b);

/*
 * Append n bytes (src may be NULL to append zeros). Returns the offset where
 * they start, or -1 (and sets oom) when the buffer cannot grow.
 */
long abuf_append(struct abuf *b, const void *src, size_t n);
long abuf_zeros(struct abuf *b, size_t n);
long abuf_u8(struct abuf *b, uint8_t v);
long abuf_le16(struct abuf *b, uint16_t v);
long abuf_le32(struct abuf *b, uint32_t v);
long abuf_le64(struct abuf *b, uint64_t v);

/* Hand the bytes to the caller (who frees them) and reset the buffer. */
uint8_t *abuf_take(struct abuf *b, size_t *len);

#endif
