/* SPDX-License-Identifier: MIT */
/*
 * The firmware's report port. The firmware writes MVBOOT_STATUS_OK just
 * before it jumps to the kernel, or a failure code after printing the reason
 * on COM1, and then stops. A halted vCPU never exits to the VMM with the
 * in-kernel irqchip, so this port is how a firmware failure ends microvm
 * with a clear message instead of a silent hang.
 *
 * The port listens to the firmware only: the OK status disarms it until the
 * next VM reset, when the firmware runs again. Whatever the kernel writes
 * there later is guest misbehaviour (logged, rate-limited, ignored), never
 * a reason to stop the VM.
 */
#include "devices/fw_status.h"

#include <errno.h>
#include <stdlib.h>

#include "firmware/boot_abi.h"
#include "vmm/log.h"
#include "vmm/state.h"
#include "vmm/vm.h"

/* Guest-visible state. */
struct fw_status {
	uint8_t armed; /* 1 from reset until the firmware reports OK */
};

static int fw_status_create(struct vm *vm, struct device *dev)
{
	struct fw_status *st = calloc(1, sizeof(*st));
	int rc;

	if (!st)
		return -ENOMEM;
	st->armed = 1;
	rc = vm_register_pio(vm, dev, MVBOOT_STATUS_PORT, 1);
	if (rc) {
		free(st);
		return rc;
	}
	dev->priv = st;
	return 0;
}

static void fw_status_destroy(struct device *dev)
{
	free(dev->priv);
	dev->priv = NULL;
}

static void fw_status_reset(struct device *dev)
{
	struct fw_status *st = dev->priv;

	st->armed = 1;
}

static const char *status_text(uint8_t s)
{
	switch (s) {
	case MVBOOT_STATUS_NO_FWCFG:
		return "fw_cfg is missing or lacks DMA";
	case MVBOOT_STATUS_LOADER:
		return "the linker/loader script (etc/table-loader) failed";
	case MVBOOT_STATUS_BOOT:
		return "the boot hand-off (" MVBOOT_FILE ") is missing or malformed";
	default:
		return "unknown failure";
	}
}

static void fw_status_write(struct device *dev, uint64_t off, unsigned len, uint64_t val)
{
	struct fw_status *st = dev->priv;
	uint8_t s = (uint8_t)val;

	if (!st->armed) {
		log_guest("firmware: status port 0x%x written (0x%02x) after the kernel started; ignored",
			  MVBOOT_STATUS_PORT, s);
		return;
	}
	if (s == MVBOOT_STATUS_OK) {
		st->armed = 0;
		atomic_store(&dev->vm->console_at_entry, atomic_load(&dev->vm->console_bytes));
		log_info("firmware: ACPI tables placed, entering the kernel");
		return;
	}
	log_err("firmware: stopped with status %u: %s (its message is on the console above); %s", s,
		status_text(s),
		dev->vm->cfg.nr_fwcfg ? "check the files given with --fw-cfg"
				      : "this is a microvm bug, please report it");
	vm_request(dev->vm, VM_REQ_EXIT, EXIT_GUEST_FAULT);
}

/* Record "fw-status" v1: whether the port still listens to the firmware. */
static int fw_status_save(struct device *dev, struct state_writer *w)
{
	struct fw_status *st = dev->priv;

	state_record_begin(w, "fw-status", 1);
	state_put_bool(w, "armed", st->armed);
	return state_record_end(w);
}

static int fw_status_load(struct device *dev, struct state_reader *r)
{
	struct fw_status *st = dev->priv;
	uint32_t version;
	bool armed;
	int rc;

	if ((rc = state_record_open(r, "fw-status", 1, &version)) ||
	    (rc = state_get_bool(r, "armed", &armed)))
		return rc;
	st->armed = armed;
	return 0;
}

const struct device_ops fw_status_ops = {
	.name = "fw-status",
	.create = fw_status_create,
	.destroy = fw_status_destroy,
	.reset = fw_status_reset,
	.io_write = fw_status_write,
	.save = fw_status_save,
	.load = fw_status_load,
};
