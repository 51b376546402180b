/* SPDX-License-Identifier: MIT */
/*
 * The state file on libfdt (vmm/state.h). libfdt builds and parses the
 * tree; this file adds what a state file needs beyond a device tree: names
 * unique among siblings, a format version checked before anything else is
 * used, a size check on every property read, and an integrity check.
 */
#include "vmm/state.h"

#include <errno.h>
#include <libfdt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "vmm/util.h"

#define STATE_INITIAL_SIZE 4096

/* ---- names (devicetree spec v0.4 §2.2.1, §2.2.4) ---- */

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* 1..31 of [A-Za-z0-9,._+-], then optionally "@" and a unit address of the same characters. */
bool state_node_name_ok(const char *name)
{
	size_t n = strnlen(name, STATE_NAME_MAX + 1);
	bool at = false;

	if (n < 1 || n > STATE_NAME_MAX || name[0] == '@' || name[n - 1] == '@')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (c == '@' && !at)
			at = true;
		else if (!is_alnum(c) && c != ',' && c != '.' && c != '_' && c != '+' && c != '-')
			return false;
	}
	return true;
}

/*
 * 1..31 of [A-Za-z0-9,._+?#-]. "name" is refused: dtc treats a "name"
 * property as the node's name and fails on one that differs.
 */
static bool prop_name_ok(const char *name)
{
	size_t n = strnlen(name, STATE_NAME_MAX + 1);

	if (n < 1 || n > STATE_NAME_MAX || strcmp(name, "name") == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!is_alnum(c) && c != ',' && c != '.' && c != '_' && c != '+' && c != '?' &&
		    c != '#' && c != '-')
			return false;
	}
	return true;
}

/* ---- writer ---- */

static int set_error(struct state_writer *w, int code, const char *msg, const char *name)
{
	w->error = errf(&w->err, code, "state: %s%s%s", name ? name : "", name ? ": " : "", msg);
	return w->error;
}

/* Give libfdt a buffer twice as large; its contents move with fdt_resize(). */
static int grow(struct state_writer *w)
{
	size_t cap = w->cap * 2;
	void *n;
	int rc;

	if (cap > STATE_SIZE_MAX)
		return set_error(w, -E2BIG, "more than 1 GiB of state", NULL);
	n = calloc(1, cap); /* no uninitialised byte can reach the file */
	if (!n)
		return set_error(w, -ENOMEM, "out of memory", NULL);
	rc = fdt_resize(w->fdt, n, (int)cap);
	if (rc) {
		free(n);
		return set_error(w, -EIO, fdt_strerror(rc), "fdt_resize");
	}
	free(w->fdt);
	w->fdt = n;
	w->cap = cap;
	return 0;
}

enum sw_op { SW_BEGIN_NODE, SW_PROPERTY, SW_END_NODE, SW_FINISH };

/* One libfdt sequential-write call, retried on a larger buffer while libfdt runs out of space. */
static int sw(struct state_writer *w, enum sw_op op, const char *name, const void *val, size_t len)
{
	int rc;

	for (;;) {
		switch (op) {
		case SW_BEGIN_NODE:
			rc = fdt_begin_node(w->fdt, name);
			break;
		case SW_PROPERTY:
			rc = fdt_property(w->fdt, name, val, (int)len);
			break;
		case SW_END_NODE:
			rc = fdt_end_node(w->fdt);
			break;
		default:
			rc = fdt_finish(w->fdt);
			break;
		}
		/* libfdt checks for space before it changes anything, so the call can be redone. */
		if (rc != -FDT_ERR_NOSPACE)
			break;
		if (grow(w))
			return w->error;
	}
	return rc ? set_error(w, -EIO, fdt_strerror(rc), name) : 0;
}

/* Writable, and no error so far. */
static int usable(struct state_writer *w)
{
	if (w->error)
		return w->error;
	if (w->finished)
		return set_error(w, -EINVAL, "written to after state_writer_finish()", NULL);
	return 0;
}

/* Claim name among the open node's properties and children (one namespace, as dtc wants). */
static int name_claim(struct state_writer *w, const char *name)
{
	struct state_names *ns = &w->names[w->depth];
	size_t n = strlen(name) + 1;

	for (size_t off = 0; off < ns->len; off += strlen(ns->buf + off) + 1)
		if (strcmp(ns->buf + off, name) == 0)
			return set_error(w, -EEXIST, "written twice in one node", name);
	if (ns->len + n > ns->cap) {
		size_t cap = ns->cap ? ns->cap * 2 : 256;
		char *p;

		while (cap < ns->len + n)
			cap *= 2;
		p = realloc(ns->buf, cap);
		if (!p)
			return set_error(w, -ENOMEM, "out of memory", name);
		ns->buf = p;
		ns->cap = cap;
	}
	memcpy(ns->buf + ns->len, name, n);
	ns->len += n;
	return 0;
}

static int put_prop(struct state_writer *w, const char *field, const void *val, size_t len)
{
	int rc = usable(w);

	if (rc)
		return rc;
	if (!prop_name_ok(field))
		return set_error(w, -EINVAL, "not a property name (1..31 of [A-Za-z0-9,._+?#-], not \"name\")",
				 field);
	if (w->names[w->depth].has_child)
		return set_error(w, -EINVAL, "property after a child node (FDT puts properties first)",
				 field);
	if (len > STATE_SIZE_MAX)
		return set_error(w, -E2BIG, "value larger than 1 GiB", field);
	rc = name_claim(w, field);
	return rc ? rc : sw(w, SW_PROPERTY, field, val, len);
}

int state_put_u32(struct state_writer *w, const char *field, uint32_t v)
{
	uint8_t b[4];

	put_be32(b, v);
	return put_prop(w, field, b, sizeof(b));
}

int state_put_u8(struct state_writer *w, const char *field, uint8_t v)
{
	return state_put_u32(w, field, v);
}

int state_put_u16(struct state_writer *w, const char *field, uint16_t v)
{
	return state_put_u32(w, field, v);
}

int state_put_bool(struct state_writer *w, const char *field, bool v)
{
	return state_put_u32(w, field, v ? 1 : 0);
}

int state_put_u64(struct state_writer *w, const char *field, uint64_t v)
{
	uint8_t b[8];

	put_be64(b, v);
	return put_prop(w, field, b, sizeof(b));
}

int state_put_bytes(struct state_writer *w, const char *field, const void *p, size_t len)
{
	return put_prop(w, field, len ? p : "", len);
}

int state_put_string(struct state_writer *w, const char *field, const char *s)
{
	return put_prop(w, field, s, strlen(s) + 1);
}

void state_writer_init(struct state_writer *w)
{
	int rc;

	memset(w, 0, sizeof(*w));
	w->fdt = calloc(1, STATE_INITIAL_SIZE);
	if (!w->fdt) {
		set_error(w, -ENOMEM, "out of memory", NULL);
		return;
	}
	w->cap = STATE_INITIAL_SIZE;
	rc = fdt_create(w->fdt, (int)w->cap);
	if (!rc)
		rc = fdt_finish_reservemap(w->fdt);
	if (rc) {
		set_error(w, -EIO, fdt_strerror(rc), "fdt_create");
		return;
	}
	if (sw(w, SW_BEGIN_NODE, "", NULL, 0))
		return;
	state_put_string(w, "compatible", STATE_COMPATIBLE);
	state_put_u32(w, "format", STATE_FORMAT);
	/* 0 until state_writer_finish() seals the blob. */
	state_put_u32(w, "crc32", 0);
}

void state_writer_free(struct state_writer *w)
{
	free(w->fdt);
	for (unsigned i = 0; i <= STATE_DEPTH_MAX; i++)
		free(w->names[i].buf);
	memset(w, 0, sizeof(*w));
}

int state_node_begin(struct state_writer *w, const char *name)
{
	int rc = usable(w);

	if (rc)
		return rc;
	if (!state_node_name_ok(name))
		return set_error(w, -EINVAL, "not a node name (1..31 of [A-Za-z0-9,._+-], optional @unit)",
				 name);
	if (w->depth == STATE_DEPTH_MAX)
		return set_error(w, -EINVAL, "nodes nested deeper than 8", name);
	rc = name_claim(w, name);
	if (!rc)
		rc = sw(w, SW_BEGIN_NODE, name, NULL, 0);
	if (rc)
		return rc;
	w->names[w->depth].has_child = true;
	w->depth++;
	w->names[w->depth].len = 0;
	w->names[w->depth].has_child = false;
	return 0;
}

int state_node_end(struct state_writer *w)
{
	int rc = usable(w);

	if (rc)
		return rc;
	if (w->depth == 0)
		return set_error(w, -EINVAL, "node end without a begin", NULL);
	rc = sw(w, SW_END_NODE, NULL, NULL, 0);
	if (!rc)
		w->depth--;
	return rc;
}

int state_record_begin(struct state_writer *w, const char *name, uint32_t version)
{
	int rc = usable(w);

	if (rc)
		return rc;
	if (version == 0)
		return set_error(w, -EINVAL, "record versions start at 1", name);
	rc = state_node_begin(w, name);
	return rc ? rc : state_put_u32(w, "version", version);
}

int state_record_end(struct state_writer *w)
{
	return state_node_end(w);
}

/*
 * The crc32 of the whole blob with the crc32 property's value taken as
 * zero. FDT has no integrity check of its own: a flipped bit in a register
 * value leaves a perfectly well-formed tree, and must still be refused.
 * zlib's crc32 (IEEE 802.3) is the library for it, not our own code.
 */
static uint32_t blob_crc(const uint8_t *blob, size_t len, size_t crc_off)
{
	static const uint8_t zero[4];
	uLong c = crc32_z(0L, Z_NULL, 0);

	c = crc32_z(c, blob, crc_off);
	c = crc32_z(c, zero, sizeof(zero));
	c = crc32_z(c, blob + crc_off + 4, len - crc_off - 4);
	return (uint32_t)c;
}

const uint8_t *state_writer_finish(struct state_writer *w, size_t *len)
{
	uint8_t *crc;
	int plen;

	if (w->finished && !w->error) {
		*len = fdt_totalsize(w->fdt);
		return w->fdt;
	}
	if (w->error)
		return NULL;
	if (w->depth) {
		set_error(w, -EINVAL, "a node is still open at the end", NULL);
		return NULL;
	}
	if (sw(w, SW_END_NODE, NULL, NULL, 0) || sw(w, SW_FINISH, NULL, NULL, 0))
		return NULL;
	w->finished = true;
	*len = fdt_totalsize(w->fdt);
	crc = fdt_getprop_w(w->fdt, 0, "crc32", &plen);
	if (!crc || plen != 4) {
		set_error(w, -EIO, "the root lost its crc32 property", NULL);
		return NULL;
	}
	put_be32(crc, blob_crc(w->fdt, *len, (size_t)(crc - (uint8_t *)w->fdt)));
	return w->fdt;
}

/* ---- reader ---- */

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
	computed = blob_crc(blob, r->len, (size_t)(p - blob));
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
	r->sel = 0;
	strcpy(r->sel_name, "/");
	return 0;
}

static const char *parent_name(const struct state_reader *r)
{
	const char *n = r->depth ? fdt_get_name(r->fdt, r->stack[r->depth], NULL) : NULL;

	return n ? n : "/";
}

static void select_node(struct state_reader *r, int node, const char *name)
{
	r->sel = node;
	snprintf(r->sel_name, sizeof(r->sel_name), "%s", name);
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
	int plen, rc;

	if (r->sel < 0)
		return errf(&r->err, -EINVAL, "state: field %s read with no record open", field);
	rc = find_prop(r->fdt, r->sel, field, val, &plen);
	if (rc == -ENOENT)
		return errf(&r->err, -ENOENT, "state: record %s has no field %s", r->sel_name, field);
	if (rc)
		return errf(&r->err, -EINVAL, "state: record %s: field %s appears twice", r->sel_name,
			    field);
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
