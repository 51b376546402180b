/* SPDX-License-Identifier: MIT */
/*
 * The QMP protocol engine (docs/qmp.md): QEMU's machine protocol, the subset
 * microvm speaks, without any I/O. A connection is fed the bytes a client
 * sent, in pieces of any size; it answers through a write callback with
 * complete JSON lines: the greeting, one reply per command ({"return": ...}
 * or {"error": {"class", "desc"}}, with the client's "id" echoed), and the
 * events the VM posts. Commands reach the VM through struct qmp_ops; their
 * arguments are checked against a table first (missing, unexpected,
 * wrong-typed), so a handler sees only what it declared.
 *
 * JSON is read and written by jansson (Debian's libjansson): docs/qmp.md
 * says why. Input is hostile: a value is parsed only when complete, at most
 * QMP_MAX_INPUT bytes may wait for its end, and a value that is not a
 * command object gets an error reply, never a crash or a stall.
 */
#ifndef MICROVM_QMP_H
#define MICROVM_QMP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Bytes a client may send for one command before its end (64 KiB is plenty for QMP). */
#define QMP_MAX_INPUT (64u * 1024)

struct qmp_conn;

/* One command's reply: a result (any JSON, NULL for {}) or an error. */
struct qmp_reply {
	json_t *ret;	    /* owned by the reply; NULL: {"return": {}} */
	const char *class;  /* error: "GenericError", "CommandNotFound", ...; NULL: success */
	char desc[256];	    /* error: what went wrong and what to do */
};

/* A handler: args is the checked "arguments" object (never NULL). */
typedef void (*qmp_handler)(void *ctx, json_t *args, struct qmp_reply *r);

/* Argument types a command declares. */
enum qmp_type { QMP_STR, QMP_BOOL, QMP_INT };

struct qmp_arg {
	const char *name;
	enum qmp_type type;
	bool optional;
};

#define QMP_MAX_ARGS 6

struct qmp_command {
	const char *name;
	qmp_handler fn;
	struct qmp_arg args[QMP_MAX_ARGS]; /* ends at the first NULL name */
};

struct qmp_server {
	const struct qmp_command *cmds; /* ends at the first NULL name */
	void *ctx;			/* passed to each handler */
	const char *version;		/* "MAJOR.MINOR.MICRO" for the greeting and query-version */
};

/* Where a connection's output goes: one complete line, newline included. */
typedef void (*qmp_write_fn)(void *arg, const char *line, size_t len);

struct qmp_conn *qmp_conn_new(const struct qmp_server *srv, qmp_write_fn write, void *arg);
void qmp_conn_free(struct qmp_conn *c);

/* Write the greeting (once, when the client connects). */
void qmp_conn_greet(struct qmp_conn *c);

/*
 * Take n more bytes from the client: every complete value is answered, in
 * order; an incomplete one waits for more. Returns false when the client
 * must be dropped (it sent more than QMP_MAX_INPUT bytes of one value; it was
 * told so first).
 */
bool qmp_conn_feed(struct qmp_conn *c, const char *buf, size_t n);

/* Whether the client has done qmp_capabilities (events go only to those). */
bool qmp_conn_ready(const struct qmp_conn *c);

/* Send an event (data may be NULL; its reference is taken) if the client is ready. */
void qmp_conn_event(struct qmp_conn *c, const char *name, json_t *data);

/* Set an error reply. */
void qmp_error(struct qmp_reply *r, const char *class, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
