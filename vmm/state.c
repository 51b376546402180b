/* SPDX-License-Identifier: MIT */
#include "vmm/state.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/util.h"

#define STATE_HDR_SIZE 12 /* magic + format */

/* ---- shared: names, checksum, parsing one record or field ---- */

static bool name_ok(const uint8_t *p, size_t len)
{
	if (len < 1 || len > STATE_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

static bool name_eq(const uint8_t *p, size_t len, const char *name)
{
	return strlen(name) == len && memcmp(p, name, len) == 0;
}

/* CRC-32 (IEEE 802.3, reflected 0xEDB88320), four bits at a time: no mutable table. */
static uint32_t crc32_ieee(const uint8_t *p, size_t len)
{
	static const uint32_t t[16] = {
		0x00000000, 0x1DB71064, 0x3B6E20C8, 0x26D930AC, 0x76DC4190, 0x6B6B51F4,
		0x4DB26158, 0x5005713C, 0xEDB88320, 0xF00F9344, 0xD6D6A3E8, 0xCB61B38C,
		0x9B64C2B0, 0x86D3D2D4, 0xA00AE278, 0xBDBDF21C,
	};
	uint32_t c = 0xFFFFFFFF;

	for (size_t i = 0; i < len; i++) {
		c ^= p[i];
		c = (c >> 4) ^ t[c & 15];
		c = (c >> 4) ^ t[c & 15];
	}
	return ~c;
}

struct rec_view {
	const uint8_t *name;
	size_t name_len;
	uint32_t version;
	uint32_t nr_fields;
	size_t body;   /* offset of the body (after body_len) */
	size_t fields; /* offset of the first field */
	size_t crc;    /* offset of the checksum = end of the fields */
	size_t next;   /* offset after the record */
};

struct field_view {
	uint8_t type;
	const uint8_t *name;
	size_t name_len;
	const uint8_t *val;
	uint32_t len;
	size_t next;
};

static const char *const type_name[] = { "?", "u8", "u16", "u32", "u64", "bytes" };

/* The record header at off; lengths checked against len, fields not yet. */
static int rec_parse(const uint8_t *b, size_t len, size_t off, struct rec_view *v, struct errbuf *err)
{
	uint64_t body_len;
	size_t p;

	if (!range_fits(off, 4, len))
		return errf(err, -EINVAL, "state: truncated record length at offset %zu", off);
	body_len = get_le32(b + off);
	v->body = off + 4;
	if (!range_fits(v->body, body_len + 4, len))
		return errf(err, -EINVAL, "state: record at offset %zu: %" PRIu64 " bytes, only %zu left",
			    off, body_len + 4, len - v->body);
	v->crc = v->body + body_len;
	v->next = v->crc + 4;
	p = v->body;
	if (body_len < 1 || 1 + (uint64_t)b[p] + 8 > body_len)
		return errf(err, -EINVAL, "state: record at offset %zu: header does not fit its %" PRIu64 " bytes",
			    off, body_len);
	v->name_len = b[p];
	v->name = b + p + 1;
	p += 1 + v->name_len;
	v->version = get_le32(b + p);
	v->nr_fields = get_le32(b + p + 4);
	v->fields = p + 8;
	if (!name_ok(v->name, v->name_len))
		return errf(err, -EINVAL, "state: record at offset %zu: bad name", off);
	return 0;
}

/* The field at off, which must end by end. */
static int field_parse(const uint8_t *b, size_t off, size_t end, struct field_view *f, struct errbuf *err)
{
	static const uint32_t fixed[] = { 0, 1, 2, 4, 8, 0 };

	if (!range_fits(off, 2, end) || !range_fits(off + 2, (size_t)b[off + 1] + 4, end))
		return errf(err, -EINVAL, "state: field at offset %zu: truncated header", off);
	f->type = b[off];
	f->name_len = b[off + 1];
	f->name = b + off + 2;
	f->len = get_le32(b + off + 2 + f->name_len);
	f->val = b + off + 2 + f->name_len + 4;
	f->next = off + 2 + f->name_len + 4 + f->len;
	if (!range_fits(off + 2 + f->name_len + 4, f->len, end))
		return errf(err, -EINVAL, "state: field at offset %zu: value of %" PRIu32 " bytes overruns its record",
			    off, f->len);
	if (!name_ok(f->name, f->name_len))
		return errf(err, -EINVAL, "state: field at offset %zu: bad name", off);
	if (f->type < STATE_U8 || f->type > STATE_BYTES)
		return errf(err, -EINVAL, "state: field at offset %zu: unknown type %u", off, f->type);
	if (f->type != STATE_BYTES && f->len != fixed[f->type])
		return errf(err, -EINVAL, "state: field at offset %zu: %s of %" PRIu32 " bytes", off,
			    type_name[f->type], f->len);
	return 0;
}

/* ---- writer ---- */

void state_writer_init(struct state_writer *w)
{
	memset(w, 0, sizeof(*w));
	w->rec = SIZE_MAX;
	w->buf = malloc(256);
	if (!w->buf) {
		w->error = errf(&w->err, -ENOMEM, "state: out of memory");
		return;
	}
	w->cap = 256;
	memcpy(w->buf, STATE_MAGIC, 8);
	put_le32(w->buf + 8, STATE_FORMAT);
	w->len = STATE_HDR_SIZE;
}

void state_writer_free(struct state_writer *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

static uint8_t *grow(struct state_writer *w, size_t n)
{
	uint8_t *p;

	if (n > SIZE_MAX / 2 - w->len) {
		w->error = errf(&w->err, -E2BIG, "state: stream too large");
		return NULL;
	}
	if (w->len + n > w->cap) {
		size_t cap = w->cap * 2 > w->len + n ? w->cap * 2 : w->len + n;
		p = realloc(w->buf, cap);
		if (!p) {
			w->error = errf(&w->err, -ENOMEM, "state: out of memory");
			return NULL;
		}
		w->buf = p;
		w->cap = cap;
	}
	p = w->buf + w->len;
	w->len += n;
	return p;
}

int state_record_begin(struct state_writer *w, const char *name, uint32_t version)
{
	size_t nl = strlen(name), off = STATE_HDR_SIZE;
	struct rec_view v;
	uint8_t *p;

	if (w->error)
		return w->error;
	if (w->rec != SIZE_MAX)
		return w->error = errf(&w->err, -EINVAL, "state: record %s begun inside another", name);
	if (!name_ok((const uint8_t *)name, nl) || version == 0)
		return w->error = errf(&w->err, -EINVAL, "state: bad record name or version: %s v%u",
				       name, version);
	/* Records already written are well-formed: they came through here. */
	for (; off < w->len && !rec_parse(w->buf, w->len, off, &v, NULL); off = v.next)
		if (name_eq(v.name, v.name_len, name))
			return w->error = errf(&w->err, -EEXIST, "state: record %s written twice", name);
	p = grow(w, 4 + 1 + nl + 8);
	if (!p)
		return w->error;
	w->rec = w->len - (4 + 1 + nl + 8);
	put_le32(p, 0); /* body_len, fixed up by state_record_end() */
	p[4] = (uint8_t)nl;
	memcpy(p + 5, name, nl);
	put_le32(p + 5 + nl, version);
	w->rec_fields = w->rec + 5 + nl + 4;
	w->nr_fields = 0;
	return 0;
}

static int put_field(struct state_writer *w, const char *field, uint8_t type, const void *val,
		     size_t len)
{
	size_t nl = strlen(field), off;
	struct field_view f;
	uint8_t *p;

	if (w->error)
		return w->error;
	if (w->rec == SIZE_MAX || !name_ok((const uint8_t *)field, nl) || len > UINT32_MAX ||
	    w->nr_fields >= STATE_MAX_FIELDS)
		return w->error = errf(&w->err, -EINVAL, "state: field %s: no open record, bad name or too large",
				       field);
	for (off = w->rec_fields + 4; off < w->len && !field_parse(w->buf, off, w->len, &f, NULL);
	     off = f.next)
		if (name_eq(f.name, f.name_len, field))
			return w->error = errf(&w->err, -EEXIST, "state: field %s written twice", field);
	p = grow(w, 2 + nl + 4 + len);
	if (!p)
		return w->error;
	p[0] = type;
	p[1] = (uint8_t)nl;
	memcpy(p + 2, field, nl);
	put_le32(p + 2 + nl, (uint32_t)len);
	if (len)
		memcpy(p + 2 + nl + 4, val, len);
	w->nr_fields++;
	return 0;
}

int state_put_u8(struct state_writer *w, const char *field, uint8_t v)
{
	return put_field(w, field, STATE_U8, &v, 1);
}

int state_put_u16(struct state_writer *w, const char *field, uint16_t v)
{
	uint8_t b[2];

	put_le16(b, v);
	return put_field(w, field, STATE_U16, b, sizeof(b));
}

int state_put_u32(struct state_writer *w, const char *field, uint32_t v)
{
	uint8_t b[4];

	put_le32(b, v);
	return put_field(w, field, STATE_U32, b, sizeof(b));
}

int state_put_u64(struct state_writer *w, const char *field, uint64_t v)
{
	uint8_t b[8];

	put_le64(b, v);
	return put_field(w, field, STATE_U64, b, sizeof(b));
}

int state_put_bytes(struct state_writer *w, const char *field, const void *p, size_t len)
{
	return put_field(w, field, STATE_BYTES, p, len);
}

int state_record_end(struct state_writer *w)
{
	size_t body_len;
	uint8_t *p;

	if (w->error)
		return w->error;
	if (w->rec == SIZE_MAX)
		return w->error = errf(&w->err, -EINVAL, "state: record end without begin");
	body_len = w->len - (w->rec + 4);
	if (body_len > UINT32_MAX)
		return w->error = errf(&w->err, -E2BIG, "state: record of %zu bytes too large", body_len);
	put_le32(w->buf + w->rec, (uint32_t)body_len);
	put_le32(w->buf + w->rec_fields, w->nr_fields);
	p = grow(w, 4);
	if (!p)
		return w->error;
	put_le32(p, crc32_ieee(w->buf + w->rec, 4 + body_len));
	w->rec = SIZE_MAX;
	return 0;
}

const uint8_t *state_writer_data(const struct state_writer *w, size_t *len)
{
	if (w->error || w->rec != SIZE_MAX)
		return NULL;
	*len = w->len;
	return w->buf;
}

/* ---- reader ---- */

/* Every field of a record parses, exactly fills it, and matches its count. */
static int rec_check_fields(const struct state_reader *r, const struct rec_view *v, size_t off,
			    struct errbuf *err)
{
	struct field_view f;
	uint32_t n = 0;
	size_t p;
	int ret;

	if (v->nr_fields > STATE_MAX_FIELDS)
		return errf(err, -EINVAL, "state: record at offset %zu: %" PRIu32 " fields, limit %u",
			    off, v->nr_fields, STATE_MAX_FIELDS);
	for (p = v->fields; p < v->crc; p = f.next, n++) {
		ret = field_parse(r->buf, p, v->crc, &f, err);
		if (ret)
			return ret;
	}
	if (n != v->nr_fields)
		return errf(err, -EINVAL, "state: record at offset %zu: %" PRIu32 " fields announced, %" PRIu32 " found",
			    off, v->nr_fields, n);
	return 0;
}

int state_reader_init(struct state_reader *r, const void *buf, size_t len)
{
	struct rec_view v;
	uint32_t format;
	int ret;

	memset(r, 0, sizeof(*r));
	r->buf = buf;
	r->len = len;
	if (len < STATE_HDR_SIZE || memcmp(buf, STATE_MAGIC, 8))
		return errf(&r->err, -EINVAL, "state: not a microvm state stream (no %s header)", STATE_MAGIC);
	format = get_le32(r->buf + 8);
	if (format != STATE_FORMAT)
		return errf(&r->err, -EPROTONOSUPPORT,
			    "state: stream format %" PRIu32 " unsupported (this microvm reads %d)", format,
			    STATE_FORMAT);
	for (size_t off = STATE_HDR_SIZE; off < len; off = v.next) {
		ret = rec_parse(r->buf, len, off, &v, &r->err);
		if (ret)
			return ret;
		if (crc32_ieee(r->buf + off, v.crc - off) != get_le32(r->buf + v.crc))
			return errf(&r->err, -EINVAL, "state: record %.*s at offset %zu: checksum mismatch (corrupted)",
				    (int)v.name_len, (const char *)v.name, off);
		ret = rec_check_fields(r, &v, off, &r->err);
		if (ret)
			return ret;
	}
	return 0;
}

int state_record_open(struct state_reader *r, const char *name, uint32_t max_version,
		      uint32_t *version)
{
	struct rec_view v, found = { 0 };
	bool seen = false;

	r->rec_name[0] = '\0';
	r->nr_fields = 0;
	r->fields = r->fields_end = 0;
	for (size_t off = STATE_HDR_SIZE; off < r->len; off = v.next) {
		/* The stream was checked by state_reader_init(). */
		if (rec_parse(r->buf, r->len, off, &v, &r->err))
			return -EINVAL;
		if (!name_eq(v.name, v.name_len, name))
			continue;
		if (seen)
			return errf(&r->err, -EINVAL, "state: record %s appears twice", name);
		seen = true;
		found = v;
	}
	if (!seen)
		return errf(&r->err, -ENOENT, "state: no record %s", name);
	if (found.version < 1 || found.version > max_version)
		return errf(&r->err, -EPROTONOSUPPORT,
			    "state: record %s version %" PRIu32 " is unknown to this microvm (it reads versions 1..%" PRIu32 ")",
			    name, found.version, max_version);
	memcpy(r->rec_name, found.name, found.name_len);
	r->rec_name[found.name_len] = '\0';
	r->rec_version = found.version;
	r->fields = found.fields;
	r->fields_end = found.crc;
	r->nr_fields = found.nr_fields;
	*version = found.version;
	return 0;
}

static int get_field(struct state_reader *r, const char *field, uint8_t type, struct field_view *out)
{
	struct field_view f;
	bool seen = false;

	if (!r->rec_name[0])
		return errf(&r->err, -EINVAL, "state: field %s read with no record open", field);
	for (size_t p = r->fields; p < r->fields_end; p = f.next) {
		if (field_parse(r->buf, p, r->fields_end, &f, &r->err))
			return -EINVAL;
		if (!name_eq(f.name, f.name_len, field))
			continue;
		if (seen)
			return errf(&r->err, -EINVAL, "state: record %s: field %s appears twice",
				    r->rec_name, field);
		seen = true;
		*out = f;
	}
	if (!seen)
		return errf(&r->err, -ENOENT, "state: record %s v%" PRIu32 ": no field %s", r->rec_name,
			    r->rec_version, field);
	if (out->type != type)
		return errf(&r->err, -EINVAL, "state: record %s: field %s is %s, expected %s",
			    r->rec_name, field, type_name[out->type], type_name[type]);
	return 0;
}

int state_get_u8(struct state_reader *r, const char *field, uint8_t *v)
{
	struct field_view f;
	int ret = get_field(r, field, STATE_U8, &f);

	if (!ret)
		*v = f.val[0];
	return ret;
}

int state_get_u16(struct state_reader *r, const char *field, uint16_t *v)
{
	struct field_view f;
	int ret = get_field(r, field, STATE_U16, &f);

	if (!ret)
		*v = get_le16(f.val);
	return ret;
}

int state_get_u32(struct state_reader *r, const char *field, uint32_t *v)
{
	struct field_view f;
	int ret = get_field(r, field, STATE_U32, &f);

	if (!ret)
		*v = get_le32(f.val);
	return ret;
}

int state_get_u64(struct state_reader *r, const char *field, uint64_t *v)
{
	struct field_view f;
	int ret = get_field(r, field, STATE_U64, &f);

	if (!ret)
		*v = get_le64(f.val);
	return ret;
}

int state_get_blob(struct state_reader *r, const char *field, const uint8_t **p, size_t *len)
{
	struct field_view f;
	int ret = get_field(r, field, STATE_BYTES, &f);

	if (!ret) {
		*p = f.val;
		*len = f.len;
	}
	return ret;
}

int state_get_bytes(struct state_reader *r, const char *field, void *dst, size_t len)
{
	const uint8_t *p;
	size_t n;
	int ret = state_get_blob(r, field, &p, &n);

	if (ret)
		return ret;
	if (n != len)
		return errf(&r->err, -EINVAL, "state: record %s: field %s has %zu bytes, expected %zu",
			    r->rec_name, field, n, len);
	memcpy(dst, p, len);
	return 0;
}

int state_record_next(const struct state_reader *r, size_t *pos, char name[STATE_NAME_MAX + 1],
		      uint32_t *version)
{
	struct rec_view v;
	size_t off = *pos ? *pos : STATE_HDR_SIZE;

	if (off >= r->len || rec_parse(r->buf, r->len, off, &v, NULL))
		return 0;
	memcpy(name, v.name, v.name_len);
	name[v.name_len] = '\0';
	*version = v.version;
	*pos = v.next;
	return 1;
}
