/* SPDX-License-Identifier: MIT */
#include "acpi/abuf.h"

#include <stdlib.h>
#include <string.h>

#include "vmm/util.h"

void abuf_free(struct abuf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

static bool abuf_grow(struct abuf *b, size_t n)
{
	size_t want, cap;
	uint8_t *p;

	if (b->oom || n > ABUF_MAX - b->len) {
		b->oom = true;
		return false;
	}
	want = b->len + n;
	if (want <= b->cap)
		return true;
	cap = b->cap ? b->cap : 64;
	while (cap < want)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

long abuf_append(struct abuf *b, const void *src, size_t n)
{
	long off = (long)b->len;

	if (!abuf_grow(b, n))
		return -1;
	if (n) {
		if (src)
			memcpy(b->data + b->len, src, n);
		else
			memset(b->data + b->len, 0, n);
	}
	b->len += n;
	return off;
}

long abuf_zeros(struct abuf *b, size_t n)
{
	return abuf_append(b, NULL, n);
}

long abuf_u8(struct abuf *b, uint8_t v)
{
	return abuf_append(b, &v, 1);
}

long abuf_le16(struct abuf *b, uint16_t v)
{
	uint8_t t[2];

	put_le16(t, v);
	return abuf_append(b, t, sizeof(t));
}

long abuf_le32(struct abuf *b, uint32_t v)
{
	uint8_t t[4];

	put_le32(t, v);
	return abuf_append(b, t, sizeof(t));
}

long abuf_le64(struct abuf *b, uint64_t v)
{
	uint8_t t[8];

	put_le64(t, v);
	return abuf_append(b, t, sizeof(t));
}

uint8_t *abuf_take(struct abuf *b, size_t *len)
{
	uint8_t *p = b->data;

	*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}
