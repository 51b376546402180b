/* SPDX-License-Identifier: MIT */
#include "vmm/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int file_read_all(const char *role, const char *path, size_t max, uint8_t **buf, size_t *size,
		  struct errbuf *err)
{
	struct stat st;
	uint8_t *b;
	size_t got = 0;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused just below. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	if (fd < 0)
		return errf(err, -errno, "%s%s: %s", role, path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return errf(err, -EINVAL, "%s%s: not a regular file", role, path);
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return errf(err, -EFBIG, "%s%s: %lld bytes, larger than the %zu MiB accepted", role, path,
			    (long long)st.st_size, max >> 20);
	}
	b = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!b) {
		close(fd);
		return errf(err, -ENOMEM, "%s%s: out of memory", role, path);
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, b + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			free(b);
			close(fd);
			return errf(err, -e, "%s%s: read failed: %s", role, path, strerror(e));
		}
		got += (size_t)n;
	}
	close(fd);
	*buf = b;
	*size = got;
	return 0;
}

int file_write_atomic(const char *path, const void *data, size_t len, struct errbuf *err)
{
	char tmp[PATH_MAX];
	const uint8_t *p = data;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return errf(err, -ENAMETOOLONG, "%s: path too long", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return errf(err, -errno, "%s: %s", tmp, strerror(errno));
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			close(fd);
			unlink(tmp);
			return errf(err, -e, "%s: write failed: %s", path, strerror(e));
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) < 0) {
		int e = errno;
		close(fd);
		unlink(tmp);
		return errf(err, -e, "%s: %s", path, strerror(e));
	}
	if (close(fd) < 0) {
		int e = errno;
		unlink(tmp);
		return errf(err, -e, "%s: %s", path, strerror(e));
	}
	if (rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return errf(err, -e, "%s: rename failed: %s", path, strerror(e));
	}
	return 0;
}
