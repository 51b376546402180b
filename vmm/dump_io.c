/* SPDX-License-Identifier: MIT */
#include "vmm/dump_io.h"

#include <assert.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

void dump_io_init(struct dump_io *io, int fd, bool use_uring)
{
	memset(io, 0, sizeof(*io));
	io->fd = fd;
	/* Seccomp profiles and old kernels refuse io_uring: fall back quietly. */
	io->uring = use_uring && io_uring_queue_init(DUMP_IO_DEPTH, &io->ring, 0) == 0;
}

static int pwrite_all(int fd, const uint8_t *p, uint64_t len, uint64_t off)
{
	while (len) {
		size_t n = len > DUMP_IO_CHUNK ? DUMP_IO_CHUNK : (size_t)len;
		ssize_t w = pwrite(fd, p, n, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (w == 0)
			return -EIO;
		p += w;
		off += (uint64_t)w;
		len -= (uint64_t)w;
	}
	return 0;
}

/*
 * Hand the prepared writes to the kernel. If that fails they can never
 * complete: the ring is marked broken and nobody waits for them.
 */
static int flush(struct dump_io *io)
{
	int ret;

	if (!io->queued)
		return 0;
	do
		ret = io_uring_submit(&io->ring);
	while (ret == -EINTR);
	if (ret < 0) {
		io->broken = true;
		return ret;
	}
	io->queued = 0;
	return 0;
}

/* Prepare the slot's write; submission happens in batches (one syscall for several writes). */
static int prep(struct dump_io *io, unsigned slot)
{
	struct dump_io_req *r = &io->req[slot];
	struct io_uring_sqe *sqe = io_uring_get_sqe(&io->ring);

	/* The SQ has DUMP_IO_DEPTH entries and at most that many slots are busy. */
	assert(sqe);
	io_uring_prep_write(sqe, io->fd, r->p, r->len, r->off);
	io_uring_sqe_set_data64(sqe, slot);
	io->queued++;
	return io->queued >= DUMP_IO_BATCH ? flush(io) : 0;
}

static void release(struct dump_io *io, unsigned slot)
{
	io->req[slot].busy = false;
	io->inflight--;
}

/*
 * Wait for one completion: 0, or the write's -errno. A short write is
 * resubmitted for the rest. Every call frees a slot, makes progress, or
 * marks the ring broken, so draining loops end.
 */
static int reap_one(struct dump_io *io)
{
	struct io_uring_cqe *cqe;
	struct dump_io_req *r;
	unsigned slot;
	int ret, res;

	ret = flush(io);
	if (ret)
		return ret;
	do
		ret = io_uring_wait_cqe(&io->ring, &cqe);
	while (ret == -EINTR);
	if (ret < 0) {
		io->broken = true;
		return ret;
	}
	slot = (unsigned)io_uring_cqe_get_data64(cqe);
	res = cqe->res;
	io_uring_cqe_seen(&io->ring, cqe);
	assert(slot < DUMP_IO_DEPTH && io->req[slot].busy);
	r = &io->req[slot];
	if (res > 0 && (uint32_t)res < r->len) {
		r->p += res;
		r->off += (uint64_t)res;
		r->len -= (uint32_t)res;
		io->written += (uint64_t)res;
		if (io->on_complete)
			io->on_complete(io->on_complete_arg);
		ret = prep(io, slot);
		return ret ? ret : flush(io);
	}
	release(io, slot);
	if (res < 0)
		return res;
	if (res == 0)
		return -EIO; /* no progress on a non-empty write: never spin */
	io->written += (uint64_t)res;
	if (io->on_complete)
		io->on_complete(io->on_complete_arg);
	return 0;
}

static int queue_chunk(struct dump_io *io, const uint8_t *p, uint32_t len, uint64_t off)
{
	unsigned slot;
	int ret;

	while (io->inflight == DUMP_IO_DEPTH) {
		ret = reap_one(io);
		if (ret)
			return ret;
	}
	for (slot = 0; io->req[slot].busy; slot++)
		;
	io->req[slot] = (struct dump_io_req){ .p = p, .off = off, .len = len, .busy = true };
	io->inflight++;
	return prep(io, slot);
}

int dump_io_write(struct dump_io *io, const void *buf, uint64_t len, uint64_t off)
{
	const uint8_t *p = buf;
	int ret = 0;

	if (io->error)
		return io->error;
	if (!io->uring) {
		ret = pwrite_all(io->fd, p, len, off);
		if (!ret)
			io->written += len;
		if (!ret && io->on_complete)
			io->on_complete(io->on_complete_arg);
	}
	while (io->uring && len && !ret) {
		uint32_t n = len > DUMP_IO_CHUNK ? DUMP_IO_CHUNK : (uint32_t)len;

		ret = queue_chunk(io, p, n, off);
		p += n;
		off += n;
		len -= n;
	}
	io->error = ret;
	return ret;
}

int dump_io_finish(struct dump_io *io)
{
	if (!io->uring)
		return io->error;
	/* Keep reaping after a write error: the kernel still owns the buffers. */
	while (io->inflight && !io->broken) {
		int ret = reap_one(io);

		if (ret && !io->error)
			io->error = ret;
	}
	/* A broken ring is torn down here; the kernel cancels what it still holds. */
	io_uring_queue_exit(&io->ring);
	io->uring = false;
	return io->error;
}
