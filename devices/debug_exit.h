/* SPDX-License-Identifier: MIT */
#ifndef MICROVM_DEBUG_EXIT_H
#define MICROVM_DEBUG_EXIT_H

#include "vmm/device.h"

/* QEMU's isa-debug-exit defaults: iobase 0x501, iosize 2. */
#define DEBUG_EXIT_BASE 0x501
#define DEBUG_EXIT_SIZE 2

extern const struct device_ops debug_exit_ops;

#endif
