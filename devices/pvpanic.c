/* SPDX-License-Identifier: MIT */
/*
 * pvpanic, QEMU's ISA variant: reading the port returns the events the
 * device supports (Linux ignores a device that reads 0); the guest writes
 * PANICKED from its panic notifier, or CRASH_LOADED when its own kdump
 * kernel is about to take over. PANICKED starts the --on-panic policy (the
 * dump among it); CRASH_LOADED is logged only, since the guest handles that
 * crash itself.
 *
 * The device remembers that the guest panicked until the next reset: a
 * second PANICKED in the same boot is ignored (one dump per boot, whatever
 * a looping guest does), and the run loop asks pvpanic_panicked() so a run
 * that panicked never ends with a clean status.
 */
#include "devices/pvpanic.h"

#include <errno.h>
#include <stdlib.h>

#include "acpi/aml_devices.h"
#include "vmm/acpi_build.h"
#include "vmm/log.h"
#include "vmm/state.h"
#include "vmm/vm.h"

struct pvpanic {
	bool panicked; /* PANICKED written since power-on or the last reset */
};

bool pvpanic_panicked(struct device *dev)
{
	struct pvpanic *s = dev->priv;

	return s->panicked;
}

static int pvpanic_create(struct vm *vm, struct device *dev)
{
	int r;

	dev->priv = calloc(1, sizeof(struct pvpanic));
	if (!dev->priv)
		return -ENOMEM;
	r = vm_register_pio(vm, dev, PVPANIC_PORT, 1);
	if (r) {
		free(dev->priv);
		dev->priv = NULL;
	}
	return r;
}

static void pvpanic_destroy(struct device *dev)
{
	free(dev->priv);
	dev->priv = NULL;
}

static void pvpanic_reset(struct device *dev)
{
	struct pvpanic *s = dev->priv;

	s->panicked = false;
}

static uint64_t pvpanic_read(struct device *dev, uint64_t off, unsigned len)
{
	return PVPANIC_PANICKED | PVPANIC_CRASH_LOADED;
}

static void pvpanic_write(struct device *dev, uint64_t off, unsigned len, uint64_t val)
{
	struct pvpanic *s = dev->priv;

	if (val & PVPANIC_PANICKED) {
		if (s->panicked) {
			log_guest("pvpanic: the guest reported another panic before a reset; ignored (one dump per boot)");
			return;
		}
		s->panicked = true;
		log_warn("pvpanic: the guest reported a kernel panic");
		vm_request(dev->vm, VM_REQ_PANIC, EXIT_GUEST_PANIC);
	} else if (val & PVPANIC_CRASH_LOADED) {
		log_guest("pvpanic: the guest crashed and is starting its own kdump kernel; no dump by microvm");
	} else if (val) {
		log_guest("pvpanic: ignoring unknown event bits 0x%llx", (unsigned long long)val);
	}
}

/*
 * Record "pvpanic" v1: whether the guest panicked in this boot, so a
 * restored guest that panics again is not dumped twice. The port's read
 * value is a constant.
 */
static int pvpanic_save(struct device *dev, struct state_writer *w)
{
	struct pvpanic *s = dev->priv;

	state_record_begin(w, "pvpanic", 1);
	state_put_bool(w, "panicked", s->panicked);
	return state_record_end(w);
}

static int pvpanic_load(struct device *dev, struct state_reader *r)
{
	struct pvpanic *s = dev->priv;
	uint32_t version;
	bool panicked;
	int rc;

	if ((rc = state_record_open(r, "pvpanic", 1, &version)) ||
	    (rc = state_get_bool(r, "panicked", &panicked)))
		return rc;
	s->panicked = panicked;
	return 0;
}

static int pvpanic_acpi(struct device *dev, struct acpi_ctx *ctx)
{
	acpi_ctx_append_sb(ctx, acpi_aml_pvpanic(acpi_ctx_arena(ctx), PVPANIC_PORT));
	return 0;
}

const struct device_ops pvpanic_ops = {
	.name = "pvpanic",
	.create = pvpanic_create,
	.destroy = pvpanic_destroy,
	.reset = pvpanic_reset,
	.io_read = pvpanic_read,
	.io_write = pvpanic_write,
	.save = pvpanic_save,
	.load = pvpanic_load,
	.acpi = pvpanic_acpi,
};
