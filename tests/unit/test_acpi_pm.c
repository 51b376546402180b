/* SPDX-License-Identifier: MIT */
/*
 * devices/acpi_pm.c through the port bus, as a guest's out instructions
 * reach it: poweroff with SLP_TYP 5 | SLP_EN, reset with RESET_VALUE, and
 * everything else ignored without touching the run state.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "devices/acpi_pm.h"
#include "vmm/bus.h"
#include "vmm/state.h"
#include "vmm/vm.h"

static struct vm vm;
static struct device dev = { .ops = &acpi_pm_ops, .vm = &vm };

static void setup(void)
{
	memset(&vm, 0, sizeof(vm));
	vm.wake_fd = -1; /* vm_request's wake-up write fails quietly */
	bus_init(&vm.pio, "pio");
	cr_assert_eq(acpi_pm_ops.create(&vm, &dev), 0);
}

static void teardown(void)
{
	bus_free(&vm.pio);
}

TestSuite(acpi_pm, .init = setup, .fini = teardown);

Test(acpi_pm, registers_its_ports)
{
	const struct bus_range *r = bus_find(&vm.pio, ACPI_PM_SLEEP_CONTROL, 1);

	cr_assert(r);
	cr_assert_eq(r->base, ACPI_PM_BASE);
	cr_assert_eq(r->len, ACPI_PM_LEN);
	cr_assert_eq(r->dev, &dev);
	cr_assert(bus_find(&vm.pio, ACPI_PM_RESET, 1));
	cr_assert_eq(ACPI_PM_SLEEP_STATUS, ACPI_PM_BASE + 1);
}

Test(acpi_pm, s5_powers_off)
{
	bus_write(&vm.pio, ACPI_PM_SLEEP_CONTROL, 1, (5 << 2) | 0x20); /* what Linux writes: 0x34 */
	cr_assert_eq(vm.request, VM_REQ_EXIT);
	cr_assert_eq(vm.exit_status, EXIT_POWEROFF);
}

Test(acpi_pm, sleep_type_without_slp_en_does_nothing)
{
	bus_write(&vm.pio, ACPI_PM_SLEEP_CONTROL, 1, 5 << 2);
	cr_assert_eq(vm.request, VM_RUN);
}

Test(acpi_pm, other_sleep_states_are_ignored)
{
	for (unsigned typ = 0; typ < 8; typ++) {
		if (typ == 5)
			continue;
		bus_write(&vm.pio, ACPI_PM_SLEEP_CONTROL, 1, (typ << 2) | 0x20);
	}
	cr_assert_eq(vm.request, VM_RUN);
}

Test(acpi_pm, reset_value_resets)
{
	bus_write(&vm.pio, ACPI_PM_RESET, 1, 0x41);
	cr_assert_eq(vm.request, VM_RUN, "a wrong value is ignored");
	bus_write(&vm.pio, ACPI_PM_RESET, 1, ACPI_PM_RESET_VALUE);
	cr_assert_eq(vm.request, VM_REQ_RESET);
}

Test(acpi_pm, wide_write_hits_each_byte)
{
	/* A 4-byte write at the status register: byte 0 status, byte 3 the reset register. */
	bus_write(&vm.pio, ACPI_PM_SLEEP_STATUS, 4, (uint64_t)ACPI_PM_RESET_VALUE << 24 | 0x80);
	cr_assert_eq(vm.request, VM_REQ_RESET);
}

Test(acpi_pm, reads_are_zero)
{
	cr_assert_eq(bus_read(&vm.pio, ACPI_PM_SLEEP_STATUS, 1), 0, "WAK_STS never set");
	cr_assert_eq(bus_read(&vm.pio, ACPI_PM_SLEEP_CONTROL, 1), 0);
	cr_assert_eq(bus_read(&vm.pio, ACPI_PM_RESET, 1), 0);
	bus_write(&vm.pio, ACPI_PM_SLEEP_STATUS, 1, 0xFF);
	bus_write(&vm.pio, ACPI_PM_BASE + 7, 1, 0xFF);
	cr_assert_eq(vm.request, VM_RUN);
}

/* The record carries no fields (write-only registers), but it is there and versioned. */
Test(acpi_pm, record_round_trip_and_version)
{
	struct state_writer w;
	struct state_reader r;
	const uint8_t *data;
	size_t len;

	state_writer_init(&w);
	cr_assert_eq(acpi_pm_ops.save(&dev, &w), 0);
	data = state_writer_finish(&w, &len);
	cr_assert_not_null(data, "%s", w.err.msg);
	cr_assert_eq(state_reader_init(&r, data, len), 0, "%s", r.err.msg);
	cr_assert_eq(acpi_pm_ops.load(&dev, &r), 0, "%s", r.err.msg);
	state_writer_free(&w);

	state_writer_init(&w);
	state_record_begin(&w, "acpi_pm", 2);
	state_record_end(&w);
	data = state_writer_finish(&w, &len);
	cr_assert_eq(state_reader_init(&r, data, len), 0);
	cr_assert_eq(acpi_pm_ops.load(&dev, &r), -EPROTONOSUPPORT);
	state_writer_free(&w);
}
