/* SPDX-License-Identifier: MIT */
/*
 * The state file: a flattened device tree (devicetree.org spec, DTB
 * format) written and read with libfdt, so `fdtdump` and `dtc -I dtb -O dts`
 * show it. Each device saves its guest-visible state as a named, versioned
 * node of named properties, never as a C struct (docs/snapshot.md "State
 * file"):
 *
 *   / { compatible = "microvm,state"; format = <2>; crc32 = <...>;
 *       devices { serial { version = <1>; ier = <0x0>; rx = [...]; ... }; ... };
 *   };
 *
 * Encoding: u8, u16, u32 and bool (0/1) as one big-endian cell, u64 as two
 * (fdt64), bytes raw, strings NUL-terminated. A reader checks that a
 * property has exactly the size its type encodes, so a short or long value
 * is refused, not misread.
 *
 * A device's save/load (struct device_ops) look like:
 *
 *   state_record_begin(w, "vmcoreinfo", 1);
 *   state_put_u64(w, "addr", s->addr);
 *   return state_record_end(w);        (errors are sticky: the last call reports)
 *
 *   uint32_t v;
 *   int ret = state_record_open(r, "vmcoreinfo", 1, &v);
 *   return ret ? ret : state_get_u64(r, "addr", &s->addr);
 *
 * Loads read into temporaries, check every value, and only then change the
 * device: a refused record leaves the device as it was.
 */
#ifndef MICROVM_STATE_H
#define MICROVM_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/err.h"

#define STATE_COMPATIBLE "microvm,state"
/* 1 was the retired "MVMSTATE" stream; bump only on an incompatible change. */
#define STATE_FORMAT 2
#define STATE_NAME_MAX 31	  /* devicetree spec: node and property names, 1..31 chars */
#define STATE_DEPTH_MAX 8	  /* nodes nested below the root */
#define STATE_SIZE_MAX (1u << 30) /* bounds a file and the writer's buffer */

/* Names used so far under one open node (properties and children): NUL-terminated, back to back. */
struct state_names {
	char *buf;
	size_t len, cap;
	uint32_t *slot; /* hash set: offset in buf + 1, 0 when empty; mask + 1 slots */
	uint32_t mask, count;
	bool has_child; /* a child node was begun: no more properties here (FDT order) */
};

/*
 * Builds the tree with libfdt's sequential-write functions in a buffer that
 * grows (fdt_resize) when libfdt runs out of space. Errors are sticky: every
 * call after a failure returns it, and state_writer_finish() returns NULL.
 */
struct state_writer {
	void *fdt;
	size_t cap;
	unsigned depth; /* nodes open below the root */
	struct state_names names[STATE_DEPTH_MAX + 1]; /* [0] is the root */
	bool finished;
	int error;
	struct errbuf err;
};

/* Start the blob and the root node (compatible, format, crc32 placeholder). */
void state_writer_init(struct state_writer *w);
void state_writer_free(struct state_writer *w);

/* A plain node ("header", "vcpus", "cpu@0", "devices", ...); names unique among siblings (-EEXIST). */
int state_node_begin(struct state_writer *w, const char *name);
int state_node_end(struct state_writer *w);

/* A node with a `version` property (>= 1): one device's or one module's state. */
int state_record_begin(struct state_writer *w, const char *name, uint32_t version);
int state_record_end(struct state_writer *w);

/* Properties of the open node; names unique in it, before any child node. */
int state_put_u8(struct state_writer *w, const char *field, uint8_t v);
int state_put_u16(struct state_writer *w, const char *field, uint16_t v);
int state_put_u32(struct state_writer *w, const char *field, uint32_t v);
int state_put_u64(struct state_writer *w, const char *field, uint64_t v);
int state_put_bool(struct state_writer *w, const char *field, bool v);
int state_put_bytes(struct state_writer *w, const char *field, const void *p, size_t len);
int state_put_string(struct state_writer *w, const char *field, const char *s);

/*
 * Close the root and seal the blob with its crc32; the result stays owned by
 * w (valid until state_writer_free). NULL with w->err if any call failed or
 * a node is still open.
 */
const uint8_t *state_writer_finish(struct state_writer *w, size_t *len);

/*
 * Reads a blob in place; buf must be 8-byte aligned (libfdt's rule) and
 * outlive the reader. The reader has a current parent node (the root at
 * first, moved by state_node_enter/leave) and a selected node the gets
 * read from: the parent itself after enter/leave, or the record
 * state_record_open() picked among its children.
 */
/*
 * The crc32 (zlib's, IEEE 802.3) of a state file of len bytes whose crc32
 * property's 4-byte value is at crc_off, taken as zero: what the writer
 * stores and the reader compares.
 */
uint32_t state_blob_crc(const uint8_t *blob, size_t len, size_t crc_off);

struct state_reader {
	const void *fdt;
	size_t len;
	int stack[STATE_DEPTH_MAX + 1]; /* offsets of the entered nodes; [0] is the root */
	unsigned depth;
	int sel; /* node the gets read, or -1 */
	char sel_name[STATE_NAME_MAX + 2];
	int sel_dup; /* whether two of sel's properties share a name: -1 not checked yet, 0, 1 */
	char sel_dup_name[STATE_NAME_MAX + 2]; /* such a name, for the message */
	int next_prop; /* where the next property search in sel starts, or -1: the first */
	struct errbuf err; /* why the last failing call failed: one line */
};

/*
 * Check the blob before anything is read from it: size and FDT header,
 * fdt_check_full(), compatible, format (a newer one is refused by name),
 * then the crc32. 0, or -EINVAL / -EPROTONOSUPPORT with r->err set.
 */
int state_reader_init(struct state_reader *r, const void *buf, size_t len);

/* Make the child name of the current parent the parent (and the selected node); -ENOENT if absent. */
int state_node_enter(struct state_reader *r, const char *name);
/* Back to the parent's parent (no-op at the root); it becomes the selected node. */
void state_node_leave(struct state_reader *r);

/*
 * Select the child record name of the current parent. Versions
 * 1..max_version are accepted and *version tells which one it is; -ENOENT if
 * absent, -EPROTONOSUPPORT for a version this build does not know, -EINVAL
 * if the name appears twice or the version is malformed.
 */
int state_record_open(struct state_reader *r, const char *name, uint32_t max_version,
		      uint32_t *version);

/*
 * Properties of the selected node, by name: -ENOENT if absent, -EINVAL if
 * the size is not the type's (or a u8/u16/bool value out of range, a string
 * not NUL-terminated). Unknown properties are ignored, so a newer writer may
 * add fields.
 */
int state_get_u8(struct state_reader *r, const char *field, uint8_t *v);
int state_get_u16(struct state_reader *r, const char *field, uint16_t *v);
int state_get_u32(struct state_reader *r, const char *field, uint32_t *v);
int state_get_u64(struct state_reader *r, const char *field, uint64_t *v);
int state_get_bool(struct state_reader *r, const char *field, bool *v);
/* Exactly len bytes. */
int state_get_bytes(struct state_reader *r, const char *field, void *dst, size_t len);
/* Any length, pointing into the blob. */
int state_get_blob(struct state_reader *r, const char *field, const uint8_t **p, size_t *len);
/* One NUL-terminated string, pointing into the blob. */
int state_get_string(struct state_reader *r, const char *field, const char **s);

/*
 * Walk the children of the current parent: start with *iter = 0; 1 and the
 * child's name (inside the blob) while there is one, 0 at the end.
 */
int state_child_next(const struct state_reader *r, int *iter, const char **name);

/* Whether name is a node name the writer accepts (so it is safe to print). */
bool state_node_name_ok(const char *name);
/* Whether name is a property name the writer accepts (so it is safe to print). */
bool state_prop_name_ok(const char *name);

/* For loads: refuse a value, -EINVAL with "state: record NAME: <message>". */
int state_invalid(struct state_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
