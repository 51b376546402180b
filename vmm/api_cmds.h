/* SPDX-License-Identifier: MIT */
/*
 * Inside the control socket: the state vmm/api.c and the command handlers
 * (vmm/api_cmds.c) share. Nothing outside these two files includes this.
 */
#ifndef MICROVM_API_CMDS_H
#define MICROVM_API_CMDS_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>
#include <sys/un.h>

#include "vmm/api.h"
#include "vmm/dump.h"
#include "vmm/panic.h"
#include "vmm/qmp.h"

struct api_client;

/* dump-guest-memory's job, as query-dump reports it. */
enum api_dump_status { API_DUMP_NONE, API_DUMP_ACTIVE, API_DUMP_COMPLETED, API_DUMP_FAILED };

struct api_dump {
	enum api_dump_status status;
	bool thread;	     /* a detached dump's thread is running or not yet joined */
	pthread_t tid;
	_Atomic bool done;   /* the thread finished (it then wakes the run loop) */
	bool resume;	     /* the VM ran before the dump: resume it after */
	struct vm_dump d;
	struct dump_progress pg;
	struct dump_stats st;
	char dir[PATH_MAX];
	char name[NAME_MAX + 1];
	char path[PATH_MAX]; /* where it went */
	int result;
	struct errbuf err;
};

struct api {
	struct vm *vm;
	struct loop *loop;
	int fd, loop_id;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev;
	ino_t ino;
	struct api_client *clients[API_MAX_CLIENTS];
	struct qmp_server srv;
	struct api_dump dump;
};

extern const struct qmp_command api_commands[];

/* At exit: wait for a detached dump so its file is complete (or gone). */
void api_cmds_finish(struct api *a);

#endif
