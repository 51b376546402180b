/* SPDX-License-Identifier: MIT */
#ifndef MICROVM_ACPI_PM_H
#define MICROVM_ACPI_PM_H

#include "vmm/device.h"

/*
 * Hardware-reduced ACPI power registers (ACPI 6.4 §4.8.3.6-§4.8.3.7), one
 * byte each, in a port range of their own. The FADT's SLEEP_CONTROL_REG,
 * SLEEP_STATUS_REG and RESET_REG point here (vmm/acpi_build.c).
 */
#define ACPI_PM_BASE 0x600
#define ACPI_PM_LEN 8
#define ACPI_PM_SLEEP_CONTROL (ACPI_PM_BASE + 0)
#define ACPI_PM_SLEEP_STATUS (ACPI_PM_BASE + 1)
#define ACPI_PM_RESET (ACPI_PM_BASE + 4)
#define ACPI_PM_RESET_VALUE 0x42 /* FADT RESET_VALUE */

/* Sleep control register: SLP_TYP in bits 2-4, SLP_EN bit 5. */
#define ACPI_PM_SLP_TYP_SHIFT 2
#define ACPI_PM_SLP_TYP_MASK 0x1C
#define ACPI_PM_SLP_EN 0x20
/* Sleep status register: WAK_STS bit 7 (write 1 to clear). */
#define ACPI_PM_WAK_STS 0x80

extern const struct device_ops acpi_pm_ops;

#endif
