/* SPDX-License-Identifier: MIT */
/*
 * Running an installed tool (fdtdump, dtc) on a file a test wrote, for the
 * tests that check standard tools read our formats. Static inline only:
 * every test file is linked into one binary.
 */
#ifndef MICROVM_TESTS_TOOL_FIXTURE_H
#define MICROVM_TESTS_TOOL_FIXTURE_H

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline bool tool_installed(const char *tool)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	return system(cmd) == 0;
}

/* Run "prog FILE" on a temporary copy of buf: its combined output (free it); NULL, logged, if it failed. */
static inline char *tool_run_on(const char *prog, const void *buf, size_t len)
{
	char in[32] = "/tmp/microvm-test-XXXXXX", out[32] = "/tmp/microvm-test-out-XXXXXX";
	char cmd[512], *text = calloc(1, 65536);
	int fd = mkstemp(in), status;
	ssize_t n;

	cr_assert_geq(fd, 0);
	cr_assert_not_null(text);
	cr_assert_eq(write(fd, buf, len), (ssize_t)len);
	close(fd);
	fd = mkstemp(out);
	cr_assert_geq(fd, 0);
	snprintf(cmd, sizeof(cmd), "%s %s >%s 2>&1", prog, in, out);
	status = system(cmd);
	n = read(fd, text, 65535);
	close(fd);
	unlink(out);
	unlink(in);
	cr_assert_geq(n, 0);
	if (status != 0) {
		cr_log_error("%s: exit %d: %s", cmd, status, text);
		free(text);
		return NULL;
	}
	return text;
}

#endif
