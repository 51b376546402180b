/* SPDX-License-Identifier: MIT */
/*
 * devices/pvpanic.c through the port bus, as the guest's in/out reach it:
 * the read offers exactly PANICKED | CRASH_LOADED, PANICKED asks the run
 * loop for the panic policy once per boot, CRASH_LOADED and unknown bits
 * leave the run state alone.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "devices/pvpanic.h"
#include "vmm/bus.h"
#include "vmm/state.h"
#include "vmm/vm.h"

static struct vm vm;
static struct device dev = { .ops = &pvpanic_ops, .vm = &vm };

static void setup(void)
{
	memset(&vm, 0, sizeof(vm));
	vm.wake_fd = -1; /* vm_request's wake-up write fails quietly */
	bus_init(&vm.pio, "pio");
	dev.priv = NULL;
	cr_assert_eq(pvpanic_ops.create(&vm, &dev), 0);
}

static void teardown(void)
{
	pvpanic_ops.destroy(&dev);
	bus_free(&vm.pio);
}

TestSuite(pvpanic, .init = setup, .fini = teardown);

Test(pvpanic, read_offers_exactly_panicked_and_crash_loaded)
{
	cr_assert_eq(bus_read(&vm.pio, PVPANIC_PORT, 1), 0x3);
	cr_assert_eq(PVPANIC_PANICKED | PVPANIC_CRASH_LOADED, 0x3);
	cr_assert_eq(atomic_load(&vm.request), VM_RUN, "a read changes nothing");
}

Test(pvpanic, panicked_requests_the_policy)
{
	cr_assert(!pvpanic_panicked(&dev));
	bus_write(&vm.pio, PVPANIC_PORT, 1, PVPANIC_PANICKED);
	cr_assert_eq(atomic_load(&vm.request), VM_REQ_PANIC);
	cr_assert(pvpanic_panicked(&dev));
}

/*
 * An exit that outranks the panic request (another vCPU's fault or
 * debug-exit right after PANICKED, before the vCPUs stop) leaves the panic
 * pending, so the run loop still dumps it; it used to be lost.
 */
Test(pvpanic, panic_survives_a_later_exit_request)
{
	bus_write(&vm.pio, PVPANIC_PORT, 1, PVPANIC_PANICKED);
	vm_request(&vm, VM_REQ_EXIT, EXIT_GUEST_FAULT);
	cr_assert_eq(atomic_load(&vm.request), VM_REQ_EXIT);
	cr_assert(vm_take_panic(&vm), "the panic is still to be handled");
	cr_assert(!vm_take_panic(&vm), "and only once");
}

/* An exit first, then PANICKED: the panic is pending too (the exit keeps its status). */
Test(pvpanic, panic_after_an_exit_request_is_pending)
{
	vm_request(&vm, VM_REQ_EXIT, 3);
	bus_write(&vm.pio, PVPANIC_PORT, 1, PVPANIC_PANICKED);
	cr_assert_eq(atomic_load(&vm.exit_status), 3);
	cr_assert(vm_take_panic(&vm));
}

Test(pvpanic, panicked_with_other_bits_still_panics)
{
	bus_write(&vm.pio, PVPANIC_PORT, 1, 0x80 | PVPANIC_PANICKED);
	cr_assert_eq(atomic_load(&vm.request), VM_REQ_PANIC);
}

Test(pvpanic, crash_loaded_only_logs)
{
	bus_write(&vm.pio, PVPANIC_PORT, 1, PVPANIC_CRASH_LOADED);
	cr_assert_eq(atomic_load(&vm.request), VM_RUN, "no dump, no policy: the guest's kdump handles it");
	cr_assert(!pvpanic_panicked(&dev));
}

Test(pvpanic, unknown_bits_ignored)
{
	bus_write(&vm.pio, PVPANIC_PORT, 1, 0xFC);
	bus_write(&vm.pio, PVPANIC_PORT, 1, 0);
	cr_assert_eq(atomic_load(&vm.request), VM_RUN);
	cr_assert(!pvpanic_panicked(&dev));
}

/* A guest that panics again before a reset gets no second dump. */
Test(pvpanic, second_panic_before_reset_ignored)
{
	bus_write(&vm.pio, PVPANIC_PORT, 1, PVPANIC_PANICKED);
	cr_assert_eq(atomic_load(&vm.request), VM_REQ_PANIC);
	atomic_store(&vm.request, VM_RUN); /* the run loop handled it and resumed (policy "dump") */
	bus_write(&vm.pio, PVPANIC_PORT, 1, PVPANIC_PANICKED);
	cr_assert_eq(atomic_load(&vm.request), VM_RUN, "the second PANICKED is ignored");
	pvpanic_ops.reset(&dev);
	cr_assert(!pvpanic_panicked(&dev), "a reset forgets the panic");
	bus_write(&vm.pio, PVPANIC_PORT, 1, PVPANIC_PANICKED);
	cr_assert_eq(atomic_load(&vm.request), VM_REQ_PANIC, "after a reset, a panic counts again");
}

/* Save a panicked device, load into a fresh one: its next PANICKED is the second of the boot. */
Test(pvpanic, panicked_survives_save_and_load)
{
	static struct vm vm2;
	struct device dev2 = { .ops = &pvpanic_ops, .vm = &vm2 };
	struct state_writer w;
	struct state_reader r;
	const uint8_t *data;
	size_t len;

	memset(&vm2, 0, sizeof(vm2));
	vm2.wake_fd = -1;
	bus_init(&vm2.pio, "pio");
	cr_assert_eq(pvpanic_ops.create(&vm2, &dev2), 0);
	bus_write(&vm.pio, PVPANIC_PORT, 1, PVPANIC_PANICKED);
	state_writer_init(&w);
	cr_assert_eq(pvpanic_ops.save(&dev, &w), 0);
	data = state_writer_finish(&w, &len);
	cr_assert_not_null(data, "%s", w.err.msg);
	cr_assert_eq(state_reader_init(&r, data, len), 0, "%s", r.err.msg);
	cr_assert_eq(pvpanic_ops.load(&dev2, &r), 0, "%s", r.err.msg);
	cr_assert(pvpanic_panicked(&dev2));
	bus_write(&vm2.pio, PVPANIC_PORT, 1, PVPANIC_PANICKED);
	cr_assert_eq(atomic_load(&vm2.request), VM_RUN, "one dump per boot, across a restore");
	state_writer_free(&w);
	pvpanic_ops.destroy(&dev2);
	bus_free(&vm2.pio);
}

Test(pvpanic, load_refuses_a_bad_flag)
{
	struct state_writer w;
	struct state_reader r;
	const uint8_t *data;
	size_t len;

	state_writer_init(&w);
	state_record_begin(&w, "pvpanic", 1);
	state_put_u32(&w, "panicked", 2);
	state_record_end(&w);
	data = state_writer_finish(&w, &len);
	cr_assert_eq(state_reader_init(&r, data, len), 0);
	cr_assert_eq(pvpanic_ops.load(&dev, &r), -EINVAL);
	cr_assert_str_eq(r.err.msg, "state: record pvpanic: field panicked is 2, out of range for a bool");
	cr_assert(!pvpanic_panicked(&dev));
	state_writer_free(&w);
}
