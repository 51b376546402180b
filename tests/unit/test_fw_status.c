/* SPDX-License-Identifier: MIT */
/*
 * devices/fw_status.c through the port bus: a failure status from the
 * firmware ends the VM; the firmware's OK disarms the port until the next
 * reset, so a kernel's later writes are ignored.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "devices/fw_status.h"
#include "firmware/boot_abi.h"
#include "vmm/bus.h"
#include "vmm/state.h"
#include "vmm/vm.h"

static struct vm vm;
static struct device dev = { .ops = &fw_status_ops, .vm = &vm };

static void setup(void)
{
	memset(&vm, 0, sizeof(vm));
	vm.wake_fd = -1; /* vm_request's wake-up write fails quietly */
	bus_init(&vm.pio, "pio");
	cr_assert_eq(fw_status_ops.create(&vm, &dev), 0);
}

static void teardown(void)
{
	fw_status_ops.destroy(&dev);
	bus_free(&vm.pio);
}

TestSuite(fw_status, .init = setup, .fini = teardown);

Test(fw_status, failure_before_ok_ends_the_vm)
{
	cr_assert(bus_find(&vm.pio, MVBOOT_STATUS_PORT, 1));
	bus_write(&vm.pio, MVBOOT_STATUS_PORT, 1, MVBOOT_STATUS_LOADER);
	cr_assert_eq(vm.request, VM_REQ_EXIT);
	cr_assert_eq(vm.exit_status, EXIT_GUEST_FAULT);
}

Test(fw_status, writes_after_ok_are_ignored)
{
	bus_write(&vm.pio, MVBOOT_STATUS_PORT, 1, MVBOOT_STATUS_OK);
	cr_assert_eq(vm.request, VM_RUN);
	for (unsigned v = 0; v < 256; v++)
		bus_write(&vm.pio, MVBOOT_STATUS_PORT, 1, v);
	bus_write(&vm.pio, MVBOOT_STATUS_PORT, 4, 0x02020202);
	cr_assert_eq(vm.request, VM_RUN, "the kernel's write to 0x50C ended the VM");
}

Test(fw_status, reset_rearms)
{
	bus_write(&vm.pio, MVBOOT_STATUS_PORT, 1, MVBOOT_STATUS_OK);
	fw_status_ops.reset(&dev);
	bus_write(&vm.pio, MVBOOT_STATUS_PORT, 1, MVBOOT_STATUS_BOOT);
	cr_assert_eq(vm.request, VM_REQ_EXIT, "the firmware's failure after a reset went unheard");
	cr_assert_eq(vm.exit_status, EXIT_GUEST_FAULT);
}

/* Save after OK, load into a fresh (armed) device: it stays disarmed. */
Test(fw_status, disarmed_state_survives_save_and_load)
{
	static struct vm vm2;
	struct device dev2 = { .ops = &fw_status_ops, .vm = &vm2 };
	struct state_writer w;
	struct state_reader r;
	const uint8_t *data;
	size_t len;

	memset(&vm2, 0, sizeof(vm2));
	vm2.wake_fd = -1;
	bus_init(&vm2.pio, "pio");
	cr_assert_eq(fw_status_ops.create(&vm2, &dev2), 0);
	bus_write(&vm.pio, MVBOOT_STATUS_PORT, 1, MVBOOT_STATUS_OK);
	state_writer_init(&w);
	cr_assert_eq(fw_status_ops.save(&dev, &w), 0);
	data = state_writer_finish(&w, &len);
	cr_assert(data);
	cr_assert_eq(state_reader_init(&r, data, len), 0);
	cr_assert_eq(fw_status_ops.load(&dev2, &r), 0);
	bus_write(&vm2.pio, MVBOOT_STATUS_PORT, 1, MVBOOT_STATUS_LOADER);
	cr_assert_eq(vm2.request, VM_RUN);
	state_writer_free(&w);
	fw_status_ops.destroy(&dev2);
	bus_free(&vm2.pio);
}

Test(fw_status, load_refuses_a_bad_armed_value)
{
	struct state_writer w;
	struct state_reader r;
	const uint8_t *data;
	size_t len;

	state_writer_init(&w);
	state_record_begin(&w, "fw-status", 1);
	state_put_u8(&w, "armed", 7);
	cr_assert_eq(state_record_end(&w), 0);
	data = state_writer_finish(&w, &len);
	cr_assert_eq(state_reader_init(&r, data, len), 0);
	cr_assert_eq(fw_status_ops.load(&dev, &r), -EINVAL);
	cr_assert_str_eq(r.err.msg, "state: record fw-status: field armed is 7, out of range for a bool");
	/* Still armed: the firmware's failure is still heard. */
	bus_write(&vm.pio, MVBOOT_STATUS_PORT, 1, MVBOOT_STATUS_LOADER);
	cr_assert_eq(vm.request, VM_REQ_EXIT);
	state_writer_free(&w);
}
