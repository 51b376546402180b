/* SPDX-License-Identifier: MIT */
/*
 * The device model. Every device is one file in devices/ exporting one const
 * struct device_ops; vmm/machine.c lists them in one ordered table that is
 * the whole machine. Ops are called with the VM's I/O lock held (see
 * vm->io_lock), so devices need no locking of their own.
 */
#ifndef MICROVM_DEVICE_H
#define MICROVM_DEVICE_H

#include <stdint.h>

struct vm;
struct device;
struct state_writer; /* vmm/state.h */
struct state_reader; /* vmm/state.h */
struct acpi_ctx;     /* vmm/acpi_build.h: DSDT body and SSDT list devices add to */

struct device_ops {
	const char *name;
	/*
	 * Allocate dev->priv, register IO/MMIO ranges and fw_cfg files. -errno on
	 * failure; a device may also point dev->why at its own reason.
	 */
	int (*create)(struct vm *vm, struct device *dev);
	/* Free what create allocated. */
	void (*destroy)(struct device *dev);
	/* Back to the power-on state; called on every VM reset before the firmware runs again. */
	void (*reset)(struct device *dev);
	/*
	 * Accesses to a registered range. off is relative to the range base, len is
	 * 1, 2, 4 or 8 and the value is little-endian (as the guest's mov/out sees it).
	 */
	uint64_t (*io_read)(struct device *dev, uint64_t off, unsigned len);
	void (*io_write)(struct device *dev, uint64_t off, unsigned len, uint64_t val);
	/*
	 * Guest-visible state as a versioned record named .name (vmm/state.h,
	 * vmm/devstate.c). Optional; a load refuses bad values and leaves the
	 * device unchanged then.
	 */
	int (*save)(struct device *dev, struct state_writer *w);
	int (*load)(struct device *dev, struct state_reader *r);
	/* Contribute AML to the DSDT or add an SSDT. Optional. */
	int (*acpi)(struct device *dev, struct acpi_ctx *ctx);
};

struct device {
	const struct device_ops *ops;
	struct vm *vm;
	void *priv;
	const char *why; /* set by a failing create: the reason, in words (static string) */
};

#endif
