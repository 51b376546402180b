/* SPDX-License-Identifier: MIT */
/*
 * The state file's reader (vmm/state.h): libfdt parses the tree; this file
 * checks what a state file needs beyond a device tree before anything is
 * used (format version, crc32, names unique among siblings) and the size
 * of every property read.
 */
#include "vmm/state.h"

#include <errno.h>
#include <libfdt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/util.h"

/* The property field of node: 0, -ENOENT, or -EINVAL when it appears twice. */
static int find_prop(const void *fdt, int node, const char *field, const uint8_t **val, int *len)
{
	int off, n = 0;

	fdt_for_each_property_offset(off, fdt, node) {
		const char *pname;
		int plen;
		const void *v = fdt_getprop_by_offset(fdt, off, &pname, &plen);

		if (!v || strcmp(pname, field))
			continue;
		if (n++)
			return -EINVAL;
		*val = v;
		*len = plen;
	}
	return n ? 0 : -ENOENT;
}

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

/*
 * Whether two properties of node share a name: 0 (none), 1 with *dup one
 * such name, or -ENOMEM. A hash set of the names, so a record of n fields
 * costs n steps here, whatever a hostile file puts in it.
 */
static int find_duplicate(const void *fdt, int node, const char **dup)
{
	const char **set, *name;
	size_t n = 0, size = 16;
	int off, rc = 0;

	fdt_for_each_property_offset(off, fdt, node)
		n++;
	while (size < 2 * n)
		size *= 2;
	set = calloc(size, sizeof(*set));
	if (!set)
		return -ENOMEM;
	fdt_for_each_property_offset(off, fdt, node) {
		size_t h;

		if (!fdt_getprop_by_offset(fdt, off, &name, NULL) || !name)
			continue;
		for (h = name_hash(name) & (size - 1); set[h]; h = (h + 1) & (size - 1))
			if (!strcmp(set[h], name))
				break;
		if (set[h]) {
			*dup = name;
			rc = 1;
			break;
		}
		set[h] = name;
	}
	free(set);
	return rc;
}

/*
 * The property field of the selected node, whose names are known to be
 * unique: the search starts after the property found last and wraps, so a
 * record read in the order it was written (every load does) finds each
 * field at once instead of scanning the whole record.
 */
static int find_next_prop(struct state_reader *r, const char *field, const uint8_t **val, int *len)
{
	int first = fdt_first_property_offset(r->fdt, r->sel);
	int start = r->next_prop >= 0 ? r->next_prop : first, off = start;
	bool wrapped = false;

	for (;;) {
		const char *pname;
		const void *v;

		if (off < 0) {
			if (wrapped || start == first)
				return -ENOENT;
			wrapped = true;
			off = first;
		}
		if (wrapped && off == start)
			return -ENOENT;
		v = fdt_getprop_by_offset(r->fdt, off, &pname, len);
		if (v && pname && !strcmp(pname, field)) {
			*val = v;
			r->next_prop = fdt_next_property_offset(r->fdt, off);
			return 0;
		}
		off = fdt_next_property_offset(r->fdt, off);
	}
}

/* The child name of parent: 0, -ENOENT, or -EINVAL when it appears twice. */
static int find_child(const void *fdt, int parent, const char *name, int *child)
{
	size_t nl = strlen(name);
	int node, n = 0;

	fdt_for_each_subnode(node, fdt, parent) {
		int len;
		const char *cn = fdt_get_name(fdt, node, &len);

		if (!cn || (size_t)len != nl || memcmp(cn, name, nl))
			continue;
		if (n++)
			return -EINVAL;
		*child = node;
	}
	return n ? 0 : -ENOENT;
}

static void select_node(struct state_reader *r, int node, const char *name)
{
	r->sel = node;
	r->sel_dup = -1;
	r->next_prop = -1;
	snprintf(r->sel_name, sizeof(r->sel_name), "%s", name);
}

/* The root's format, then its crc32, with a message for each refusal. */
static int check_root(struct state_reader *r)
{
	const uint8_t *p, *blob = r->fdt;
	uint32_t format, stored, computed;
	int len;

	if (find_prop(r->fdt, 0, "compatible", &p, &len) ||
	    len != (int)sizeof(STATE_COMPATIBLE) || memcmp(p, STATE_COMPATIBLE, (size_t)len))
		return errf(&r->err, -EINVAL,
			    "state: a device tree, but not a microvm state file (compatible is not \"%s\")",
			    STATE_COMPATIBLE);
	if (find_prop(r->fdt, 0, "format", &p, &len) || len != 4)
		return errf(&r->err, -EINVAL, "state: the root has no 4-byte format property");
	format = get_be32(p);
	if (format > STATE_FORMAT)
		return errf(&r->err, -EPROTONOSUPPORT,
			    "state: format %u is newer than this microvm understands (%d); use a newer microvm",
			    format, STATE_FORMAT);
	if (format != STATE_FORMAT)
		return errf(&r->err, -EPROTONOSUPPORT,
			    "state: format %u is not one this microvm reads (it reads %d)", format,
			    STATE_FORMAT);
	if (find_prop(r->fdt, 0, "crc32", &p, &len) || len != 4)
		return errf(&r->err, -EINVAL, "state: the root has no 4-byte crc32 property; the file is corrupted");
	stored = get_be32(p);
	computed = state_blob_crc(blob, r->len, (size_t)(p - blob));
	if (stored != computed)
		return errf(&r->err, -EINVAL,
			    "state: crc32 mismatch (stored 0x%08x, computed 0x%08x): the file is corrupted",
			    stored, computed);
	return 0;
}

int state_reader_init(struct state_reader *r, const void *buf, size_t len)
{
	uint32_t total;
	int rc;

	memset(r, 0, sizeof(*r));
	r->fdt = buf;
	r->len = len;
	r->sel = -1;
	if (len >= 8 && memcmp(buf, "MVMSTATE", 8) == 0)
		return errf(&r->err, -EPROTONOSUPPORT,
			    "state: format 1 (MVMSTATE) is retired; this microvm reads format %d", STATE_FORMAT);
	if (len < sizeof(struct fdt_header))
		return errf(&r->err, -EINVAL, "state: truncated: %zu bytes, less than a device tree header", len);
	if ((uintptr_t)buf & 7)
		return errf(&r->err, -EINVAL, "state: buffer not 8-byte aligned (libfdt needs it)");
	if (fdt_magic(buf) != FDT_MAGIC)
		return errf(&r->err, -EINVAL, "state: not a state file (no device tree magic)");
	total = fdt_totalsize(buf);
	if (total > len)
		return errf(&r->err, -EINVAL, "state: truncated: the header says %u bytes, there are %zu",
			    total, len);
	if (total < len)
		return errf(&r->err, -EINVAL, "state: %zu trailing bytes after the %u the header says",
			    len - total, total);
	if (len > STATE_SIZE_MAX)
		return errf(&r->err, -EINVAL, "state: %zu bytes, more than the 1 GiB limit", len);
	rc = fdt_check_full(buf, len);
	if (rc)
		return errf(&r->err, -EINVAL, "state: malformed device tree: %s", fdt_strerror(rc));
	rc = check_root(r);
	if (rc)
		return rc;
	select_node(r, 0, "/");
	return 0;
}

static const char *parent_name(const struct state_reader *r)
{
	const char *n = r->depth ? fdt_get_name(r->fdt, r->stack[r->depth], NULL) : NULL;

	return n ? n : "/";
}

/* The child name of the current parent, with a message when absent or doubled. */
static int child(struct state_reader *r, const char *name, const char *what, int *node)
{
	int rc = find_child(r->fdt, r->stack[r->depth], name, node);

	if (rc == -ENOENT)
		return errf(&r->err, -ENOENT, "state: node %s has no %s %s", parent_name(r), what, name);
	if (rc)
		return errf(&r->err, -EINVAL, "state: %s %s appears twice in node %s", what, name,
			    parent_name(r));
	return 0;
}

int state_node_enter(struct state_reader *r, const char *name)
{
	int node, rc;

	if (r->depth == STATE_DEPTH_MAX)
		return errf(&r->err, -EINVAL, "state: node %s: nested deeper than %d", name,
			    STATE_DEPTH_MAX);
	rc = child(r, name, "node", &node);
	if (rc)
		return rc;
	r->stack[++r->depth] = node;
	select_node(r, node, name);
	return 0;
}

void state_node_leave(struct state_reader *r)
{
	if (r->depth)
		r->depth--;
	select_node(r, r->stack[r->depth], parent_name(r));
}

int state_record_open(struct state_reader *r, const char *name, uint32_t max_version,
		      uint32_t *version)
{
	const uint8_t *p;
	uint32_t v;
	int node, len, rc;

	r->sel = -1;
	r->sel_name[0] = '\0';
	rc = child(r, name, "record", &node);
	if (rc)
		return rc;
	rc = find_prop(r->fdt, node, "version", &p, &len);
	if (rc || len != 4)
		return errf(&r->err, -EINVAL, "state: record %s has no 4-byte version", name);
	v = get_be32(p);
	if (v < 1 || v > max_version)
		return errf(&r->err, -EPROTONOSUPPORT,
			    "state: record %s version %u is unknown to this microvm (it reads versions 1..%u)",
			    name, v, max_version);
	select_node(r, node, name);
	*version = v;
	return 0;
}

/* The selected node's property field: its value and size. */
static int get_prop(struct state_reader *r, const char *field, const uint8_t **val, size_t *len)
{
	const char *dup = NULL;
	int plen, rc;

	if (r->sel < 0)
		return errf(&r->err, -EINVAL, "state: field %s read with no record open", field);
	if (r->sel_dup < 0) {
		rc = find_duplicate(r->fdt, r->sel, &dup);
		if (rc < 0)
			return errf(&r->err, rc, "state: out of memory reading record %s", r->sel_name);
		r->sel_dup = rc;
		if (rc)
			snprintf(r->sel_dup_name, sizeof(r->sel_dup_name), "%s",
				 state_prop_name_ok(dup) ? dup : "?");
	}
	if (r->sel_dup)
		return errf(&r->err, -EINVAL, "state: record %s: field %s appears twice", r->sel_name,
			    r->sel_dup_name);
	rc = find_next_prop(r, field, val, &plen);
	if (rc)
		return errf(&r->err, -ENOENT, "state: record %s has no field %s", r->sel_name, field);
	*len = (size_t)plen;
	return 0;
}

static int get_sized(struct state_reader *r, const char *field, size_t want, const char *type,
		     const uint8_t **val)
{
	size_t len;
	int rc = get_prop(r, field, val, &len);

	if (!rc && len != want)
		rc = errf(&r->err, -EINVAL, "state: record %s: field %s has %zu bytes, a %s has %zu",
			  r->sel_name, field, len, type, want);
	return rc;
}

/* One cell holding a value up to max. */
static int get_cell(struct state_reader *r, const char *field, uint32_t max, const char *type,
		    uint32_t *v)
{
	const uint8_t *p;
	int rc = get_sized(r, field, 4, type, &p);

	if (rc)
		return rc;
	*v = get_be32(p);
	if (*v > max)
		return errf(&r->err, -EINVAL, "state: record %s: field %s is %u, out of range for a %s",
			    r->sel_name, field, *v, type);
	return 0;
}

int state_get_u8(struct state_reader *r, const char *field, uint8_t *v)
{
	uint32_t c;
	int rc = get_cell(r, field, UINT8_MAX, "u8", &c);

	if (!rc)
		*v = (uint8_t)c;
	return rc;
}

int state_get_u16(struct state_reader *r, const char *field, uint16_t *v)
{
	uint32_t c;
	int rc = get_cell(r, field, UINT16_MAX, "u16", &c);

	if (!rc)
		*v = (uint16_t)c;
	return rc;
}

int state_get_u32(struct state_reader *r, const char *field, uint32_t *v)
{
	return get_cell(r, field, UINT32_MAX, "u32", v);
}

int state_get_bool(struct state_reader *r, const char *field, bool *v)
{
	uint32_t c;
	int rc = get_cell(r, field, 1, "bool", &c);

	if (!rc)
		*v = c;
	return rc;
}

int state_get_u64(struct state_reader *r, const char *field, uint64_t *v)
{
	const uint8_t *p;
	int rc = get_sized(r, field, 8, "u64", &p);

	if (!rc)
		*v = get_be64(p);
	return rc;
}

int state_get_blob(struct state_reader *r, const char *field, const uint8_t **p, size_t *len)
{
	return get_prop(r, field, p, len);
}

int state_get_bytes(struct state_reader *r, const char *field, void *dst, size_t len)
{
	const uint8_t *p;
	int rc = get_sized(r, field, len, "field of that size", &p);

	if (!rc && len)
		memcpy(dst, p, len);
	return rc;
}

int state_get_string(struct state_reader *r, const char *field, const char **s)
{
	const uint8_t *p;
	size_t len;
	int rc = get_prop(r, field, &p, &len);

	if (rc)
		return rc;
	if (len == 0 || memchr(p, '\0', len) != p + len - 1)
		return errf(&r->err, -EINVAL, "state: record %s: field %s is not one NUL-terminated string",
			    r->sel_name, field);
	*s = (const char *)p;
	return 0;
}

int state_child_next(const struct state_reader *r, int *iter, const char **name)
{
	int node = *iter > 0 ? fdt_next_subnode(r->fdt, *iter)
			     : fdt_first_subnode(r->fdt, r->stack[r->depth]);
	const char *n;

	if (node <= 0)
		return 0;
	n = fdt_get_name(r->fdt, node, NULL);
	if (!n)
		return 0;
	*iter = node;
	*name = n;
	return 1;
}

int state_invalid(struct state_reader *r, const char *fmt, ...)
{
	char msg[sizeof(r->err.msg) - 64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return errf(&r->err, -EINVAL, "state: record %s: %s", r->sel_name[0] ? r->sel_name : "?", msg);
}
