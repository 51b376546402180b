/* SPDX-License-Identifier: MIT */
/*
 * The state file on libfdt (vmm/state.h), its writer: libfdt builds the
 * tree; this file adds what a state file needs beyond a device tree: names
 * unique among siblings and checked for the characters the spec allows, a
 * format version, and an integrity check. The reader is vmm/state_read.c.
 *
 * Property names: libfdt's own de-duplication searches the whole strings
 * block with a memcmp at every byte for every property it writes, which is
 * quadratic (about 2.5 million memcmp calls for one vCPU's 1,500
 * properties). The writer therefore asks libfdt not to de-duplicate and
 * shares the names itself in state_writer_finish(), through a hash table.
 */
#include "vmm/state.h"

#include <errno.h>
#include <libfdt.h>
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
bool state_prop_name_ok(const char *name)
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

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

/* Forget the names of the node that was open at this depth. */
static void names_reset(struct state_names *ns)
{
	ns->len = 0;
	ns->count = 0;
	if (ns->slot)
		memset(ns->slot, 0, ((size_t)ns->mask + 1) * sizeof(*ns->slot));
	ns->has_child = false;
}

/* Double the hash set (or make its first 64 slots) and put every name back. */
static int names_rehash(struct state_names *ns)
{
	uint32_t mask = ns->slot ? ns->mask * 2 + 1 : 63, *slot = calloc((size_t)mask + 1, sizeof(*slot));

	if (!slot)
		return -ENOMEM;
	for (size_t off = 0; off < ns->len; off += strlen(ns->buf + off) + 1) {
		uint32_t i = name_hash(ns->buf + off) & mask;

		while (slot[i])
			i = (i + 1) & mask;
		slot[i] = (uint32_t)off + 1;
	}
	free(ns->slot);
	ns->slot = slot;
	ns->mask = mask;
	return 0;
}

/* Add name to ns unless it is there: its offset in ns->buf in *off, *added whether new; 0 or -ENOMEM. */
static int names_add(struct state_names *ns, const char *name, uint32_t *off, bool *added)
{
	size_t n = strlen(name) + 1;
	uint32_t i;

	if ((!ns->slot || 2 * (ns->count + 1) > ns->mask) && names_rehash(ns))
		return -ENOMEM;
	for (i = name_hash(name) & ns->mask; ns->slot[i]; i = (i + 1) & ns->mask) {
		if (strcmp(ns->buf + ns->slot[i] - 1, name) == 0) {
			*off = ns->slot[i] - 1;
			*added = false;
			return 0;
		}
	}
	if (ns->len + n > ns->cap) {
		size_t cap = ns->cap ? ns->cap * 2 : 256;
		char *p;

		while (cap < ns->len + n)
			cap *= 2;
		p = realloc(ns->buf, cap);
		if (!p)
			return -ENOMEM;
		ns->buf = p;
		ns->cap = cap;
	}
	memcpy(ns->buf + ns->len, name, n);
	*off = (uint32_t)ns->len;
	ns->slot[i] = *off + 1;
	ns->len += n;
	ns->count++;
	*added = true;
	return 0;
}

/* Claim name among the open node's properties and children (one namespace, as dtc wants). */
static int name_claim(struct state_writer *w, const char *name)
{
	uint32_t off;
	bool added;

	if (names_add(&w->names[w->depth], name, &off, &added))
		return set_error(w, -ENOMEM, "out of memory", name);
	return added ? 0 : set_error(w, -EEXIST, "written twice in one node", name);
}

static int put_prop(struct state_writer *w, const char *field, const void *val, size_t len)
{
	int rc = usable(w);

	if (rc)
		return rc;
	if (!state_prop_name_ok(field))
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
	rc = fdt_create_with_flags(w->fdt, (int)w->cap, FDT_CREATE_FLAG_NO_NAME_DEDUP);
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
	for (unsigned i = 0; i <= STATE_DEPTH_MAX; i++) {
		free(w->names[i].buf);
		free(w->names[i].slot);
	}
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
	names_reset(&w->names[w->depth]);
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
uint32_t state_blob_crc(const uint8_t *blob, size_t len, size_t crc_off)
{
	static const uint8_t zero[4];
	uLong c = crc32_z(0L, Z_NULL, 0);

	c = crc32_z(c, blob, crc_off);
	c = crc32_z(c, zero, sizeof(zero));
	c = crc32_z(c, blob + crc_off + 4, len - crc_off - 4);
	return (uint32_t)c;
}

/*
 * Give each property name one copy in the strings block, in order of first
 * use, and shrink the blob by what that saves. Runs on the finished tree,
 * whose strings block is last; every offset in it was made by libfdt here.
 */
static int share_names(struct state_writer *w)
{
	char *fdt = w->fdt, *old = fdt + fdt_off_dt_strings(fdt);
	uint32_t old_size = fdt_size_dt_strings(fdt), tag, noff;
	struct state_names ns = { 0 };
	int off = 0, next, rc = 0;
	bool added;

	if (fdt_off_dt_strings(fdt) + old_size != fdt_totalsize(fdt))
		return set_error(w, -EIO, "the strings block is not last", NULL);
	for (tag = fdt_next_tag(fdt, 0, &next); tag != FDT_END; tag = fdt_next_tag(fdt, off, &next)) {
		if (next < 0) {
			rc = set_error(w, -EIO, fdt_strerror(next), "fdt_next_tag");
			break;
		}
		if (tag == FDT_PROP) {
			struct fdt_property *p = (void *)(fdt + fdt_off_dt_struct(fdt) + off);

			if (names_add(&ns, old + fdt32_to_cpu(p->nameoff), &noff, &added)) {
				rc = set_error(w, -ENOMEM, "out of memory", NULL);
				break;
			}
			p->nameoff = cpu_to_fdt32(noff);
		}
		off = next;
	}
	if (!rc) {
		/* ns.len <= old_size: old holds a copy of every name. */
		memcpy(old, ns.buf, ns.len);
		memset(old + ns.len, 0, old_size - ns.len);
		fdt_set_size_dt_strings(fdt, (uint32_t)ns.len);
		fdt_set_totalsize(fdt, fdt_totalsize(fdt) - (old_size - (uint32_t)ns.len));
	}
	free(ns.buf);
	free(ns.slot);
	return rc;
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
	if (sw(w, SW_END_NODE, NULL, NULL, 0) || sw(w, SW_FINISH, NULL, NULL, 0) || share_names(w))
		return NULL;
	w->finished = true;
	*len = fdt_totalsize(w->fdt);
	crc = fdt_getprop_w(w->fdt, 0, "crc32", &plen);
	if (!crc || plen != 4) {
		set_error(w, -EIO, "the root lost its crc32 property", NULL);
		return NULL;
	}
	put_be32(crc, state_blob_crc(w->fdt, *len, (size_t)(crc - (uint8_t *)w->fdt)));
	return w->fdt;
}
