/* SPDX-License-Identifier: MIT */
#ifndef MICROVM_FW_STATUS_H
#define MICROVM_FW_STATUS_H

#include "vmm/device.h"

/* The firmware's status port (firmware/boot_abi.h, MVBOOT_STATUS_PORT). */
extern const struct device_ops fw_status_ops;

#endif
