/* SPDX-License-Identifier: MIT */
#ifndef MICROVM_VMCOREINFO_H
#define MICROVM_VMCOREINFO_H

#include <stdint.h>

#include "vmm/device.h"

/* fw_cfg files and the page layout (shared/DESIGN.md §6, docs/vmcoreinfo.md). */
#define VMCOREINFO_FILE "etc/vmcoreinfo"
#define VMCOREINFO_ADDR_FILE "etc/vmcoreinfo-addr"
#define VMCOREINFO_PAGE_SIZE 4096
#define VMCOREINFO_ADDR_OFFSET 40 /* the address points 40 bytes into the page */

extern const struct device_ops vmcoreinfo_ops;

/* The device's state: the guest physical address the firmware wrote back (0 = none). */
uint64_t vmcoreinfo_addr(struct device *dev);

#endif
