/* SPDX-License-Identifier: MIT */
/* The QMP protocol engine (vmm/qmp.c): framing, negotiation, argument checks, replies, events. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/qmp.h"

static char out[1 << 20];
static size_t out_len;
static int stops;
static char last_path[64];

static void sink(void *arg, const char *line, size_t len)
{
	(void)arg;
	cr_assert(len >= 2 && line[len - 2] == '\r' && line[len - 1] == '\n', "CRLF-terminated");
	cr_assert_lt(out_len + len, sizeof(out));
	memcpy(out + out_len, line, len);
	out_len += len;
	out[out_len] = 0;
}

static void do_stop(void *ctx, json_t *args, struct qmp_reply *r)
{
	(void)ctx;
	(void)args;
	(void)r;
	stops++;
}

static void do_save(void *ctx, json_t *args, struct qmp_reply *r)
{
	(void)ctx;
	snprintf(last_path, sizeof(last_path), "%s", json_string_value(json_object_get(args, "path")));
	if (!strcmp(last_path, "/full"))
		qmp_error(r, "GenericError", "no space left on /full: free some and try again");
	else
		r->ret = json_pack("{s:s}", "path", last_path);
}

static const struct qmp_command cmds[] = {
	{ "stop", do_stop, { { NULL, QMP_STR, false } } },
	{ "snapshot-save", do_save, { { "path", QMP_STR, false }, { "paused", QMP_BOOL, true }, { NULL, QMP_STR, false } } },
	{ NULL, NULL, { { NULL, QMP_STR, false } } }
};
static const struct qmp_server srv = { cmds, NULL, "0.1.0" };

static struct qmp_conn *conn(bool negotiate)
{
	struct qmp_conn *c = qmp_conn_new(&srv, sink, NULL);

	cr_assert_not_null(c);
	out_len = 0;
	out[0] = 0;
	stops = 0;
	if (negotiate) {
		cr_assert(qmp_conn_feed(c, "{\"execute\":\"qmp_capabilities\"}", 30));
		cr_assert_str_eq(out, "{\"return\": {}}\r\n"); /* QEMU's spacing */
		out_len = 0;
		out[0] = 0;
	}
	return c;
}

static void feed(struct qmp_conn *c, const char *s)
{
	cr_assert(qmp_conn_feed(c, s, strlen(s)));
}

/* The n-th line of the output (0-based), parsed. */
static json_t *line(int n)
{
	const char *p = out;

	for (int i = 0; i < n; i++) {
		p = strstr(p, "\r\n");
		cr_assert_not_null(p, "line %d exists", n);
		p += 2;
	}
	const char *e = strstr(p, "\r\n");
	cr_assert_not_null(e);
	json_t *j = json_loadb(p, (size_t)(e - p), 0, NULL);
	cr_assert_not_null(j, "line %d is JSON: %.*s", n, (int)(e - p), p);
	return j;
}

static int nlines(void)
{
	int n = 0;

	for (const char *p = out; (p = strstr(p, "\r\n")); p += 2)
		n++;
	return n;
}

static void expect_error(int n, const char *class, const char *desc_part)
{
	json_t *j = line(n);
	json_t *e = json_object_get(j, "error");

	cr_assert_not_null(e, "line %d is an error: %s", n, out);
	cr_assert_str_eq(json_string_value(json_object_get(e, "class")), class);
	cr_assert_not_null(strstr(json_string_value(json_object_get(e, "desc")), desc_part),
			   "desc '%s' says '%s'", json_string_value(json_object_get(e, "desc")), desc_part);
	json_decref(j);
}

Test(qmp, greeting)
{
	struct qmp_conn *c = conn(false);
	json_t *g, *v;

	qmp_conn_greet(c);
	g = line(0);
	v = json_object_get(json_object_get(g, "QMP"), "version");
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(v, "qemu"), "minor")), 1);
	cr_assert_str_eq(json_string_value(json_object_get(v, "package")), "microvm 0.1.0");
	cr_assert(json_is_array(json_object_get(json_object_get(g, "QMP"), "capabilities")));
	json_decref(g);
	qmp_conn_free(c);
}

Test(qmp, negotiation_first)
{
	struct qmp_conn *c = conn(false);

	feed(c, "{\"execute\": \"stop\"}");
	expect_error(0, "CommandNotFound", "Expecting capabilities negotiation with 'qmp_capabilities'");
	cr_assert_eq(stops, 0);
	cr_assert_not(qmp_conn_ready(c));
	qmp_conn_event(c, "STOP", NULL);
	cr_assert_eq(nlines(), 1, "no events before negotiation");
	feed(c, "{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"oob\"]}}");
	expect_error(1, "GenericError", "no capabilities");
	feed(c, "{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": []}}");
	cr_assert(qmp_conn_ready(c));
	feed(c, "{\"execute\": \"qmp_capabilities\"}");
	expect_error(3, "CommandNotFound", "already complete");
	qmp_conn_free(c);
}

/* Split anywhere, several per read, ids echoed, whitespace between. */
Test(qmp, framing_and_ids)
{
	struct qmp_conn *c = conn(true);
	const char *s = " {\"execute\":\"stop\",\"id\":7}\n{\"execute\":\"stop\", \"id\": {\"a\": \"}\\\"{\"}}\r\n";
	json_t *j;

	for (size_t i = 0; s[i]; i++)
		cr_assert(qmp_conn_feed(c, s + i, 1));
	cr_assert_eq(stops, 2);
	cr_assert_eq(nlines(), 2);
	j = line(0);
	cr_assert_eq(json_integer_value(json_object_get(j, "id")), 7);
	cr_assert(json_is_object(json_object_get(j, "return")));
	json_decref(j);
	j = line(1);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "id"), "a")), "}\"{");
	json_decref(j);
	qmp_conn_free(c);
}

Test(qmp, arguments_checked)
{
	struct qmp_conn *c = conn(true);
	json_t *j;

	feed(c, "{\"execute\":\"snapshot-save\"}");
	expect_error(0, "GenericError", "Parameter 'path' is missing");
	feed(c, "{\"execute\":\"snapshot-save\",\"arguments\":{\"path\":3}}");
	expect_error(1, "GenericError", "Invalid parameter type for 'path', expected: string");
	feed(c, "{\"execute\":\"snapshot-save\",\"arguments\":{\"path\":\"/s\",\"paused\":\"yes\"}}");
	expect_error(2, "GenericError", "Invalid parameter type for 'paused', expected: boolean");
	feed(c, "{\"execute\":\"snapshot-save\",\"arguments\":{\"path\":\"/s\",\"colour\":1}}");
	expect_error(3, "GenericError", "Parameter 'colour' is unexpected");
	feed(c, "{\"execute\":\"stop\",\"arguments\":{\"now\":true}}");
	expect_error(4, "GenericError", "Parameter 'now' is unexpected");
	cr_assert_eq(stops, 0);
	cr_assert_str_eq(last_path, "");
	feed(c, "{\"execute\":\"snapshot-save\",\"arguments\":{\"path\":\"/s\",\"paused\":true}}");
	j = line(5);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "return"), "path")), "/s");
	json_decref(j);
	feed(c, "{\"execute\":\"snapshot-save\",\"arguments\":{\"path\":\"/full\"}}");
	expect_error(6, "GenericError", "no space left on /full");
	qmp_conn_free(c);
}

Test(qmp, malformed_input)
{
	struct qmp_conn *c = conn(true);

	feed(c, "[1, 2]\n");
	expect_error(0, "GenericError", "must be a JSON object");
	feed(c, "hello\n");
	expect_error(1, "GenericError", "must be a JSON object");
	feed(c, "{\"execute\": }");
	expect_error(2, "GenericError", "JSON parse error");
	feed(c, "{\"execute\": 5}");
	expect_error(3, "GenericError", "'execute' must be a string");
	feed(c, "{\"execute\": \"stop\", \"arguments\": [1]}");
	expect_error(4, "GenericError", "'arguments' must be an object");
	feed(c, "{\"arguments\": {}}");
	expect_error(5, "GenericError", "lacks member 'execute'");
	feed(c, "{\"execute\": \"stop\", \"colour\": 1}");
	expect_error(6, "GenericError", "member 'colour' is unexpected");
	feed(c, "{\"exec-oob\": \"stop\"}");
	expect_error(7, "GenericError", "out-of-band");
	feed(c, "{\"execute\": \"migrate\"}");
	expect_error(8, "CommandNotFound", "The command migrate has not been found");
	feed(c, "{\"execute\": \"stop\", \"execute\": \"stop\"}");
	expect_error(9, "GenericError", "JSON parse error");
	cr_assert_eq(stops, 0);
	/* The connection still works. */
	feed(c, "{\"execute\": \"stop\"}");
	cr_assert_eq(stops, 1);
	qmp_conn_free(c);
}

/* A value longer than QMP_MAX_INPUT: told why, then dropped. Deep nesting within it is fine. */
Test(qmp, oversized_input_drops_the_client)
{
	struct qmp_conn *c = conn(true);
	char *big = malloc(QMP_MAX_INPUT + 10);

	memset(big, '[', QMP_MAX_INPUT + 10);
	big[0] = '{';
	cr_assert_not(qmp_conn_feed(c, big, QMP_MAX_INPUT + 10));
	expect_error(0, "GenericError", "longer than 65536 bytes");
	free(big);
	qmp_conn_free(c);
}

Test(qmp, builtin_queries)
{
	struct qmp_conn *c = conn(true);
	json_t *j, *list;
	bool saw_save = false;
	size_t i;
	json_t *v;

	feed(c, "{\"execute\": \"query-version\"}");
	j = line(0);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(json_object_get(j, "return"), "qemu"),
							 "micro")), 0);
	json_decref(j);
	feed(c, "{\"execute\": \"query-commands\"}");
	j = line(1);
	list = json_object_get(j, "return");
	json_array_foreach(list, i, v)
		saw_save |= !strcmp(json_string_value(json_object_get(v, "name")), "snapshot-save");
	cr_assert(saw_save);
	cr_assert_geq(json_array_size(list), 5);
	json_decref(j);
	feed(c, "{\"execute\": \"query-version\", \"arguments\": {\"x\": 1}}");
	expect_error(2, "GenericError", "Parameter 'x' is unexpected");
	qmp_conn_free(c);
}

Test(qmp, events)
{
	struct qmp_conn *c = conn(true);
	json_t *j;

	qmp_conn_event(c, "GUEST_PANICKED", json_pack("{s:s}", "action", "pause"));
	qmp_conn_event(c, "STOP", NULL);
	j = line(0);
	cr_assert_str_eq(json_string_value(json_object_get(j, "event")), "GUEST_PANICKED");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "data"), "action")), "pause");
	cr_assert(json_is_integer(json_object_get(json_object_get(j, "timestamp"), "seconds")));
	cr_assert(json_is_integer(json_object_get(json_object_get(j, "timestamp"), "microseconds")));
	json_decref(j);
	j = line(1);
	cr_assert_null(json_object_get(j, "data"));
	json_decref(j);
	qmp_conn_free(c);
}

/* Deep nesting that does end: jansson refuses past its depth limit; no stack overflow. */
Test(qmp, deep_nesting_refused)
{
	struct qmp_conn *c = conn(true);
	size_t d = 20000, n = 0;
	char *s = malloc(2 * d + 16);

	n += (size_t)sprintf(s, "{\"a\":");
	memset(s + n, '[', d);
	n += d;
	memset(s + n, ']', d);
	n += d;
	s[n++] = '}';
	cr_assert(qmp_conn_feed(c, s, n));
	expect_error(0, "GenericError", "JSON parse error");
	free(s);
	feed(c, "{\"execute\": \"stop\"}");
	cr_assert_eq(stops, 1);
	qmp_conn_free(c);
}

/*
 * Hostile byte streams: random mixes of JSON punctuation, strings, escapes,
 * valid commands and noise, fed in random pieces. Nothing may crash (ASan,
 * UBSan watch), every line microvm writes must be one JSON object, and the
 * connection must still answer a clean command afterwards (unless it was
 * dropped for an over-long value, which it says first).
 */
Test(qmp, random_streams_never_break_the_connection)
{
	static const char *const atoms[] = {
		"{", "}", "[", "]", "\"", "\\", ":", ",", " ", "\n", "\r\n", "\"\\u00", "\\\"", "x",
		"\"execute\"", "\"arguments\"", "\"id\"", "\"stop\"", "\"snapshot-save\"", "\"path\"",
		"1e999", "-0", "null", "true", "\x01", "\xff", "\xc3\x28",
		"{\"execute\":\"stop\"}", "{\"execute\":\"snapshot-save\",\"arguments\":{\"path\":\"/s\"}}",
	};
	char stream[4096];
	unsigned seed = 12345;

	for (int iter = 0; iter < 3000; iter++) {
		struct qmp_conn *c = conn(iter % 4 != 0);
		size_t len = 0, pos = 0;
		bool alive = true;

		while (len < sizeof(stream) - 64) {
			const char *a = atoms[rand_r(&seed) % (sizeof(atoms) / sizeof(atoms[0]))];
			size_t n = strlen(a);

			memcpy(stream + len, a, n);
			len += n;
			if (rand_r(&seed) % 64 == 0)
				break;
		}
		while (pos < len && alive) {
			size_t piece = 1 + (size_t)rand_r(&seed) % 97;

			if (piece > len - pos)
				piece = len - pos;
			alive = qmp_conn_feed(c, stream + pos, piece);
			pos += piece;
		}
		for (int i = 0, n = nlines(); i < n; i++) {
			json_t *j = line(i);

			cr_assert(json_is_object(j), "iteration %d: line %d is an object", iter, i);
			json_decref(j);
		}
		if (alive) {
			/* Close whatever value was left open, then a clean command must be answered. */
			out_len = 0;
			out[0] = 0;
			alive = qmp_conn_feed(c, "\"}]}]}]}\n", 9);
			if (alive) {
				out_len = 0;
				out[0] = 0;
				feed(c, "\n{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"stop\",\"id\":\"z\"}");
			}
			if (alive && nlines() == 0) {
				/* Still inside a value deeper than we closed: it may not wait for ever. */
				static char spaces[QMP_MAX_INPUT + 16];

				memset(spaces, ' ', sizeof(spaces));
				alive = qmp_conn_feed(c, spaces, sizeof(spaces));
				cr_assert(!alive, "iteration %d: an endless value is dropped", iter);
			}
			cr_assert(nlines() >= 1, "iteration %d: answered or told why it was dropped", iter);
		}
		qmp_conn_free(c);
	}
}
