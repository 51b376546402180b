/* SPDX-License-Identifier: MIT */
#include "vmm/api.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmm/api_cmds.h"
#include "vmm/log.h"
#include "vmm/loop.h"
#include "vmm/qmp.h"
#include "vmm/version.h"
#include "vmm/vm.h"

#define API_READ_CHUNK 4096 /* per wake-up and client: one flooding client cannot starve the rest */

struct api_client {
	struct api *api;
	int fd;
	int loop_id;
	struct qmp_conn *qmp;
	char *out; /* replies and events the client has not taken yet */
	size_t out_len, out_cap;
	bool drop; /* close once the current callback is done */
};

static void client_close(struct api_client *c)
{
	struct api *a = c->api;

	for (unsigned i = 0; i < API_MAX_CLIENTS; i++)
		if (a->clients[i] == c)
			a->clients[i] = NULL;
	loop_del(a->loop, c->loop_id);
	close(c->fd);
	qmp_conn_free(c->qmp);
	free(c->out);
	free(c);
}

/* Send what is queued; false when the client is gone. */
static bool client_flush(struct api_client *c)
{
	while (c->out_len) {
		ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0)
			return false;
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
	}
	loop_set_events(c->api->loop, c->loop_id, POLLIN | (c->out_len ? POLLOUT : 0));
	return true;
}

/* qmp_write_fn: queue the line and send as much as the socket takes now. */
static void client_write(void *arg, const char *line, size_t len)
{
	struct api_client *c = arg;

	if (c->drop)
		return;
	if (c->out_len + len > API_MAX_OUTPUT) {
		log_warn("control socket: a client left %u bytes of replies unread: disconnecting it",
			 API_MAX_OUTPUT);
		c->drop = true;
		return;
	}
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		char *p;

		while (cap < c->out_len + len)
			cap *= 2;
		p = realloc(c->out, cap);
		if (!p) {
			c->drop = true;
			return;
		}
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, line, len);
	c->out_len += len;
	if (!client_flush(c))
		c->drop = true;
}

static void client_event(void *arg, unsigned revents)
{
	struct api_client *c = arg;
	char buf[API_READ_CHUNK];

	if ((revents & POLLOUT) && !client_flush(c))
		c->drop = true;
	if (!c->drop && (revents & (POLLIN | POLLHUP | POLLERR))) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR && errno != EWOULDBLOCK))
			c->drop = true; /* gone, perhaps in the middle of a command: nothing to undo */
		else if (n > 0 && !qmp_conn_feed(c->qmp, buf, (size_t)n))
			c->drop = true;
	}
	if (c->drop)
		client_close(c);
}

static void accept_event(void *arg, unsigned revents)
{
	struct api *a = arg;
	struct api_client *c;
	unsigned slot;
	int fd;

	fd = accept4(a->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	for (slot = 0; slot < API_MAX_CLIENTS && a->clients[slot]; slot++)
		;
	c = slot < API_MAX_CLIENTS ? calloc(1, sizeof(*c)) : NULL;
	if (!c) {
		static const char busy[] = "{\"error\": {\"class\": \"GenericError\", \"desc\": "
					   "\"too many control clients; close one and retry\"}}\r\n";

		if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			log_debug("control socket: %s", strerror(errno));
		close(fd);
		return;
	}
	c->api = a;
	c->fd = fd;
	c->qmp = qmp_conn_new(&a->srv, client_write, c);
	c->loop_id = c->qmp ? loop_add(a->loop, fd, POLLIN, client_event, c) : -1;
	if (c->loop_id < 0) {
		qmp_conn_free(c->qmp);
		close(fd);
		free(c);
		return;
	}
	a->clients[slot] = c;
	qmp_conn_greet(c->qmp);
	if (c->drop)
		client_close(c);
}

void api_event(struct vm *vm, const char *name, json_t *data)
{
	struct api *a = vm->api;

	if (a) {
		for (unsigned i = 0; i < API_MAX_CLIENTS; i++) {
			struct api_client *c = a->clients[i];

			if (!c)
				continue;
			qmp_conn_event(c->qmp, name, json_incref(data));
			if (c->drop)
				client_close(c);
		}
	}
	json_decref(data);
}

/* An existing path: a stale socket is removed, anything else refused. */
static int clear_path(const char *path, struct errbuf *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, r;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : errf(err, -errno, "--api-sock %s: %s", path, strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return errf(err, -EEXIST, "--api-sock %s: the path exists and is not a socket; remove it or choose another path",
			    path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errf(err, -errno, "socket: %s", strerror(errno));
	memcpy(sa.sun_path, path, strlen(path));
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (r == 0)
		return errf(err, -EADDRINUSE, "--api-sock %s: another process is listening there (another microvm?); choose another path",
			    path);
	if (errno != ECONNREFUSED)
		return errf(err, -errno, "--api-sock %s: %s", path, strerror(errno));
	log_info("--api-sock %s: removing a stale socket nobody listens on", path);
	if (unlink(path) < 0)
		return errf(err, -errno, "--api-sock %s: cannot remove the stale socket: %s", path,
			    strerror(errno));
	return 0;
}

int api_open(struct vm *vm, struct loop *loop, const char *path, struct errbuf *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct api *a;
	struct stat st;
	mode_t old;
	int r;

	if (!*path || strlen(path) >= sizeof(sa.sun_path))
		return errf(err, -ENAMETOOLONG, "--api-sock %s: a socket path must have 1 to %zu bytes",
			    path, sizeof(sa.sun_path) - 1);
	r = clear_path(path, err);
	if (r)
		return r;
	a = calloc(1, sizeof(*a));
	if (!a)
		return errf(err, -ENOMEM, "out of memory");
	a->vm = vm;
	a->loop = loop;
	a->loop_id = -1;
	snprintf(a->path, sizeof(a->path), "%s", path);
	a->srv = (struct qmp_server){ .cmds = api_commands, .ctx = a, .version = MICROVM_VERSION };
	a->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (a->fd < 0) {
		r = errf(err, -errno, "socket: %s", strerror(errno));
		goto fail;
	}
	memcpy(sa.sun_path, path, strlen(path));
	/* Owner-only from the start: no window where another user could connect. */
	old = umask(0177);
	r = bind(a->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0) {
		r = errf(err, -errno, "--api-sock %s: %s", path, strerror(errno));
		goto fail_fd;
	}
	if (stat(path, &st) == 0) {
		a->dev = st.st_dev;
		a->ino = st.st_ino;
	}
	if (listen(a->fd, 8) < 0) {
		r = errf(err, -errno, "--api-sock %s: listen: %s", path, strerror(errno));
		goto fail_bound;
	}
	a->loop_id = loop_add(loop, a->fd, POLLIN, accept_event, a);
	if (a->loop_id < 0) {
		r = errf(err, a->loop_id, "--api-sock: the event loop is full");
		goto fail_bound;
	}
	vm->api = a;
	log_info("control socket: %s (QMP)", path);
	return 0;
fail_bound:
	unlink(path);
fail_fd:
	close(a->fd);
fail:
	free(a);
	return r;
}

/* One last chance for clients to read the final replies and events (SHUTDOWN). */
static void flush_before_close(struct api_client *c)
{
	for (int tries = 0; c->out_len && tries < 10; tries++) {
		struct pollfd p = { .fd = c->fd, .events = POLLOUT };

		if (poll(&p, 1, 100) <= 0 || !client_flush(c))
			break;
	}
}

void api_close(struct vm *vm)
{
	struct api *a = vm->api;
	struct stat st;

	if (!a)
		return;
	api_cmds_finish(a);
	for (unsigned i = 0; i < API_MAX_CLIENTS; i++) {
		if (!a->clients[i])
			continue;
		flush_before_close(a->clients[i]);
		client_close(a->clients[i]);
	}
	loop_del(a->loop, a->loop_id);
	close(a->fd);
	/* Only if it is still the socket we made: a user may have put something else there. */
	if (stat(a->path, &st) == 0 && st.st_dev == a->dev && st.st_ino == a->ino)
		unlink(a->path);
	vm->api = NULL;
	free(a);
}
