/* SPDX-License-Identifier: MIT */
/*
 * pvpanic, QEMU's ISA variant: reading the port returns the events the
 * device supports (Linux ignores a device that reads 0); the guest writes
 * PANICKED from its panic notifier, or CRASH_LOADED when its own kdump
 * kernel is about to take over. PANICKED starts the --on-panic policy (the
 * dump among it); CRASH_LOADED is logged only, since the guest handles that
 * crash itself.
 */
#include "devices/pvpanic.h"

#include "acpi/aml_devices.h"
#include "vmm/acpi_build.h"
#include "vmm/log.h"
#include "vmm/vm.h"

static int pvpanic_create(struct vm *vm, struct device *dev)
{
	return vm_register_pio(vm, dev, PVPANIC_PORT, 1);
}

static uint64_t pvpanic_read(struct device *dev, uint64_t off, unsigned len)
{
	return PVPANIC_PANICKED | PVPANIC_CRASH_LOADED;
}

static void pvpanic_write(struct device *dev, uint64_t off, unsigned len, uint64_t val)
{
	if (val & PVPANIC_PANICKED) {
		log_warn("pvpanic: the guest reported a kernel panic");
		vm_request(dev->vm, VM_REQ_PANIC, EXIT_GUEST_PANIC);
	} else if (val & PVPANIC_CRASH_LOADED) {
		log_warn("pvpanic: the guest crashed and is starting its own kdump kernel; no dump by microvm");
	} else if (val) {
		log_guest("pvpanic: ignoring unknown event bits 0x%llx", (unsigned long long)val);
	}
}

static int pvpanic_acpi(struct device *dev, struct acpi_ctx *ctx)
{
	acpi_ctx_append_sb(ctx, acpi_aml_pvpanic(acpi_ctx_arena(ctx), PVPANIC_PORT));
	return 0;
}

const struct device_ops pvpanic_ops = {
	.name = "pvpanic",
	.create = pvpanic_create,
	.io_read = pvpanic_read,
	.io_write = pvpanic_write,
	.acpi = pvpanic_acpi,
};
