/* SPDX-License-Identifier: MIT */
/*
 * Linker/loader executor. Builds freestanding (no libc: the helpers below
 * stand in for string.h) and for the host. Checks follow SeaBIOS's
 * romfile_loader plus the ones it lacks: ADD_POINTER results must fit their
 * size, names must be NUL-terminated, nothing is executed from a blob whose
 * size is not a whole number of entries.
 */
#include "firmware/loader_exec.h"

#include "vmm/util.h"

static bool name_ok(const uint8_t *field)
{
	for (unsigned i = 0; i < LOADER_NAME_LEN; i++)
		if (!field[i])
			return true;
	return false;
}

static bool name_eq(const char *a, const char *b)
{
	for (unsigned i = 0; i < LOADER_NAME_LEN; i++) {
		if (a[i] != b[i])
			return false;
		if (!a[i])
			return true;
	}
	return true;
}

static void name_copy(char *dst, const char *src)
{
	unsigned i;

	for (i = 0; i < LOADER_NAME_LEN - 1 && src[i]; i++)
		dst[i] = src[i];
	for (; i < LOADER_NAME_LEN; i++)
		dst[i] = 0;
}

void loader_init(struct loader *l, const struct loader_ops *ops, void *ctx, uint64_t high_start,
		 uint64_t high_end, uint64_t fseg_start, uint64_t fseg_end)
{
	uint8_t *p = (uint8_t *)l;

	for (unsigned i = 0; i < sizeof(*l); i++)
		p[i] = 0;
	l->ops = ops;
	l->ctx = ctx;
	if (high_start < high_end) {
		l->zone[LOADER_ZONE_HIGH].start = l->zone[LOADER_ZONE_HIGH].next = high_start;
		l->zone[LOADER_ZONE_HIGH].end = high_end;
	}
	if (fseg_start < fseg_end) {
		l->zone[LOADER_ZONE_FSEG].start = l->zone[LOADER_ZONE_FSEG].next = fseg_start;
		l->zone[LOADER_ZONE_FSEG].end = fseg_end;
	}
}

const struct loader_alloc *loader_find_alloc(const struct loader *l, const char *name)
{
	for (unsigned i = 0; i < l->nr_alloc; i++)
		if (name_eq(l->alloc[i].name, name))
			return &l->alloc[i];
	return NULL;
}

static int fail(struct loader *l, enum loader_error e, const uint8_t *name_field)
{
	l->err = e;
	l->err_name = name_field && name_ok(name_field) ? (const char *)name_field : NULL;
	return e;
}

/* The allocation named by the field at e + off, or NULL after recording why. */
static const struct loader_alloc *alloc_of(struct loader *l, const uint8_t *field)
{
	const struct loader_alloc *a;

	if (!name_ok(field)) {
		fail(l, LOADER_E_NAME, NULL);
		return NULL;
	}
	a = loader_find_alloc(l, (const char *)field);
	if (!a)
		fail(l, LOADER_E_NOT_ALLOCATED, field);
	return a;
}

static bool ptr_size_ok(uint8_t size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

/* Little-endian value of size bytes (1..8). */
static uint64_t get_le(const uint8_t *p, unsigned size)
{
	uint64_t v = 0;

	for (unsigned i = size; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

static void put_le(uint8_t *p, unsigned size, uint64_t v)
{
	for (unsigned i = 0; i < size; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

static bool fits(uint64_t v, unsigned size)
{
	return size == 8 || v >> (8 * size) == 0;
}

/* ALLOCATE: load a fw_cfg file into guest RAM, aligned, inside a zone. */
static int cmd_allocate(struct loader *l, const uint8_t *e)
{
	const uint8_t *name = e + LOADER_ALLOC_FILE;
	uint32_t align = get_le32(e + LOADER_ALLOC_ALIGN);
	uint8_t zone = e[LOADER_ALLOC_ZONE];
	struct loader_alloc *a;
	struct loader_zone *z;
	uint64_t addr;
	uint32_t size;
	uint16_t key;

	if (!name_ok(name))
		return fail(l, LOADER_E_NAME, NULL);
	if (!is_pow2(align))
		return fail(l, LOADER_E_ALIGN, name);
	if (zone >= LOADER_NR_ZONES || l->zone[zone].start == l->zone[zone].end)
		return fail(l, LOADER_E_ZONE, name);
	if (loader_find_alloc(l, (const char *)name))
		return fail(l, LOADER_E_TWICE, name);
	if (l->nr_alloc == LOADER_MAX_ALLOCS)
		return fail(l, LOADER_E_TOO_MANY, name);
	if (l->ops->find(l->ctx, (const char *)name, &key, &size))
		return fail(l, LOADER_E_NO_FILE, name);
	if (size == 0)
		return fail(l, LOADER_E_EMPTY, name);
	z = &l->zone[zone];
	if (align > z->end - z->start)
		return fail(l, LOADER_E_ZONE_FULL, name);
	addr = align_up(z->next, align);
	if (addr < z->next || addr > z->end || size > z->end - addr)
		return fail(l, LOADER_E_ZONE_FULL, name);
	if (!l->ops->mem(l->ctx, addr, size))
		return fail(l, LOADER_E_MEMORY, name);
	if (l->ops->load(l->ctx, key, addr, size))
		return fail(l, LOADER_E_IO, name);
	a = &l->alloc[l->nr_alloc++];
	name_copy(a->name, (const char *)name);
	a->key = key;
	a->size = size;
	a->addr = addr;
	a->zone = zone;
	z->next = addr + size;
	return 0;
}

/* ADD_POINTER: dest[offset..+size] (an offset into src) += src's address. */
static int cmd_add_pointer(struct loader *l, const uint8_t *e)
{
	const struct loader_alloc *dst = alloc_of(l, e + LOADER_PTR_DEST);
	const struct loader_alloc *src = dst ? alloc_of(l, e + LOADER_PTR_SRC) : NULL;
	uint32_t off = get_le32(e + LOADER_PTR_OFFSET);
	uint8_t size = e[LOADER_PTR_SIZE];
	uint64_t v, sum;
	uint8_t *p;

	if (!src)
		return l->err;
	if (!ptr_size_ok(size))
		return fail(l, LOADER_E_PTR_SIZE, e + LOADER_PTR_DEST);
	if (!range_fits(off, size, dst->size))
		return fail(l, LOADER_E_PTR_RANGE, e + LOADER_PTR_DEST);
	p = l->ops->mem(l->ctx, dst->addr + off, size);
	if (!p)
		return fail(l, LOADER_E_MEMORY, e + LOADER_PTR_DEST);
	v = get_le(p, size);
	sum = v + src->addr;
	if (sum < v || !fits(sum, size))
		return fail(l, LOADER_E_PTR_OVERFLOW, e + LOADER_PTR_DEST);
	put_le(p, size, sum);
	return 0;
}

/* ADD_CHECKSUM: file[offset] -= 8-bit sum of file[start, start + length). */
static int cmd_add_checksum(struct loader *l, const uint8_t *e)
{
	const struct loader_alloc *f = alloc_of(l, e + LOADER_CKSUM_FILE);
	uint32_t off = get_le32(e + LOADER_CKSUM_OFFSET);
	uint32_t start = get_le32(e + LOADER_CKSUM_START);
	uint32_t len = get_le32(e + LOADER_CKSUM_LENGTH);
	uint8_t *p, sum = 0;

	if (!f)
		return l->err;
	if (off >= f->size || !range_fits(start, len, f->size))
		return fail(l, LOADER_E_CKSUM_RANGE, e + LOADER_CKSUM_FILE);
	p = l->ops->mem(l->ctx, f->addr, f->size);
	if (!p)
		return fail(l, LOADER_E_MEMORY, e + LOADER_CKSUM_FILE);
	for (uint32_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[start + i]);
	p[off] = (uint8_t)(p[off] - sum);
	return 0;
}

/* WRITE_POINTER: tell the VMM an address, by writing it into a writable fw_cfg file. */
static int cmd_write_pointer(struct loader *l, const uint8_t *e)
{
	const uint8_t *dname = e + LOADER_WPTR_DEST;
	const struct loader_alloc *src;
	uint32_t dst_off = get_le32(e + LOADER_WPTR_DST_OFFSET);
	uint32_t src_off = get_le32(e + LOADER_WPTR_SRC_OFFSET);
	uint8_t size = e[LOADER_WPTR_SIZE];
	uint8_t buf[8];
	uint32_t dsize;
	uint16_t key;
	uint64_t v;

	if (!name_ok(dname))
		return fail(l, LOADER_E_NAME, NULL);
	if (l->ops->find(l->ctx, (const char *)dname, &key, &dsize))
		return fail(l, LOADER_E_NO_FILE, dname);
	src = alloc_of(l, e + LOADER_WPTR_SRC);
	if (!src)
		return l->err;
	if (!ptr_size_ok(size))
		return fail(l, LOADER_E_PTR_SIZE, dname);
	if (!range_fits(dst_off, size, dsize))
		return fail(l, LOADER_E_PTR_RANGE, dname);
	if (src_off >= src->size)
		return fail(l, LOADER_E_SRC_OFFSET, e + LOADER_WPTR_SRC);
	v = src->addr + src_off;
	if (!fits(v, size))
		return fail(l, LOADER_E_PTR_OVERFLOW, dname);
	put_le(buf, size, v);
	if (l->ops->write(l->ctx, key, dst_off, buf, size))
		return fail(l, LOADER_E_IO, dname);
	return 0;
}

int loader_run(struct loader *l, const uint8_t *blob, uint32_t size)
{
	uint32_t n = size / LOADER_ENTRY_SIZE;

	l->err = LOADER_OK;
	l->err_name = NULL;
	if (size % LOADER_ENTRY_SIZE) {
		l->err_index = LOADER_INDEX_BLOB;
		l->err_command = 0;
		return fail(l, LOADER_E_TRUNCATED, NULL);
	}
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = blob + i * LOADER_ENTRY_SIZE;
		uint32_t cmd = get_le32(e);
		int rc;

		l->err_index = i;
		l->err_command = cmd;
		switch (cmd) {
		case LOADER_CMD_ALLOCATE:
			rc = cmd_allocate(l, e);
			break;
		case LOADER_CMD_ADD_POINTER:
			rc = cmd_add_pointer(l, e);
			break;
		case LOADER_CMD_ADD_CHECKSUM:
			rc = cmd_add_checksum(l, e);
			break;
		case LOADER_CMD_WRITE_POINTER:
			rc = cmd_write_pointer(l, e);
			break;
		default:
			/* SeaBIOS and OVMF skip what they do not know; so do we, loudly. */
			if (l->ops->skipped)
				l->ops->skipped(l->ctx, i, cmd);
			rc = 0;
			break;
		}
		if (rc)
			return rc;
	}
	return 0;
}

static uint8_t sum8(const uint8_t *p, uint32_t len)
{
	uint8_t s = 0;

	for (uint32_t i = 0; i < len; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

/* RSDP v1 is 20 bytes; revision >= 2 adds a length (at 20) and an extended checksum. */
static bool rsdp_valid(const uint8_t *p, uint32_t room)
{
	static const char sig[8] = { 'R', 'S', 'D', ' ', 'P', 'T', 'R', ' ' };
	uint32_t len;

	for (unsigned i = 0; i < 8; i++)
		if (p[i] != (uint8_t)sig[i])
			return false;
	if (sum8(p, 20))
		return false;
	if (p[15] < 2)
		return true;
	if (room < 36)
		return false;
	len = get_le32(p + 20);
	return len >= 36 && len <= room && sum8(p, len) == 0;
}

uint64_t loader_find_rsdp(const struct loader *l)
{
	for (unsigned i = 0; i < l->nr_alloc; i++) {
		const struct loader_alloc *a = &l->alloc[i];
		const uint8_t *p;
		uint32_t off;

		if (a->zone != LOADER_ZONE_FSEG || a->size < 20)
			continue;
		p = l->ops->mem(l->ctx, a->addr, a->size);
		if (!p)
			continue;
		for (off = (uint32_t)(align_up(a->addr, 16) - a->addr); off + 20 <= a->size; off += 16)
			if (rsdp_valid(p + off, a->size - off))
				return a->addr + off;
	}
	return 0;
}

const char *loader_strerror(enum loader_error e)
{
	switch (e) {
	case LOADER_OK: return "success";
	case LOADER_E_TRUNCATED: return "blob size is not a multiple of 128 bytes";
	case LOADER_E_NAME: return "file name is not NUL-terminated within 56 bytes";
	case LOADER_E_NO_FILE: return "no such fw_cfg file";
	case LOADER_E_NOT_ALLOCATED: return "file was not allocated by an earlier ALLOCATE";
	case LOADER_E_TWICE: return "file allocated twice";
	case LOADER_E_EMPTY: return "file is empty";
	case LOADER_E_ALIGN: return "alignment is not a power of two";
	case LOADER_E_ZONE: return "unknown or unavailable zone";
	case LOADER_E_ZONE_FULL: return "file does not fit in its zone";
	case LOADER_E_TOO_MANY: return "too many allocations";
	case LOADER_E_PTR_SIZE: return "pointer size is not 1, 2, 4 or 8";
	case LOADER_E_PTR_RANGE: return "pointer lies outside the destination file";
	case LOADER_E_PTR_OVERFLOW: return "pointer value does not fit in its size";
	case LOADER_E_SRC_OFFSET: return "source offset lies outside the source file";
	case LOADER_E_CKSUM_RANGE: return "checksum byte or range lies outside the file";
	case LOADER_E_MEMORY: return "allocation is not addressable";
	case LOADER_E_IO: return "fw_cfg transfer failed";
	}
	return "unknown error";
}

const char *loader_command_name(uint32_t command)
{
	switch (command) {
	case LOADER_CMD_ALLOCATE: return "ALLOCATE";
	case LOADER_CMD_ADD_POINTER: return "ADD_POINTER";
	case LOADER_CMD_ADD_CHECKSUM: return "ADD_CHECKSUM";
	case LOADER_CMD_WRITE_POINTER: return "WRITE_POINTER";
	}
	return "unknown command";
}
