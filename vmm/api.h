/* SPDX-License-Identifier: MIT */
/*
 * The control socket (--api-sock PATH, docs/qmp.md): a Unix stream socket
 * where each client speaks QMP through its own struct qmp_conn. It lives in
 * the main thread's event loop (vmm/loop.h); commands act on the VM there,
 * between the run loop's other work, so they need no locking beyond what
 * the VM already has.
 *
 * The socket is created owner-only (0600). An existing path is replaced
 * only when it is a stale socket (nobody accepts on it); a live socket or
 * any other file is refused. It is removed on exit if it is still ours.
 */
#ifndef MICROVM_API_H
#define MICROVM_API_H

#include <jansson.h>

#include "vmm/err.h"

struct vm;
struct loop;

#define API_MAX_CLIENTS 16
#define API_MAX_OUTPUT (1u << 20) /* unread replies and events a client may leave queued */

/* Create the socket and watch it on the loop; vm->api is set. 0 or -errno with err. */
int api_open(struct vm *vm, struct loop *loop, const char *path, struct errbuf *err);
/* Flush what clients can still take, close them, remove the socket. */
void api_close(struct vm *vm);

/* Send an event to every client that has done qmp_capabilities (data's reference is taken). */
void api_event(struct vm *vm, const char *name, json_t *data);

/*
 * Called by the run loop whenever the request eventfd fires: finishes the
 * work other threads completed (a detached dump: its DUMP_COMPLETED event
 * and the VM's resumption).
 */
void api_poll(struct vm *vm);

/* A detached dump is still running: the VM must stay paused. */
int api_busy(const struct vm *vm);

#endif
