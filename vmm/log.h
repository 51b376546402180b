/* SPDX-License-Identifier: MIT */
/*
 * Logging. Every message is one line on stderr prefixed "microvm: ".
 * log_level is the one mutable global the style guide allows.
 */
#ifndef MICROVM_LOG_H
#define MICROVM_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

extern int log_level;
/* Set while the terminal is in raw mode, where a bare \n does not return the carriage. */
extern bool log_crlf;

void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/*
 * Rate limiting for messages a guest can trigger at will: allows a burst of
 * `burst` messages, then one per second, and reports how many were dropped.
 * Keep one struct ratelimit per call site (static is fine: it only holds
 * counters, never guest state).
 */
struct ratelimit {
	uint64_t window_start_ns;
	unsigned printed;
	unsigned dropped;
};

bool ratelimit_ok(struct ratelimit *rl);

/* Rate-limited as log_guest, at -v: guest-triggered events worth seeing when asked for. */
#define log_guest_info(...)                                                                        \
	do {                                                                                       \
		static struct ratelimit rl_;                                                       \
		if (log_level >= LOG_INFO && ratelimit_ok(&rl_))                                   \
			log_msg(LOG_INFO, __VA_ARGS__);                                            \
	} while (0)

/* Results the user must see even with -q (where a dump went): printed at every level. */
#define log_result(...) log_msg(LOG_ERROR, __VA_ARGS__)

#define log_guest(...)                                                                             \
	do {                                                                                       \
		static struct ratelimit rl_;                                                       \
		if (ratelimit_ok(&rl_))                                                            \
			log_msg(LOG_WARN, __VA_ARGS__);                                            \
	} while (0)

#endif
