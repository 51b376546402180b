/* SPDX-License-Identifier: MIT */
#ifndef MICROVM_FILEIO_H
#define MICROVM_FILEIO_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/err.h"

/*
 * Read a whole regular file of at most max bytes into a malloc'd buffer.
 * Messages start with role then the path ("--initrd initrd.img: ..."), so
 * the user knows which file; role "" names the path alone.
 */
int file_read_all(const char *role, const char *path, size_t max, uint8_t **buf, size_t *size,
		  struct errbuf *err);

/*
 * Write data to path atomically: a temporary file in the same directory,
 * fsync, then rename; nothing is left behind on failure.
 */
int file_write_atomic(const char *path, const void *data, size_t len, struct errbuf *err);

#endif
