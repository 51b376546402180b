/* SPDX-License-Identifier: MIT */
/*
 * The test guests' way out, compatible with QEMU's isa-debug-exit: a write
 * of value v ends microvm with status (v << 1) | 1. Present only with
 * --debug-exit, since any guest could otherwise end the VMM. A write acts at
 * once and nothing is kept, so there is no state record.
 */
#include "devices/debug_exit.h"

#include "vmm/log.h"
#include "vmm/vm.h"

static int debug_exit_create(struct vm *vm, struct device *dev)
{
	return vm_register_pio(vm, dev, DEBUG_EXIT_BASE, DEBUG_EXIT_SIZE);
}

static void debug_exit_write(struct device *dev, uint64_t off, unsigned len, uint64_t val)
{
	int status = (int)(((val << 1) | 1) & 0xff);

	log_info("debug-exit: guest wrote 0x%llx, exit status %d", (unsigned long long)val, status);
	vm_request(dev->vm, VM_REQ_EXIT, status);
}

const struct device_ops debug_exit_ops = {
	.name = "debug-exit",
	.create = debug_exit_create,
	.io_write = debug_exit_write,
};
