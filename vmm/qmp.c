/* SPDX-License-Identifier: MIT */
#include "vmm/qmp.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

struct qmp_conn {
	const struct qmp_server *srv;
	qmp_write_fn write;
	void *arg;
	bool ready; /* qmp_capabilities done */
	char *buf;  /* QMP_MAX_INPUT bytes: what came and is not answered yet */
	size_t len;
	/* The scanner, over buf[0..scan): where the current value's end is found. */
	size_t scan;
	unsigned depth;
	bool in_str, esc;
};

void qmp_error(struct qmp_reply *r, const char *class, const char *fmt, ...)
{
	va_list ap;

	r->class = class;
	va_start(ap, fmt);
	vsnprintf(r->desc, sizeof(r->desc), fmt, ap);
	va_end(ap);
}

struct qmp_conn *qmp_conn_new(const struct qmp_server *srv, qmp_write_fn write, void *arg)
{
	struct qmp_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->buf = malloc(QMP_MAX_INPUT);
	if (!c->buf) {
		free(c);
		return NULL;
	}
	c->srv = srv;
	c->write = write;
	c->arg = arg;
	return c;
}

void qmp_conn_free(struct qmp_conn *c)
{
	if (c) {
		free(c->buf);
		free(c);
	}
}

bool qmp_conn_ready(const struct qmp_conn *c)
{
	return c->ready;
}

/* Send obj (its reference is taken) as one line. */
static void send_json(struct qmp_conn *c, json_t *obj)
{
	char *s = obj ? json_dumps(obj, 0) : NULL; /* QEMU's spacing: {"return": {}} */

	json_decref(obj);
	if (!s) {
		static const char oom[] =
			"{\"error\": {\"class\": \"GenericError\", \"desc\": \"microvm is out of memory\"}}\r\n";
		c->write(c->arg, oom, sizeof(oom) - 1);
		return;
	}
	size_t n = strlen(s);
	char *line = realloc(s, n + 3);

	if (!line) {
		free(s);
		return;
	}
	memcpy(line + n, "\r\n", 3);
	c->write(c->arg, line, n + 2);
	free(line);
}

/* "1.2.3" -> {"major": 1, "minor": 2, "micro": 3} */
static json_t *version_triple(const char *v)
{
	int ma = 0, mi = 0, mc = 0;

	sscanf(v ? v : "0.0.0", "%d.%d.%d", &ma, &mi, &mc);
	return json_pack("{s:i, s:i, s:i}", "major", ma, "minor", mi, "micro", mc);
}

static json_t *version_info(const struct qmp_conn *c)
{
	char pkg[64];

	snprintf(pkg, sizeof(pkg), "microvm %s", c->srv->version ? c->srv->version : "0.0.0");
	return json_pack("{s:o, s:s}", "qemu", version_triple(c->srv->version), "package", pkg);
}

void qmp_conn_greet(struct qmp_conn *c)
{
	send_json(c, json_pack("{s:{s:o, s:[]}}", "QMP", "version", version_info(c), "capabilities"));
}

void qmp_conn_event(struct qmp_conn *c, const char *name, json_t *data)
{
	struct timeval tv;
	json_t *ev;

	if (!c->ready) {
		json_decref(data);
		return;
	}
	gettimeofday(&tv, NULL);
	ev = json_pack("{s:s, s:{s:I, s:I}}", "event", name, "timestamp", "seconds",
		       (json_int_t)tv.tv_sec, "microseconds", (json_int_t)tv.tv_usec);
	if (ev && data)
		json_object_set_new(ev, "data", data);
	else
		json_decref(data);
	send_json(c, ev);
}

static const char *type_name(enum qmp_type t)
{
	return t == QMP_STR ? "string" : t == QMP_BOOL ? "boolean" : "integer";
}

static bool type_ok(enum qmp_type t, const json_t *v)
{
	return t == QMP_STR ? json_is_string(v) : t == QMP_BOOL ? json_is_boolean(v) : json_is_integer(v);
}

static const struct qmp_command *find(const struct qmp_server *srv, const char *name)
{
	for (const struct qmp_command *cmd = srv->cmds; cmd && cmd->name; cmd++)
		if (!strcmp(cmd->name, name))
			return cmd;
	return NULL;
}

/* Unexpected, missing or wrong-typed arguments: false with the error set. */
static bool args_ok(const struct qmp_command *cmd, json_t *args, struct qmp_reply *r)
{
	const char *key;
	json_t *v;

	json_object_foreach(args, key, v) {
		const struct qmp_arg *a = NULL;

		for (unsigned i = 0; i < QMP_MAX_ARGS && cmd->args[i].name; i++)
			if (!strcmp(cmd->args[i].name, key))
				a = &cmd->args[i];
		if (!a) {
			qmp_error(r, "GenericError", "Parameter '%.64s' is unexpected", key);
			return false;
		}
		if (!type_ok(a->type, v)) {
			qmp_error(r, "GenericError", "Invalid parameter type for '%s', expected: %s", a->name,
				  type_name(a->type));
			return false;
		}
	}
	for (unsigned i = 0; i < QMP_MAX_ARGS && cmd->args[i].name; i++)
		if (!cmd->args[i].optional && !json_object_get(args, cmd->args[i].name)) {
			qmp_error(r, "GenericError", "Parameter '%s' is missing", cmd->args[i].name);
			return false;
		}
	return true;
}

static json_t *list_commands(const struct qmp_server *srv)
{
	static const char *const builtin[] = { "qmp_capabilities", "query-version", "query-commands" };
	json_t *list = json_array();

	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
		json_array_append_new(list, json_pack("{s:s}", "name", builtin[i]));
	for (const struct qmp_command *cmd = srv->cmds; cmd && cmd->name; cmd++)
		json_array_append_new(list, json_pack("{s:s}", "name", cmd->name));
	return list;
}

/* Run one parsed command object and fill r. */
static void run(struct qmp_conn *c, json_t *req, struct qmp_reply *r)
{
	json_t *exec = json_object_get(req, "execute"), *args = json_object_get(req, "arguments");
	const struct qmp_command *cmd;
	const char *key, *name;
	json_t *v, *empty = NULL;

	json_object_foreach(req, key, v) {
		if (strcmp(key, "execute") && strcmp(key, "arguments") && strcmp(key, "id")) {
			if (!strcmp(key, "exec-oob"))
				qmp_error(r, "GenericError", "out-of-band execution is not supported; use 'execute'");
			else
				qmp_error(r, "GenericError", "QMP input member '%.64s' is unexpected", key);
			return;
		}
	}
	if (!exec) {
		qmp_error(r, "GenericError", "QMP input lacks member 'execute'");
		return;
	}
	if (!json_is_string(exec)) {
		qmp_error(r, "GenericError", "QMP input member 'execute' must be a string");
		return;
	}
	if (args && !json_is_object(args)) {
		qmp_error(r, "GenericError", "QMP input member 'arguments' must be an object");
		return;
	}
	name = json_string_value(exec);
	if (!strcmp(name, "qmp_capabilities")) {
		json_t *en = args ? json_object_get(args, "enable") : NULL;

		if (c->ready) {
			qmp_error(r, "CommandNotFound",
				  "Capabilities negotiation is already complete, command ignored");
		} else if (args && (json_object_size(args) > (en ? 1u : 0u) ||
				    (en && (!json_is_array(en) || json_array_size(en))))) {
			qmp_error(r, "GenericError",
				  "qmp_capabilities: microvm offers no capabilities; send it without arguments");
		} else {
			c->ready = true;
		}
		return;
	}
	if (!c->ready) {
		qmp_error(r, "CommandNotFound", "Expecting capabilities negotiation with 'qmp_capabilities'");
		return;
	}
	if (!args)
		args = empty = json_object();
	if (!strcmp(name, "query-version") || !strcmp(name, "query-commands")) {
		if (json_object_size(args)) {
			json_object_foreach(args, key, v) {
				qmp_error(r, "GenericError", "Parameter '%.64s' is unexpected", key);
				break;
			}
		} else {
			r->ret = strcmp(name, "query-version") ? list_commands(c->srv) : version_info(c);
		}
	} else if (!(cmd = find(c->srv, name))) {
		qmp_error(r, "CommandNotFound", "The command %.64s has not been found (query-commands lists them)",
			  name);
	} else if (args_ok(cmd, args, r)) {
		cmd->fn(c->srv->ctx, args, r);
	}
	json_decref(empty);
}

static void answer(struct qmp_conn *c, json_t *req, struct qmp_reply *r)
{
	json_t *id = req ? json_object_get(req, "id") : NULL, *out;

	if (r->class)
		out = json_pack("{s:{s:s, s:s}}", "error", "class", r->class, "desc", r->desc);
	else
		out = json_pack("{s:o}", "return", r->ret ? r->ret : json_object());
	r->ret = NULL;
	if (out && id)
		json_object_set(out, "id", id);
	send_json(c, out);
}

/* Drop buf[0..n) and restart the scanner. */
static void consume(struct qmp_conn *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
	c->scan = 0;
	c->depth = 0;
	c->in_str = c->esc = false;
}

/* Something that is not a JSON object: say so, and skip to the next line. */
static void skip_garbage(struct qmp_conn *c, const char *why)
{
	struct qmp_reply r = { 0 };
	char *nl = memchr(c->buf, '\n', c->len);

	qmp_error(&r, "GenericError", "%s", why);
	answer(c, NULL, &r);
	consume(c, nl ? (size_t)(nl - c->buf) + 1 : c->len);
}

/*
 * The end of the object that starts at buf[0] ('{'), or 0 when it has not
 * come yet. The scan resumes where it stopped, so input is looked at once.
 */
static size_t object_end(struct qmp_conn *c)
{
	for (; c->scan < c->len; c->scan++) {
		char ch = c->buf[c->scan];

		if (c->in_str) {
			if (c->esc)
				c->esc = false;
			else if (ch == '\\')
				c->esc = true;
			else if (ch == '"')
				c->in_str = false;
		} else if (ch == '"') {
			c->in_str = true;
		} else if (ch == '{' || ch == '[') {
			c->depth++;
		} else if (ch == '}' || ch == ']') {
			if (c->depth && --c->depth == 0)
				return ++c->scan;
		}
	}
	return 0;
}

bool qmp_conn_feed(struct qmp_conn *c, const char *buf, size_t n)
{
	while (n) {
		size_t take = QMP_MAX_INPUT - c->len < n ? QMP_MAX_INPUT - c->len : n;

		memcpy(c->buf + c->len, buf, take);
		c->len += take;
		buf += take;
		n -= take;
		for (;;) {
			size_t skip = 0, end;
			json_error_t jerr;
			json_t *req;

			while (skip < c->len && strchr(" \t\r\n", c->buf[skip]))
				skip++;
			if (skip)
				consume(c, skip);
			if (!c->len)
				break;
			if (c->buf[0] != '{') {
				skip_garbage(c, "QMP input must be a JSON object, as {\"execute\": \"query-status\"}");
				continue;
			}
			end = object_end(c);
			if (!end) {
				if (c->len < QMP_MAX_INPUT)
					break;
				struct qmp_reply r = { 0 };

				qmp_error(&r, "GenericError",
					  "QMP input longer than %u bytes without its end: the connection is closed",
					  QMP_MAX_INPUT);
				answer(c, NULL, &r);
				consume(c, c->len);
				return false;
			}
			req = json_loadb(c->buf, end, JSON_REJECT_DUPLICATES, &jerr);
			if (!req) {
				struct qmp_reply r = { 0 };

				qmp_error(&r, "GenericError", "JSON parse error: %s (column %d)", jerr.text,
					  jerr.column);
				answer(c, NULL, &r);
			} else {
				struct qmp_reply r = { 0 };

				run(c, req, &r);
				answer(c, req, &r);
				json_decref(req);
			}
			consume(c, end);
		}
	}
	return true;
}
