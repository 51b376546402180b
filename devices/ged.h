/* SPDX-License-Identifier: MIT */
#ifndef MICROVM_GED_H
#define MICROVM_GED_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/device.h"

/*
 * ACPI Generic Event Device (ACPI 6.4 §5.6.9) with one event, the power
 * button (docs/acpi.md "Power button"). The event selector is a 32-bit
 * register at port GED_PORT; reading it returns the pending events and
 * clears them. GED_IRQ (ISA IRQ 9 = GSI 9, level, active high, as QEMU's
 * microvm puts its GED on IRQ 9) is asserted while an event is pending.
 */
#define GED_PORT 0x610
#define GED_PORT_LEN 4
#define GED_IRQ 9
/* Event bits; the power button is bit 1 as in QEMU's GED (ACPI_GED_PWR_DOWN_EVT). */
#define GED_EVT_POWER_BUTTON 0x02
#define GED_EVT_ALL GED_EVT_POWER_BUTTON

extern const struct device_ops ged_ops;

/*
 * Press the power button (QMP system_powerdown): the guest's _EVT method
 * notifies \_SB.PWRB, which Linux's button driver reports as KEY_POWER.
 * Call with vm->io_lock held, as for every device op.
 */
void ged_power_button(struct device *dev);

/* Whether the interrupt line is asserted (an event is pending). */
bool ged_irq_asserted(struct device *dev);

#endif
