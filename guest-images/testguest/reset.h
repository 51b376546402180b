/* SPDX-License-Identifier: MIT */
/*
 * Scenarios that span a reset: a marker in RAM (kept across a reset, as on
 * QEMU and real hardware) tells the boot after the reset from the first.
 */
#ifndef TESTGUEST_RESET_H
#define TESTGUEST_RESET_H

#include "guest-images/testguest/boot.h"
#include "guest-images/testguest/guest.h"

/* The marker's page: above the image, below the 32 MiB smallest VM. */
#define RESET_MARKER_ADDR 0x3FF000ull

/* On the boot after a reset: 1 if scenario `name` left its marker (it is
 * cleared, and checked: left by `name`, exactly one reset before). 0 if
 * there is no marker: the first boot. */
int reset_marker_found(const struct boot_info *bi, const char *name);

/* Leave `name`'s marker, call trigger(arg) and fail with GUEST_EXIT_STUCK if
 * the VM is still running a while later. `how` names the way, for the log. */
NORETURN void reset_via(const struct boot_info *bi, const char *name, const char *how,
			void (*trigger)(const void *arg), const void *arg);

/* The i8042's reset line (0xFE to port 0x64): a trigger for reset_via. */
void reset_trigger_i8042(const void *unused);

#endif
