/* SPDX-License-Identifier: MIT */
/*
 * The machine: one ordered table of devices. Reading this file shows the
 * whole guest-visible platform. Order matters: fw_cfg comes first so the
 * devices after it can add their files; reset runs in the same order.
 */
#include "vmm/machine.h"

#include <errno.h>
#include <string.h>

#include "devices/acpi_pm.h"
#include "devices/debug_exit.h"
#include "devices/fw_cfg.h"
#include "devices/fw_status.h"
#include "devices/ged.h"
#include "devices/i8042.h"
#include "devices/pvpanic.h"
#include "devices/vmcoreinfo.h"
#include "devices/vmcoreinfo_fwcfg.h"
#include "devices/serial.h"
#include "vmm/acpi_build.h"
#include "vmm/vm.h"

struct machine_slot {
	const struct device_ops *ops;
	/* NULL: always present; else present when it returns true. */
	bool (*wanted)(const struct vm_config *cfg);
};

static bool want_debug_exit(const struct vm_config *cfg)
{
	return cfg->debug_exit;
}

static bool want_vmcoreinfo(const struct vm_config *cfg)
{
	return cfg->vmcoreinfo == VMCI_MODE_ACPI;
}

static bool want_vmcoreinfo_fwcfg(const struct vm_config *cfg)
{
	return cfg->vmcoreinfo == VMCI_MODE_FWCFG;
}

static const struct machine_slot machine[] = {
	{ &fwcfg_device_ops, NULL },	   /* 0x510..0x51B, first: others add files */
	{ &fw_status_ops, NULL },	   /* 0x50C: the firmware reports failures */
	{ &serial_ops, NULL },		   /* COM1 0x3F8, IRQ 4: the console */
	{ &i8042_ops, NULL },		   /* 0x60/0x64: reset via 0xFE */
	{ &debug_exit_ops, want_debug_exit }, /* 0x501: test guests' exit status */
	{ &acpi_pm_ops, NULL },		   /* 0x600: ACPI sleep control/status, reset register */
	{ &ged_ops, NULL },		   /* 0x610, IRQ 9: ACPI GED, the power button */
	{ &pvpanic_ops, NULL },		   /* 0x505: the guest reports panics */
	{ &vmcoreinfo_ops, want_vmcoreinfo }, /* fw_cfg files + SSDT: where the note is */
	{ &vmcoreinfo_fwcfg_ops, want_vmcoreinfo_fwcfg }, /* or QEMU's etc/vmcoreinfo record */
};

int machine_create_devices(struct vm *vm, struct errbuf *err)
{
	for (unsigned i = 0; i < sizeof(machine) / sizeof(machine[0]); i++) {
		struct device *dev;
		int r;

		if (machine[i].wanted && !machine[i].wanted(&vm->cfg))
			continue;
		if (vm->nr_devices == VM_MAX_DEVICES)
			return errf(err, -ENOSPC, "too many devices");
		dev = &vm->devices[vm->nr_devices];
		memset(dev, 0, sizeof(*dev));
		dev->ops = machine[i].ops;
		dev->vm = vm;
		r = dev->ops->create(vm, dev);
		if (r)
			return errf(err, r, "device %s: %s", dev->ops->name,
				    dev->why ? dev->why : strerror(-r));
		vm->nr_devices++;
	}
	return 0;
}

void machine_destroy_devices(struct vm *vm)
{
	while (vm->nr_devices) {
		struct device *dev = &vm->devices[--vm->nr_devices];
		if (dev->ops->destroy)
			dev->ops->destroy(dev);
	}
}

int machine_build_acpi(struct vm *vm, struct acpi_blobs *out, struct errbuf *err)
{
	struct acpi_build_cfg cfg = {
		.nr_cpus = vm->cfg.nr_cpus,
		.devices = vm->devices,
		.nr_devices = vm->nr_devices,
		.sleep_control_port = ACPI_PM_SLEEP_CONTROL,
		.sleep_status_port = ACPI_PM_SLEEP_STATUS,
		.reset_port = ACPI_PM_RESET,
		.reset_value = ACPI_PM_RESET_VALUE,
	};

	return acpi_build(&cfg, out, err);
}

void machine_reset_devices(struct vm *vm)
{
	for (unsigned i = 0; i < vm->nr_devices; i++)
		if (vm->devices[i].ops->reset)
			vm->devices[i].ops->reset(&vm->devices[i]);
}
