/* SPDX-License-Identifier: MIT */
/*
 * The firmware's report port. The firmware writes MVBOOT_STATUS_OK just
 * before it jumps to the kernel, or a failure code after printing the reason
 * on COM1, and then stops. A halted vCPU never exits to the VMM with the
 * in-kernel irqchip, so this port is how a firmware failure ends microvm
 * with a clear message instead of a silent hang.
 */
#include "devices/fw_status.h"

#include "firmware/boot_abi.h"
#include "vmm/log.h"
#include "vmm/vm.h"

static int fw_status_create(struct vm *vm, struct device *dev)
{
	return vm_register_pio(vm, dev, MVBOOT_STATUS_PORT, 1);
}

static const char *status_text(uint8_t s)
{
	switch (s) {
	case MVBOOT_STATUS_NO_FWCFG:
		return "fw_cfg is missing or lacks DMA";
	case MVBOOT_STATUS_LOADER:
		return "a linker/loader command failed";
	case MVBOOT_STATUS_BOOT:
		return "the boot hand-off (" MVBOOT_FILE ") is missing or malformed";
	default:
		return "unknown failure";
	}
}

static void fw_status_write(struct device *dev, uint64_t off, unsigned len, uint64_t val)
{
	uint8_t s = (uint8_t)val;

	if (s == MVBOOT_STATUS_OK) {
		log_info("firmware: ACPI tables placed, entering the kernel");
		return;
	}
	log_err("firmware: stopped with status %u: %s (its message is on the console above); %s", s,
		status_text(s),
		dev->vm->cfg.nr_fwcfg ? "check the files given with --fw-cfg"
				      : "this is a microvm bug, please report it");
	vm_request(dev->vm, VM_REQ_EXIT, EXIT_GUEST_FAULT);
}

const struct device_ops fw_status_ops = {
	.name = "fw-status",
	.create = fw_status_create,
	.io_write = fw_status_write,
};
