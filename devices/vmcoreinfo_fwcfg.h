/* SPDX-License-Identifier: MIT */
/*
 * QEMU's fw_cfg vmcoreinfo device (`--vmcoreinfo=fwcfg`; shared/DESIGN.md
 * §6, last part): one writable 16-byte fw_cfg file "etc/vmcoreinfo" that a
 * stock Linux kernel's qemu_fw_cfg driver fills at probe time with where its
 * VMCOREINFO note is. No ACPI node of its own: Linux finds fw_cfg through
 * the DSDT's FWCF device.
 */
#ifndef MICROVM_VMCOREINFO_FWCFG_H
#define MICROVM_VMCOREINFO_FWCFG_H

#include "vmm/device.h"
#include "vmm/vmcoreinfo_note.h"

extern const struct device_ops vmcoreinfo_fwcfg_ops;

/* The device's state: what the guest last wrote as a whole record (written = false: nothing). */
const struct vmci_fwcfg_rec *vmcoreinfo_fwcfg_record(struct device *dev);

#endif
