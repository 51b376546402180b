/* SPDX-License-Identifier: MIT */
/*
 * devices/ged.c through the port bus, as the guest's _EVT method reaches
 * it: a power button press is read once from the event selector, then the
 * selector reads 0; the line is asserted exactly while a press is pending;
 * reset forgets the press; accesses of other widths or offsets, and writes,
 * change nothing; the pending press survives save and load.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "devices/ged.h"
#include "vmm/bus.h"
#include "vmm/state.h"
#include "vmm/vm.h"

static struct vm vm;
static struct device dev = { .ops = &ged_ops, .vm = &vm };

static void rig(struct vm *v, struct device *d)
{
	memset(v, 0, sizeof(*v));
	v->vm_fd = -1; /* no KVM: the line is tracked by the device only */
	v->wake_fd = -1;
	bus_init(&v->pio, "pio");
	d->priv = NULL;
	cr_assert_eq(ged_ops.create(v, d), 0);
	ged_ops.reset(d);
}

static void unrig(struct vm *v, struct device *d)
{
	ged_ops.destroy(d);
	bus_free(&v->pio);
}

static void setup(void)
{
	rig(&vm, &dev);
}

static void teardown(void)
{
	unrig(&vm, &dev);
}

TestSuite(ged, .init = setup, .fini = teardown);

static uint64_t selector(struct vm *v)
{
	return bus_read(&v->pio, GED_PORT, 4);
}

Test(ged, nothing_pending_at_power_on)
{
	cr_assert(!ged_irq_asserted(&dev));
	cr_assert_eq(selector(&vm), 0);
}

Test(ged, a_press_is_read_once)
{
	ged_power_button(&dev);
	cr_assert(ged_irq_asserted(&dev), "the line is raised by the press");
	cr_assert_eq(selector(&vm), GED_EVT_POWER_BUTTON);
	cr_assert(!ged_irq_asserted(&dev), "the read drops the line");
	cr_assert_eq(selector(&vm), 0, "and clears the event");
	cr_assert_eq(GED_EVT_POWER_BUTTON, 0x02, "bit 1, as _EVT tests it");
}

/* Presses before the guest reads are one event: the button was pressed. */
Test(ged, presses_before_a_read_merge)
{
	ged_power_button(&dev);
	ged_power_button(&dev);
	cr_assert_eq(selector(&vm), GED_EVT_POWER_BUTTON);
	cr_assert_eq(selector(&vm), 0);
	ged_power_button(&dev);
	cr_assert(ged_irq_asserted(&dev), "a press after the read is a new event");
	cr_assert_eq(selector(&vm), GED_EVT_POWER_BUTTON);
}

Test(ged, reset_forgets_a_press)
{
	ged_power_button(&dev);
	ged_ops.reset(&dev);
	cr_assert(!ged_irq_asserted(&dev));
	cr_assert_eq(selector(&vm), 0);
}

/* Other widths and offsets read all-ones and leave the press pending. */
Test(ged, odd_reads_change_nothing)
{
	ged_power_button(&dev);
	cr_assert_eq(bus_read(&vm.pio, GED_PORT, 1), 0xFF);
	cr_assert_eq(bus_read(&vm.pio, GED_PORT, 2), 0xFFFF);
	cr_assert_eq(bus_read(&vm.pio, GED_PORT + 1, 1), 0xFF);
	cr_assert_eq(bus_read(&vm.pio, GED_PORT + 2, 2), 0xFFFF);
	cr_assert_eq(bus_read(&vm.pio, GED_PORT + 3, 1), 0xFF);
	cr_assert_eq(ged_ops.io_read(&dev, 0, 8), ~0ULL);
	cr_assert_eq(ged_ops.io_read(&dev, 4, 4), 0xFFFFFFFF);
	cr_assert_eq(bus_read(&vm.pio, GED_PORT + 1, 4), 0xFFFFFFFF, "past the range: no device");
	cr_assert(ged_irq_asserted(&dev));
	cr_assert_eq(selector(&vm), GED_EVT_POWER_BUTTON);
}

/* Writes are ignored: they neither clear a press nor make one. */
Test(ged, writes_change_nothing)
{
	static const uint64_t vals[] = { 0, GED_EVT_POWER_BUTTON, 0xFFFFFFFF };

	for (unsigned i = 0; i < 3; i++) {
		bus_write(&vm.pio, GED_PORT, 4, vals[i]);
		bus_write(&vm.pio, GED_PORT + 1, 1, vals[i]);
		ged_ops.io_write(&dev, 0, 8, vals[i]);
	}
	cr_assert(!ged_irq_asserted(&dev));
	cr_assert_eq(selector(&vm), 0);
	ged_power_button(&dev);
	for (unsigned i = 0; i < 3; i++)
		bus_write(&vm.pio, GED_PORT, 4, vals[i]);
	cr_assert(ged_irq_asserted(&dev));
	cr_assert_eq(selector(&vm), GED_EVT_POWER_BUTTON);
}

static const uint8_t *save(struct device *d, struct state_writer *w, size_t *len)
{
	const uint8_t *data;

	state_writer_init(w);
	cr_assert_eq(ged_ops.save(d, w), 0, "%s", w->err.msg);
	data = state_writer_finish(w, len);
	cr_assert_not_null(data, "%s", w->err.msg);
	return data;
}

/* A press the guest had not read when saved is pending, line and all, after the load. */
Test(ged, a_pending_press_survives_save_and_load)
{
	static struct vm vm2;
	struct device dev2 = { .ops = &ged_ops, .vm = &vm2 };
	struct state_writer w;
	struct state_reader r;
	const uint8_t *data;
	size_t len;

	rig(&vm2, &dev2);
	ged_power_button(&dev);
	data = save(&dev, &w, &len);
	cr_assert_eq(state_reader_init(&r, data, len), 0, "%s", r.err.msg);
	cr_assert_eq(ged_ops.load(&dev2, &r), 0, "%s", r.err.msg);
	cr_assert(ged_irq_asserted(&dev2));
	cr_assert_eq(selector(&vm2), GED_EVT_POWER_BUTTON);
	cr_assert_eq(selector(&vm2), 0);
	state_writer_free(&w);

	/* And nothing pending loads as nothing pending. */
	data = save(&dev2, &w, &len);
	cr_assert_eq(state_reader_init(&r, data, len), 0, "%s", r.err.msg);
	cr_assert_eq(ged_ops.load(&dev, &r), 0, "%s", r.err.msg);
	cr_assert(!ged_irq_asserted(&dev));
	cr_assert_eq(selector(&vm), 0);
	state_writer_free(&w);
	unrig(&vm2, &dev2);
}

/* A "ged" record written by hand, ready to load from r. */
static void hand_made(struct state_writer *w, struct state_reader *r, uint32_t version,
		      uint32_t pending)
{
	const uint8_t *data;
	size_t len;

	state_writer_init(w);
	state_record_begin(w, "ged", version);
	state_put_u32(w, "pending", pending);
	state_record_end(w);
	data = state_writer_finish(w, &len);
	cr_assert_not_null(data, "%s", w->err.msg);
	cr_assert_eq(state_reader_init(r, data, len), 0, "%s", r->err.msg);
}

Test(ged, load_refuses_unknown_events)
{
	struct state_writer w;
	struct state_reader r;

	ged_power_button(&dev);
	hand_made(&w, &r, 1, 0x05);
	cr_assert_eq(ged_ops.load(&dev, &r), -EINVAL);
	cr_assert_str_eq(r.err.msg,
			 "state: record ged: pending events 0x5 include unknown bits (known: 0x2)");
	cr_assert(ged_irq_asserted(&dev), "the refused load left the device as it was");
	cr_assert_eq(selector(&vm), GED_EVT_POWER_BUTTON);
	state_writer_free(&w);
}

Test(ged, load_refuses_a_newer_record)
{
	struct state_writer w;
	struct state_reader r;

	hand_made(&w, &r, 2, 0);
	cr_assert_eq(ged_ops.load(&dev, &r), -EPROTONOSUPPORT, "%s", r.err.msg);
	state_writer_free(&w);
}
