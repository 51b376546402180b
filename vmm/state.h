/* SPDX-License-Identifier: MIT */
/*
 * Named, versioned state records: how devices (and later snapshots) save
 * guest-visible state without ever putting a C struct on disk. A stream is
 * self-describing; every field carries its name, type and length, so a
 * reader finds fields by name, skips ones it does not know, and refuses a
 * record version it does not know with a message saying so.
 *
 * Wire format (all integers little-endian; docs/dump.md "State records"):
 *
 *   stream := "MVMSTATE" | le32 format (1) | record*
 *   record := le32 body_len | body | le32 crc32 (IEEE, over body_len and body)
 *   body   := u8 name_len | name | le32 version (>= 1) | le32 nr_fields | field*
 *   field  := u8 type | u8 name_len | name | le32 len | value[len]
 *   type   := 1 u8, 2 u16, 3 u32, 4 u64 (len 1, 2, 4, 8), 5 bytes (any len)
 *   name   := 1..63 bytes of [A-Za-z0-9_.-]
 *
 * A device's save/load (struct device_ops) look like:
 *
 *   state_record_begin(w, "vmcoreinfo", 1);
 *   state_put_u64(w, "addr", s->addr);
 *   return state_record_end(w);
 *
 *   uint32_t v;
 *   int ret = state_record_open(r, "vmcoreinfo", 1, &v);
 *   return ret ? ret : state_get_u64(r, "addr", &s->addr);
 */
#ifndef MICROVM_STATE_H
#define MICROVM_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/err.h"

#define STATE_MAGIC "MVMSTATE"
#define STATE_FORMAT 1
#define STATE_NAME_MAX 63
#define STATE_MAX_FIELDS 65536 /* per record: bounds a hostile file's lookups */

enum state_type {
	STATE_U8 = 1,
	STATE_U16 = 2,
	STATE_U32 = 3,
	STATE_U64 = 4,
	STATE_BYTES = 5,
};

/* Appends records to a growing buffer. Errors are sticky: check the last call or state_writer_data(). */
struct state_writer {
	uint8_t *buf;
	size_t len, cap;
	size_t rec;	    /* offset of the open record's body_len, or SIZE_MAX */
	size_t rec_fields;  /* offset of its nr_fields */
	uint32_t nr_fields;
	int error;
	struct errbuf err;
};

void state_writer_init(struct state_writer *w);
void state_writer_free(struct state_writer *w);

/* Start a record; names are unique in a stream (-EEXIST otherwise). */
int state_record_begin(struct state_writer *w, const char *name, uint32_t version);
int state_put_u8(struct state_writer *w, const char *field, uint8_t v);
int state_put_u16(struct state_writer *w, const char *field, uint16_t v);
int state_put_u32(struct state_writer *w, const char *field, uint32_t v);
int state_put_u64(struct state_writer *w, const char *field, uint64_t v);
int state_put_bytes(struct state_writer *w, const char *field, const void *p, size_t len);
/* Close the record: fix up its length and field count, append its checksum. */
int state_record_end(struct state_writer *w);

/* The finished stream, or NULL (with w->err) if any call failed or a record is still open. */
const uint8_t *state_writer_data(const struct state_writer *w, size_t *len);

/* Reads a stream in place; buf must outlive the reader. */
struct state_reader {
	const uint8_t *buf;
	size_t len;
	/* The record state_record_open() selected. */
	char rec_name[STATE_NAME_MAX + 1];
	uint32_t rec_version;
	size_t fields, fields_end; /* offsets of its fields */
	uint32_t nr_fields;
	struct errbuf err; /* why the last failing call failed */
};

/*
 * Check the whole stream: magic, format, and every record's lengths, names,
 * types and checksum. 0, or -EINVAL / -EPROTONOSUPPORT with r->err set.
 */
int state_reader_init(struct state_reader *r, const void *buf, size_t len);

/*
 * Select the record called name. Versions 1..max_version are accepted and
 * *version tells which one it is; -ENOENT if absent, -EPROTONOSUPPORT for a
 * version this build does not know, -EINVAL if the name appears twice.
 */
int state_record_open(struct state_reader *r, const char *name, uint32_t max_version,
		      uint32_t *version);

/* Fields of the open record, by name; the type (and for bytes the length) must match. */
int state_get_u8(struct state_reader *r, const char *field, uint8_t *v);
int state_get_u16(struct state_reader *r, const char *field, uint16_t *v);
int state_get_u32(struct state_reader *r, const char *field, uint32_t *v);
int state_get_u64(struct state_reader *r, const char *field, uint64_t *v);
int state_get_bytes(struct state_reader *r, const char *field, void *dst, size_t len);
/* A bytes field of any length, pointing into the stream. */
int state_get_blob(struct state_reader *r, const char *field, const uint8_t **p, size_t *len);

/*
 * Walk the records: start with *pos = 0; 1 and the record's name/version
 * while there is one, 0 at the end. For listings (inspect, debugging).
 */
int state_record_next(const struct state_reader *r, size_t *pos, char name[STATE_NAME_MAX + 1],
		      uint32_t *version);

#endif
