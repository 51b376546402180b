/* SPDX-License-Identifier: MIT */
/*
 * The main thread's event loop: file descriptors (console input, the
 * request eventfd the vCPU threads write, the signalfd, the control socket
 * and its clients) are watched with io_uring poll requests (liburing), one
 * armed request per watched descriptor, re-armed after each completion. The
 * thread sleeps in io_uring_wait_cqe: an idle VM costs no CPU.
 *
 * Where io_uring is refused (seccomp profiles, kernels built without it)
 * the same loop waits with poll(2) instead, and says so once at -v.
 */
#ifndef MICROVM_LOOP_H
#define MICROVM_LOOP_H

#include <liburing.h>
#include <stdbool.h>
#include <stdint.h>

#define LOOP_MAX_SOURCES 64

/* Called in the loop's thread with the poll bits that fired (POLLIN, POLLHUP...). */
typedef void (*loop_fn)(void *arg, unsigned revents);

struct loop_source {
	int fd;		/* -1: free slot */
	unsigned events; /* POLLIN / POLLOUT wanted; 0: not watched for now */
	loop_fn fn;
	void *arg;
	uint32_t gen;	/* bumped when the slot is reused, so stale completions are ignored */
	bool armed;	/* an io_uring poll request is in flight for (slot, gen) */
	unsigned armed_events;
};

struct loop {
	struct io_uring ring;
	bool uring;
	unsigned inflight; /* poll and cancel requests not yet completed */
	struct loop_source src[LOOP_MAX_SOURCES];
};

/* 0, or -errno when neither io_uring nor poll can be used (never, in practice). */
int loop_init(struct loop *l);
void loop_destroy(struct loop *l);

/* Watch fd for events; returns the source id (>= 0) or -ENOSPC. */
int loop_add(struct loop *l, int fd, unsigned events, loop_fn fn, void *arg);
/* Change what a source waits for (0 pauses it). */
void loop_set_events(struct loop *l, int id, unsigned events);
/* Stop watching; the caller may close the fd right after. */
void loop_del(struct loop *l, int id);

/*
 * Wait until at least one source fires or timeout_ms passes (-1: no limit),
 * then call the callbacks of all that fired. 0, or -errno on a hard failure.
 */
int loop_run_once(struct loop *l, int timeout_ms);

#endif
