/* SPDX-License-Identifier: MIT */
/*
 * Confinement: after set-up, each of microvm's threads runs under a seccomp
 * filter that allows only the system calls that thread needs (docs/security.md,
 * Confinement). Anything else traps: a SIGSYS handler prints one line naming
 * the thread and the call, then the process dies of SIGSYS.
 *
 * Filters stack and are inherited: the main thread installs its own once the
 * event loop is set up, and every thread it creates afterwards (vCPUs, the
 * detached dump writer) starts under it and adds its own narrower one. So each
 * thread's list must be a subset of the main thread's (the unit tests check).
 */
#ifndef MICROVM_SECCOMP_H
#define MICROVM_SECCOMP_H

#include <stdbool.h>
#include <stddef.h>

#include "vmm/err.h"

enum seccomp_kind {
	SECCOMP_MAIN, /* the event loop: console, signals, control socket, dumps, snapshots, resets */
	SECCOMP_VCPU, /* KVM_RUN and the device emulation it drives */
	SECCOMP_DUMP, /* the writer of a detached dump-guest-memory */
	SECCOMP_KINDS,
};

/* --test-seccomp-violation KIND: which thread makes a forbidden call on purpose (tests only). */
enum seccomp_violation {
	SECCOMP_VIOLATION_NONE,
	SECCOMP_VIOLATION_MAIN,
	SECCOMP_VIOLATION_VCPU,
};

struct sock_filter;

/* The filters, compiled once (libseccomp) before any is installed. */
struct seccomp_filters {
	bool on;
	struct sock_filter *prog[SECCOMP_KINDS];
	unsigned short len[SECCOMP_KINDS];
};

/* An ioctl request a kind may make, with its name (for the tests and the docs). */
struct seccomp_ioctl {
	const char *name;
	unsigned long req;
};

/*
 * Compile every kind's filter and install the SIGSYS handler. Allocates and
 * calls libseccomp, so it runs before any filter is in place. Does nothing
 * (and installs nothing later) unless on.
 */
int seccomp_prepare(struct seccomp_filters *f, bool on, struct errbuf *err);
void seccomp_free(struct seccomp_filters *f);

/*
 * In the calling thread: install kind's filter, naming the thread `name` in
 * the line a violation prints. The first call in a process also sets
 * no_new_privs. 0, or -errno with the message.
 */
int seccomp_enter(const struct seccomp_filters *f, enum seccomp_kind kind, const char *name,
		  struct errbuf *err);

/* The test hook: make a system call no thread may make (socket(2)). */
void seccomp_violate(void);

/* The lists behind the filters, for the unit tests. */
const int *seccomp_syscalls(enum seccomp_kind kind, size_t *n);
const struct seccomp_ioctl *seccomp_ioctls(enum seccomp_kind kind, size_t *n);
/* A libseccomp context (scmp_filter_ctx) holding kind's rules; NULL on failure. */
void *seccomp_build(enum seccomp_kind kind);
const char *seccomp_kind_name(enum seccomp_kind kind);

#endif
