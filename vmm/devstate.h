/* SPDX-License-Identifier: MIT */
/*
 * The machine's device state as one node of the state file (vmm/state.h):
 * "devices" holds one record per device that has a save op, named after the
 * device (device_ops.name), in machine order. The snapshot code calls these;
 * docs/snapshot.md "State file" shows the layout.
 */
#ifndef MICROVM_DEVSTATE_H
#define MICROVM_DEVSTATE_H

#include "vmm/err.h"

struct vm;
struct state_writer;
struct state_reader;

/* Write the "devices" node under the writer's open node. 0 or -errno, with w->err. */
int devices_save(struct vm *vm, struct state_writer *w);

/*
 * Load the "devices" node under the reader's current parent. The file must
 * hold a record for exactly the devices of this VM that have one; that is
 * checked before any device changes. Each device checks its own record
 * before it changes, but the devices load one after another, so a record
 * refused partway leaves the devices before it loaded: call this only on a
 * VM that has not run (a restore) and discard the VM when it fails.
 * 0, or -errno with the one-line reason in err.
 */
int devices_load(struct vm *vm, struct state_reader *r, struct errbuf *err);

#endif
