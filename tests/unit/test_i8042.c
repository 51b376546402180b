/* SPDX-License-Identifier: MIT */
/*
 * devices/i8042.c through the port bus: the self-tests a probe runs, the
 * reset commands, and the state record (a command waiting for its data byte
 * and a full output buffer survive; impossible values are refused).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "devices/i8042.h"
#include "vmm/bus.h"
#include "vmm/state.h"
#include "vmm/vm.h"

#define STATUS_OBF 0x01
#define STATUS_CMD 0x08

static struct vm vm, vm2;
static struct device dev = { .ops = &i8042_ops, .vm = &vm };
static struct device dev2 = { .ops = &i8042_ops, .vm = &vm2 };

static void setup(void)
{
	memset(&vm, 0, sizeof(vm));
	memset(&vm2, 0, sizeof(vm2));
	vm.wake_fd = vm2.wake_fd = -1; /* vm_request's wake-up write fails quietly */
	bus_init(&vm.pio, "pio");
	bus_init(&vm2.pio, "pio");
	cr_assert_eq(i8042_ops.create(&vm, &dev), 0);
	cr_assert_eq(i8042_ops.create(&vm2, &dev2), 0);
}

static void teardown(void)
{
	i8042_ops.destroy(&dev);
	i8042_ops.destroy(&dev2);
	bus_free(&vm.pio);
	bus_free(&vm2.pio);
}

TestSuite(i8042, .init = setup, .fini = teardown);

static void cmd(struct vm *v, uint8_t c)
{
	bus_write(&v->pio, I8042_CMD_PORT, 1, c);
}

static uint8_t status(struct vm *v)
{
	return (uint8_t)bus_read(&v->pio, I8042_CMD_PORT, 1);
}

static uint8_t data(struct vm *v)
{
	return (uint8_t)bus_read(&v->pio, I8042_DATA_PORT, 1);
}

Test(i8042, self_test_and_reset_command)
{
	cmd(&vm, 0xaa);
	cr_assert(status(&vm) & STATUS_OBF);
	cr_assert_eq(data(&vm), 0x55);
	cr_assert_eq(status(&vm) & STATUS_OBF, 0);
	cmd(&vm, 0xfe);
	cr_assert_eq(atomic_load(&vm.request), VM_REQ_RESET);
}

static void save_load(struct state_writer *w, struct state_reader *r)
{
	const uint8_t *blob;
	size_t len;

	state_writer_init(w);
	cr_assert_eq(i8042_ops.save(&dev, w), 0);
	blob = state_writer_finish(w, &len);
	cr_assert_not_null(blob, "%s", w->err.msg);
	cr_assert_eq(state_reader_init(r, blob, len), 0, "%s", r->err.msg);
}

Test(i8042, pending_command_and_output_buffer_survive)
{
	struct state_writer w;
	struct state_reader r;

	cmd(&vm, 0xaa); /* 0x55 waits in the output buffer */
	cmd(&vm, 0x60); /* and the controller waits for the new CTR */
	save_load(&w, &r);
	cr_assert_eq(i8042_ops.load(&dev2, &r), 0, "%s", r.err.msg);
	state_writer_free(&w);
	cr_assert_eq(status(&vm2), status(&vm));
	cr_assert_eq(status(&vm2) & (STATUS_OBF | STATUS_CMD), STATUS_OBF | STATUS_CMD);
	cr_assert_eq(data(&vm2), 0x55);
	bus_write(&vm2.pio, I8042_DATA_PORT, 1, 0x07);
	cmd(&vm2, 0x20);
	cr_assert_eq(data(&vm2), 0x07, "the data byte went to the CTR");
}

Test(i8042, impossible_values_are_refused)
{
	struct state_writer w;
	struct state_reader r;
	const uint8_t *blob;
	size_t len;

	cmd(&vm2, 0xaa);
	state_writer_init(&w);
	state_record_begin(&w, "i8042", 1);
	state_put_u8(&w, "ctr", 0);
	state_put_u8(&w, "out", 0);
	state_put_bool(&w, "out_full", false);
	state_put_u8(&w, "pending", 0x20); /* READ_CTR takes no data byte */
	state_put_bool(&w, "last_was_cmd", true);
	state_record_end(&w);
	blob = state_writer_finish(&w, &len);
	cr_assert_eq(state_reader_init(&r, blob, len), 0);
	cr_assert_eq(i8042_ops.load(&dev2, &r), -EINVAL);
	cr_assert_str_eq(r.err.msg, "state: record i8042: pending command 0x20 takes no data byte");
	cr_assert(status(&vm2) & STATUS_OBF, "unchanged by the refusal");
	cr_assert_eq(data(&vm2), 0x55);
	state_writer_free(&w);
}
