/* SPDX-License-Identifier: MIT */
/* The embedded firmware: where it goes and how the boot vCPU enters it. */
#ifndef MICROVM_FIRMWARE_H
#define MICROVM_FIRMWARE_H

#include "vmm/err.h"

struct vm;

/*
 * Power-on with firmware: copy the image to LAYOUT_FIRMWARE, describe the
 * loaded kernel in fw_cfg "etc/microvm/boot", and start the boot vCPU at the
 * firmware's first byte in 32-bit flat protected mode. Call after boot_load.
 */
int firmware_power_on(struct vm *vm, struct errbuf *err);

#endif
