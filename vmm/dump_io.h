/* SPDX-License-Identifier: MIT */
/*
 * Positional writes for the dumper: through io_uring with several large
 * writes in flight straight from the source buffers, or pwrite(2) where
 * io_uring is unavailable (or to measure against it). Buffers must stay
 * unchanged until dump_io_finish(): the VM is paused while it dumps.
 */
#ifndef MICROVM_DUMP_IO_H
#define MICROVM_DUMP_IO_H

#include <stdbool.h>
#include <stdint.h>

#include <liburing.h>

#define DUMP_IO_DEPTH 256 /* writes in flight: scattered data pages make many small writes */
#define DUMP_IO_BATCH 8			 /* writes handed to the kernel per io_uring_enter */
#define DUMP_IO_CHUNK (4u * 1024 * 1024) /* largest single write */

struct dump_io_req {
	const uint8_t *p;
	uint64_t off;
	uint32_t len;
	bool busy;
};

struct dump_io {
	int fd;
	bool uring;
	struct io_uring ring;
	struct dump_io_req req[DUMP_IO_DEPTH];
	unsigned inflight;	/* busy slots: prepared or submitted */
	unsigned queued;	/* prepared, not yet submitted */
	bool broken;		/* submission or waiting failed: nothing more completes */
	int error;		/* first failure, -errno; sticky */
	uint64_t written;	/* bytes whose write completed */
	/* Optional: called after each completion (progress on a terminal). */
	void (*on_complete)(void *arg);
	void *on_complete_arg;
};

/* Set up writes to fd; use_uring false (or io_uring unavailable) means pwrite(2). */
void dump_io_init(struct dump_io *io, int fd, bool use_uring);

/*
 * Queue a write of len bytes (any size; split into DUMP_IO_CHUNK pieces) at
 * file offset off. Returns the sticky error, 0 while all is well.
 */
int dump_io_write(struct dump_io *io, const void *p, uint64_t len, uint64_t off);

/* Wait for every queued write, release the ring; the first error or 0. */
int dump_io_finish(struct dump_io *io);

#endif
