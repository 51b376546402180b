/* SPDX-License-Identifier: MIT */
#include "vmm/loop.h"

#include <errno.h>
#include <poll.h>
#include <string.h>

#include "vmm/log.h"

#define LOOP_RING_DEPTH (2 * LOOP_MAX_SOURCES) /* a poll and a cancel per source */
#define LOOP_CANCEL_TAG (1ULL << 63)	       /* user_data of cancel requests: completions ignored */

static uint64_t tag_of(const struct loop *l, unsigned id)
{
	return ((uint64_t)l->src[id].gen << 32) | id;
}

int loop_init(struct loop *l)
{
	int r;

	memset(l, 0, sizeof(*l));
	for (unsigned i = 0; i < LOOP_MAX_SOURCES; i++)
		l->src[i].fd = -1;
	r = io_uring_queue_init(LOOP_RING_DEPTH, &l->ring, 0);
	l->uring = r == 0;
	if (!l->uring)
		log_info("event loop: io_uring unavailable (%s): waiting with poll(2)", strerror(-r));
	return 0;
}

void loop_destroy(struct loop *l)
{
	if (l->uring)
		io_uring_queue_exit(&l->ring);
	l->uring = false;
}

static struct io_uring_sqe *get_sqe(struct loop *l)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&l->ring);

	if (!sqe) { /* full: hand what is queued to the kernel and try once more */
		io_uring_submit(&l->ring);
		sqe = io_uring_get_sqe(&l->ring);
	}
	return sqe;
}

/* Withdraw the source's armed poll request (its completion, if any, is then stale). */
static void disarm(struct loop *l, unsigned id)
{
	struct loop_source *s = &l->src[id];
	struct io_uring_sqe *sqe;

	if (!s->armed)
		return;
	s->armed = false;
	if (!l->uring)
		return;
	sqe = get_sqe(l);
	if (sqe) {
		io_uring_prep_poll_remove(sqe, tag_of(l, id));
		io_uring_sqe_set_data64(sqe, LOOP_CANCEL_TAG);
	}
	s->gen++;
	/* Now: the poll holds a reference on the file, which the caller may be about to close. */
	io_uring_submit(&l->ring);
}

int loop_add(struct loop *l, int fd, unsigned events, loop_fn fn, void *arg)
{
	for (unsigned i = 0; i < LOOP_MAX_SOURCES; i++) {
		struct loop_source *s = &l->src[i];

		if (s->fd >= 0)
			continue;
		s->fd = fd;
		s->events = events;
		s->fn = fn;
		s->arg = arg;
		s->armed = false;
		s->gen++;
		return (int)i;
	}
	return -ENOSPC;
}

void loop_set_events(struct loop *l, int id, unsigned events)
{
	struct loop_source *s = &l->src[id];

	if (s->armed && s->armed_events != events)
		disarm(l, (unsigned)id);
	s->events = events;
}

void loop_del(struct loop *l, int id)
{
	if (id < 0 || id >= LOOP_MAX_SOURCES || l->src[id].fd < 0)
		return;
	disarm(l, (unsigned)id);
	l->src[id].fd = -1;
	l->src[id].events = 0;
	l->src[id].gen++;
}

static int arm_all(struct loop *l)
{
	for (unsigned i = 0; i < LOOP_MAX_SOURCES; i++) {
		struct loop_source *s = &l->src[i];
		struct io_uring_sqe *sqe;

		if (s->fd < 0 || !s->events || s->armed)
			continue;
		sqe = get_sqe(l);
		if (!sqe)
			return -EBUSY;
		io_uring_prep_poll_add(sqe, s->fd, s->events);
		io_uring_sqe_set_data64(sqe, tag_of(l, i));
		s->armed = true;
		s->armed_events = s->events;
	}
	return 0;
}

/* Completions first copied out: a callback may add, delete or re-arm sources. */
static int run_uring(struct loop *l, int timeout_ms)
{
	struct { uint64_t tag; int res; } done[LOOP_RING_DEPTH * 2];
	struct __kernel_timespec ts = { .tv_sec = timeout_ms / 1000,
					.tv_nsec = (long long)(timeout_ms % 1000) * 1000000 };
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;
	int r;

	r = arm_all(l);
	if (r)
		return r;
	do
		r = io_uring_submit_and_wait_timeout(&l->ring, &cqe, 1, timeout_ms < 0 ? NULL : &ts, NULL);
	while (r == -EINTR);
	if (r < 0 && r != -ETIME)
		return r;
	io_uring_for_each_cqe(&l->ring, head, cqe) {
		if (n == sizeof(done) / sizeof(done[0]))
			break;
		done[n].tag = cqe->user_data;
		done[n].res = cqe->res;
		n++;
	}
	io_uring_cq_advance(&l->ring, n);
	for (unsigned i = 0; i < n; i++) {
		unsigned id = (unsigned)(done[i].tag & 0xffffffffu);
		struct loop_source *s;

		if (done[i].tag & LOOP_CANCEL_TAG || id >= LOOP_MAX_SOURCES)
			continue;
		s = &l->src[id];
		if (s->fd < 0 || done[i].tag != tag_of(l, id) || !s->armed)
			continue; /* withdrawn or reused since */
		s->armed = false;
		if (done[i].res == -ECANCELED)
			continue;
		s->fn(s->arg, done[i].res < 0 ? POLLERR : (unsigned)done[i].res);
	}
	return 0;
}

static int run_poll(struct loop *l, int timeout_ms)
{
	struct pollfd p[LOOP_MAX_SOURCES];
	uint32_t gen[LOOP_MAX_SOURCES];
	unsigned id[LOOP_MAX_SOURCES], n = 0;
	int r;

	for (unsigned i = 0; i < LOOP_MAX_SOURCES; i++) {
		if (l->src[i].fd < 0 || !l->src[i].events)
			continue;
		p[n] = (struct pollfd){ .fd = l->src[i].fd, .events = (short)l->src[i].events };
		id[n] = i;
		gen[n] = l->src[i].gen;
		n++;
	}
	r = poll(p, n, timeout_ms);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	for (unsigned i = 0; i < n; i++) {
		struct loop_source *s = &l->src[id[i]];

		if (p[i].revents && s->fd >= 0 && s->gen == gen[i])
			s->fn(s->arg, (unsigned)p[i].revents);
	}
	return 0;
}

int loop_run_once(struct loop *l, int timeout_ms)
{
	return l->uring ? run_uring(l, timeout_ms) : run_poll(l, timeout_ms);
}
