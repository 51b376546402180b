/* SPDX-License-Identifier: MIT */
/*
 * ACPI power/reset registers for a hardware-reduced platform: the guest
 * powers off by writing SLP_TYP (from \_S5, 5) | SLP_EN to the sleep control
 * register, and reboots by writing RESET_VALUE to the reset register. There
 * are no sleeping states (no \_S1-\_S4), so the status register has nothing
 * to report and reads 0.
 *
 * Each byte of a wider access is treated as an access to its own register,
 * as on an 8-bit IO bus.
 */
#include "devices/acpi_pm.h"

#include "acpi/aml_devices.h"
#include "vmm/log.h"
#include "vmm/state.h"
#include "vmm/vm.h"

static int acpi_pm_create(struct vm *vm, struct device *dev)
{
	return vm_register_pio(vm, dev, ACPI_PM_BASE, ACPI_PM_LEN);
}

/* ACPI 6.4 §4.8.3.7 Sleep Control Register. */
static void acpi_pm_sleep_control(struct device *dev, uint8_t v)
{
	unsigned typ = (v & ACPI_PM_SLP_TYP_MASK) >> ACPI_PM_SLP_TYP_SHIFT;

	if (!(v & ACPI_PM_SLP_EN))
		return; /* SLP_TYP alone does nothing until SLP_EN is written */
	if (typ == ACPI_SLP_TYP_S5) {
		log_info("acpi_pm: the guest powered off (S5)");
		vm_request(dev->vm, VM_REQ_EXIT, EXIT_POWEROFF);
		return;
	}
	log_guest("acpi_pm: ignoring sleep request SLP_TYP %u (only S5 is offered)", typ);
}

/* ACPI 6.4 §4.8.3.6 Reset Register. */
static void acpi_pm_reset(struct device *dev, uint8_t v)
{
	if (v != ACPI_PM_RESET_VALUE) {
		log_guest("acpi_pm: ignoring reset register write 0x%02x (RESET_VALUE is 0x%02x)", v,
			  ACPI_PM_RESET_VALUE);
		return;
	}
	log_info("acpi_pm: the guest requested a reset");
	vm_request(dev->vm, VM_REQ_RESET, 0);
}

static uint64_t acpi_pm_read(struct device *dev, uint64_t off, unsigned len)
{
	return 0; /* write-only control and reset registers; status never has WAK_STS */
}

static void acpi_pm_write(struct device *dev, uint64_t off, unsigned len, uint64_t val)
{
	for (unsigned i = 0; i < len && i < 8; i++) {
		uint8_t v = (uint8_t)(val >> (8 * i));

		switch (ACPI_PM_BASE + off + i) {
		case ACPI_PM_SLEEP_CONTROL:
			acpi_pm_sleep_control(dev, v);
			break;
		case ACPI_PM_SLEEP_STATUS:
			break; /* write 1 to clear WAK_STS, which is never set */
		case ACPI_PM_RESET:
			acpi_pm_reset(dev, v);
			break;
		default:
			break; /* reserved bytes of the range */
		}
	}
}

/*
 * Record "acpi_pm" v1 has no fields: the registers are write-only or read 0
 * (hardware-reduced ACPI has no PM1 blocks, and no sleep state sets
 * WAK_STS), and a write acts at once. The record still marks the device in
 * the file, so a load checks the machine has it, and a later version that
 * keeps register state has its place.
 */
static int acpi_pm_save(struct device *dev, struct state_writer *w)
{
	state_record_begin(w, "acpi_pm", 1);
	return state_record_end(w);
}

static int acpi_pm_load(struct device *dev, struct state_reader *r)
{
	uint32_t version;

	return state_record_open(r, "acpi_pm", 1, &version);
}

const struct device_ops acpi_pm_ops = {
	.name = "acpi_pm",
	.create = acpi_pm_create,
	.io_read = acpi_pm_read,
	.io_write = acpi_pm_write,
	.save = acpi_pm_save,
	.load = acpi_pm_load,
};
