/* SPDX-License-Identifier: MIT */
#ifndef MICROVM_MACHINE_H
#define MICROVM_MACHINE_H

#include "vmm/err.h"

struct vm;
struct acpi_blobs;

/* Create the machine's devices in table order (vmm/machine.c). */
int machine_create_devices(struct vm *vm, struct errbuf *err);
void machine_destroy_devices(struct vm *vm);
void machine_reset_devices(struct vm *vm);

/* The ACPI tables and loader script for this machine (vmm/acpi_build.h). */
int machine_build_acpi(struct vm *vm, struct acpi_blobs *out, struct errbuf *err);

#endif
