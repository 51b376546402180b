/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the QMP reader (vmm/qmp.c) with the control socket's own
 * command table (vmm/api_cmds.c): the same names and argument
 * declarations, the handlers replaced by a checker, so the engine runs
 * exactly as behind --api-sock without a VM behind it.
 *
 * Input: byte 0 seeds where the stream is cut into pieces (1..97 bytes, as a
 * socket may deliver them); the rest is what the client sends.
 * What must hold after every input:
 *  - every line written is one JSON object ending in CRLF;
 *  - a handler sees only the arguments its command declared, with the
 *    declared types, and every mandatory one;
 *  - a connection that was not dropped still answers a clean command once
 *    whatever value was left open is closed (or drops an endless value).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "vmm/api_cmds.h"
#include "vmm/qmp.h"

#define FUZZ_MAX_CMDS 16

static struct qmp_command cmds[FUZZ_MAX_CMDS];
static struct qmp_server srv;
static size_t lines;
static int calls;

#define fail(what) FUZZ_CHECK(0, "%s", what)

static void sink(void *arg, const char *line, size_t len)
{
	json_error_t e;
	json_t *j;

	(void)arg;
	if (len < 2 || line[len - 2] != '\r' || line[len - 1] != '\n')
		fail("a line not ending in CRLF");
	if (memchr(line, '\n', len - 1))
		fail("a newline inside a line");
	j = json_loadb(line, len, 0, &e);
	if (!json_is_object(j))
		fail("a line that is not one JSON object");
	json_decref(j);
	lines++;
}

static bool type_ok(json_t *v, enum qmp_type t)
{
	switch (t) {
	case QMP_STR:
		return json_is_string(v);
	case QMP_BOOL:
		return json_is_boolean(v);
	case QMP_INT:
		return json_is_integer(v);
	}
	return false;
}

/* What every handler checks: the engine let through only what command k declared. */
static void check_args(size_t k, json_t *args, struct qmp_reply *r)
{
	const struct qmp_command *c = &cmds[k];
	const char *key;
	json_t *v;

	calls++;
	if (!json_is_object(args))
		fail("handler called without an arguments object");
	json_object_foreach (args, key, v) {
		bool declared = false;

		for (int i = 0; i < QMP_MAX_ARGS && c->args[i].name; i++)
			if (!strcmp(c->args[i].name, key))
				declared = type_ok(v, c->args[i].type);
		if (!declared)
			fail("a handler saw an undeclared or wrong-typed argument");
	}
	for (int i = 0; i < QMP_MAX_ARGS && c->args[i].name; i++)
		if (!c->args[i].optional && !json_object_get(args, c->args[i].name))
			fail("a handler ran without a mandatory argument");
	r->ret = json_pack("{s:i}", "calls", calls);
}

/* One handler per table slot, so each knows its command. */
#define HANDLER(k) \
	static void handler_##k(void *ctx, json_t *args, struct qmp_reply *r) \
	{                                                                     \
		(void)ctx;                                                    \
		check_args(k, args, r);                                       \
	}
HANDLER(0) HANDLER(1) HANDLER(2) HANDLER(3) HANDLER(4) HANDLER(5) HANDLER(6) HANDLER(7)
HANDLER(8) HANDLER(9) HANDLER(10) HANDLER(11) HANDLER(12) HANDLER(13) HANDLER(14) HANDLER(15)
static const qmp_handler handlers[FUZZ_MAX_CMDS] = {
	handler_0, handler_1, handler_2,  handler_3,  handler_4,  handler_5,  handler_6,  handler_7,
	handler_8, handler_9, handler_10, handler_11, handler_12, handler_13, handler_14, handler_15,
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t n = 0;

	(void)argc;
	(void)argv;
	for (const struct qmp_command *c = api_commands; c->name; c++, n++) {
		if (n + 1 >= FUZZ_MAX_CMDS)
			fail("api_commands outgrew FUZZ_MAX_CMDS");
		cmds[n] = *c;
		cmds[n].fn = handlers[n];
	}
	srv.cmds = cmds;
	srv.version = "0.0.0";
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char spaces[QMP_MAX_INPUT + 16];
	struct qmp_conn *c;
	unsigned seed;
	size_t pos = 1;
	bool alive = true;

	if (!srv.cmds)
		LLVMFuzzerInitialize(NULL, NULL);
	if (size < 1)
		return 0;
	seed = data[0];
	c = qmp_conn_new(&srv, sink, NULL);
	if (!c)
		fail("no connection");
	qmp_conn_greet(c);
	while (pos < size && alive) {
		size_t piece = 1 + (size_t)rand_r(&seed) % 97;

		if (piece > size - pos)
			piece = size - pos;
		alive = qmp_conn_feed(c, (const char *)data + pos, piece);
		pos += piece;
	}
	if (alive) {
		static const char closer[] = "\"}]}]}]}]}]}]}]}\n";
		static const char clean[] = "\n{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"query-status\",\"id\":1}\n";

		/* Twice: the first quote may have opened a string rather than closed one. */
		lines = 0;
		alive = qmp_conn_feed(c, closer, sizeof(closer) - 1);
		if (alive && !lines)
			alive = qmp_conn_feed(c, closer, sizeof(closer) - 1);
		lines = 0;
		if (alive)
			alive = qmp_conn_feed(c, clean, sizeof(clean) - 1);
		if (alive && lines == 0) {
			/* Still inside a value deeper than the closer reached: it may not wait for ever. */
			memset(spaces, ' ', sizeof(spaces));
			if (qmp_conn_feed(c, spaces, sizeof(spaces)))
				fail("an endless value was not dropped");
		} else if (alive && lines < 1) {
			fail("a clean command was not answered");
		}
	}
	qmp_conn_free(c);
	return 0;
}
