/* SPDX-License-Identifier: MIT */
/*
 * The Generic Event Device of microvm's hardware-reduced ACPI platform: a
 * hardware-reduced machine has no SCI and no PM1 status bits, so a power
 * button press reaches the OS as a GED interrupt whose _EVT method reads
 * the event selector and notifies the PNP0C0C power button device.
 *
 * Guest view: one 32-bit register at GED_PORT. A read returns the pending
 * events and clears them (so _EVT sees each press once), which also drops
 * the interrupt line. Writes are ignored: there is nothing to acknowledge
 * beyond the read. Other widths and offsets are a guest's error: reads give
 * all-ones, nothing changes.
 *
 * The line is level-triggered and stays asserted while an event is pending,
 * so a press is delivered even if it comes while the OS has the pin masked
 * (before its GED driver binds, or while _EVT of the previous one runs).
 */
#include "devices/ged.h"

#include <errno.h>
#include <stdlib.h>

#include "acpi/aml_devices.h"
#include "vmm/acpi_build.h"
#include "vmm/log.h"
#include "vmm/state.h"
#include "vmm/vm.h"

struct ged {
	uint32_t pending; /* GED_EVT_* bits not yet read by the guest */
};

static void ged_update_irq(struct device *dev)
{
	struct ged *s = dev->priv;

	vm_irq_line(dev->vm, GED_IRQ, s->pending != 0);
}

void ged_power_button(struct device *dev)
{
	struct ged *s = dev->priv;

	log_info("ged: power button pressed");
	s->pending |= GED_EVT_POWER_BUTTON;
	ged_update_irq(dev);
}

bool ged_irq_asserted(struct device *dev)
{
	struct ged *s = dev->priv;

	return s->pending != 0;
}

static int ged_create(struct vm *vm, struct device *dev)
{
	int r;

	dev->priv = calloc(1, sizeof(struct ged));
	if (!dev->priv)
		return -ENOMEM;
	r = vm_register_pio(vm, dev, GED_PORT, GED_PORT_LEN);
	if (r) {
		free(dev->priv);
		dev->priv = NULL;
	}
	return r;
}

static void ged_destroy(struct device *dev)
{
	free(dev->priv);
	dev->priv = NULL;
}

/* A press not yet read is forgotten: the OS that would handle it is gone. */
static void ged_reset(struct device *dev)
{
	struct ged *s = dev->priv;

	s->pending = 0;
	ged_update_irq(dev);
}

static uint64_t ged_read(struct device *dev, uint64_t off, unsigned len)
{
	struct ged *s = dev->priv;
	uint32_t v;

	if (off != 0 || len != 4) {
		log_guest("ged: %u-byte read at offset %llu of the event selector ignored (one 32-bit register)",
			  len, (unsigned long long)off);
		return len >= 8 ? ~0ULL : (1ULL << (8 * len)) - 1;
	}
	v = s->pending;
	s->pending = 0;
	ged_update_irq(dev);
	return v;
}

static void ged_write(struct device *dev, uint64_t off, unsigned len, uint64_t val)
{
	log_guest("ged: %u-byte write of 0x%llx at offset %llu ignored (the event selector is read-only)",
		  len, (unsigned long long)val, (unsigned long long)off);
}

/* Record "ged" v1: the events the guest has not read yet (the line follows from them). */
static int ged_save(struct device *dev, struct state_writer *w)
{
	struct ged *s = dev->priv;

	state_record_begin(w, "ged", 1);
	state_put_u32(w, "pending", s->pending);
	return state_record_end(w);
}

static int ged_load(struct device *dev, struct state_reader *r)
{
	struct ged *s = dev->priv;
	uint32_t version, pending;
	int rc;

	if ((rc = state_record_open(r, "ged", 1, &version)) ||
	    (rc = state_get_u32(r, "pending", &pending)))
		return rc;
	if (pending & ~(uint32_t)GED_EVT_ALL)
		return state_invalid(r, "pending events 0x%x include unknown bits (known: 0x%x)",
				     pending, GED_EVT_ALL);
	s->pending = pending;
	/* KVM's irqchip state does not carry which source holds a line: set ours again. */
	ged_update_irq(dev);
	return 0;
}

static int ged_acpi(struct device *dev, struct acpi_ctx *ctx)
{
	struct aml_arena *a = acpi_ctx_arena(ctx);

	acpi_ctx_append_sb(ctx, acpi_aml_ged(a, GED_PORT, GED_IRQ, GED_EVT_POWER_BUTTON));
	acpi_ctx_append_sb(ctx, acpi_aml_power_button(a));
	return 0;
}

const struct device_ops ged_ops = {
	.name = "ged",
	.create = ged_create,
	.destroy = ged_destroy,
	.reset = ged_reset,
	.io_read = ged_read,
	.io_write = ged_write,
	.save = ged_save,
	.load = ged_load,
	.acpi = ged_acpi,
};
