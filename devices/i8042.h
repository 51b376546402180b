/* SPDX-License-Identifier: MIT */
#ifndef MICROVM_I8042_H
#define MICROVM_I8042_H

#include "vmm/device.h"

#define I8042_DATA_PORT 0x60
#define I8042_CMD_PORT 0x64

extern const struct device_ops i8042_ops;

#endif
