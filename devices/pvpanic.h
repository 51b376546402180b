/* SPDX-License-Identifier: MIT */
#ifndef MICROVM_PVPANIC_H
#define MICROVM_PVPANIC_H

#include <stdbool.h>

#include "vmm/device.h"

/* ISA pvpanic (shared/DESIGN.md §7): one byte at port 0x505. */
#define PVPANIC_PORT 0x505
#define PVPANIC_PANICKED 0x01	  /* the guest panicked */
#define PVPANIC_CRASH_LOADED 0x02 /* the guest's own kdump kernel takes over */

extern const struct device_ops pvpanic_ops;

/* The guest wrote PANICKED since power-on or the last reset. */
bool pvpanic_panicked(struct device *dev);

#endif
