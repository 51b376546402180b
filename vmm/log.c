/* SPDX-License-Identifier: MIT */
#include "vmm/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

int log_level = LOG_WARN;
bool log_crlf;

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if ((int)lvl > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* One write per line so concurrent vCPU threads never interleave. */
	fprintf(stderr, "microvm: %s%s", buf, log_crlf ? "\r\n" : "\n");
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

bool ratelimit_ok(struct ratelimit *rl)
{
	const unsigned burst = 10;
	uint64_t t = now_ns();

	if (t - rl->window_start_ns >= 1000000000ULL) {
		if (rl->dropped)
			log_msg(LOG_WARN, "(%u similar messages suppressed)", rl->dropped);
		rl->window_start_ns = t;
		rl->printed = 0;
		rl->dropped = 0;
	}
	if (rl->printed < burst) {
		rl->printed++;
		return true;
	}
	rl->dropped++;
	return false;
}
