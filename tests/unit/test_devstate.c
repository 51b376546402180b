/* SPDX-License-Identifier: MIT */
/*
 * vmm/devstate.c: the whole machine's devices (vmm/machine.c's table) saved
 * into one "devices" node and loaded into a second machine; files that do
 * not match the machine refused before any device changes; dtc reads it.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <libfdt.h>
#include <stdlib.h>
#include <string.h>

#include "devices/fw_cfg.h"
#include "devices/i8042.h"
#include "devices/pvpanic.h"
#include "devices/serial.h"
#include "devices/vmcoreinfo.h"
#include "tests/unit/state_fixture.h"
#include "tests/unit/tool_fixture.h"
#include "vmm/devstate.h"
#include "vmm/e820.h"
#include "vmm/guest_mem.h"
#include "vmm/machine.h"
#include "vmm/state.h"
#include "vmm/util.h"
#include "vmm/vm.h"

#define RAM_SIZE (64 * 1024) /* guest RAM the DMA sees; the machine says 256 MiB */
#define DESC_GPA 0x1000
#define DATA_GPA 0x2000
#define SERIAL_SCR 7

struct machine_rig {
	struct vm *vm;
	uint8_t *ram;
};

static void rig_init(struct machine_rig *m, unsigned vmcoreinfo, bool debug_exit)
{
	struct errbuf err = { "" };

	m->ram = calloc(1, RAM_SIZE);
	m->vm = calloc(1, sizeof(*m->vm));
	cr_assert(m->ram && m->vm);
	m->vm->vm_fd = -1;
	m->vm->wake_fd = -1;
	m->vm->cfg.mem_size = 256 * MiB;
	m->vm->cfg.nr_cpus = 1;
	m->vm->cfg.vmcoreinfo = vmcoreinfo;
	m->vm->cfg.debug_exit = debug_exit;
	cr_assert_eq(gm_add_region(&m->vm->mem, 0, RAM_SIZE, m->ram), 0);
	bus_init(&m->vm->pio, "pio");
	bus_init(&m->vm->mmio, "mmio");
	cr_assert_eq(e820_build(&m->vm->e820, m->vm->cfg.mem_size), 0);
	cr_assert_eq(machine_create_devices(m->vm, &err), 0, "%s", err.msg);
}

static void rig_fini(struct machine_rig *m)
{
	machine_destroy_devices(m->vm);
	bus_free(&m->vm->pio);
	bus_free(&m->vm->mmio);
	free(m->vm);
	free(m->ram);
}

static uint8_t in8(struct machine_rig *m, uint16_t port)
{
	return (uint8_t)bus_read(&m->vm->pio, port, 1);
}

static void out8(struct machine_rig *m, uint16_t port, uint8_t v)
{
	bus_write(&m->vm->pio, port, 1, v);
}

/* The firmware's WRITE_POINTER: the address into etc/vmcoreinfo-addr by fw_cfg DMA. */
static void publish_vmcoreinfo(struct machine_rig *m, uint64_t addr)
{
	int key = fwcfg_file_key(m->vm->fwcfg, VMCOREINFO_ADDR_FILE);

	cr_assert_geq(key, 0);
	put_le64(m->ram + DATA_GPA, addr);
	put_be32(m->ram + DESC_GPA, (uint32_t)key << 16 | FWCFG_DMA_SELECT | FWCFG_DMA_WRITE);
	put_be32(m->ram + DESC_GPA + 4, 8);
	put_be64(m->ram + DESC_GPA + 8, DATA_GPA);
	fwcfg_dma_transfer(m->vm->fwcfg, DESC_GPA);
	cr_assert_eq(get_be32(m->ram + DESC_GPA), 0);
}

/* devices_save of m into a finished blob, copied (the caller frees it). */
static uint8_t *save(struct machine_rig *m, size_t *len)
{
	struct state_writer w;
	const uint8_t *d;
	uint8_t *copy;

	state_writer_init(&w);
	cr_assert_eq(devices_save(m->vm, &w), 0, "%s", w.err.msg);
	d = state_writer_finish(&w, len);
	cr_assert_not_null(d, "%s", w.err.msg);
	copy = malloc(*len);
	memcpy(copy, d, *len);
	state_writer_free(&w);
	return copy;
}

static int load(struct machine_rig *m, const uint8_t *blob, size_t len, struct errbuf *err)
{
	struct state_reader r;

	cr_assert_eq(state_reader_init(&r, blob, len), 0, "%s", r.err.msg);
	return devices_load(m->vm, &r, err);
}

Test(devstate, whole_machine_round_trip)
{
	struct machine_rig a, b;
	struct errbuf err = { "" };
	struct state_reader r;
	const char *name;
	uint8_t *blob;
	size_t len;
	int iter = 0;

	rig_init(&a, VMCI_MODE_ACPI, true);
	rig_init(&b, VMCI_MODE_ACPI, true);
	out8(&a, SERIAL_BASE + SERIAL_SCR, 0x42);
	out8(&a, I8042_CMD_PORT, 0xaa);
	out8(&a, PVPANIC_PORT, PVPANIC_PANICKED);
	publish_vmcoreinfo(&a, 0x7000028);
	blob = save(&a, &len);
	cr_assert_eq(load(&b, blob, len, &err), 0, "%s", err.msg);

	cr_assert_eq(in8(&b, SERIAL_BASE + SERIAL_SCR), 0x42);
	cr_assert_eq(in8(&b, I8042_DATA_PORT), 0x55);
	cr_assert(pvpanic_panicked(vm_find_device(b.vm, &pvpanic_ops)));
	cr_assert_eq(vmcoreinfo_addr(vm_find_device(b.vm, &vmcoreinfo_ops)), 0x7000028);
	cr_assert_eq(get_le64(fwcfg_file_data(b.vm->fwcfg, VMCOREINFO_ADDR_FILE, NULL)), 0x7000028);

	/* One record per device with state, in machine order; debug-exit keeps none. */
	cr_assert_eq(state_reader_init(&r, blob, len), 0);
	cr_assert_eq(state_node_enter(&r, "devices"), 0);
	static const char *const order[] = { "fw_cfg", "fw-status", "serial", "i8042",
					     "acpi_pm", "ged", "pvpanic", "vmcoreinfo" };
	for (unsigned i = 0; i < ARRAY_SIZE(order); i++) {
		cr_assert_eq(state_child_next(&r, &iter, &name), 1);
		cr_assert_str_eq(name, order[i]);
	}
	cr_assert_eq(state_child_next(&r, &iter, &name), 0);
	free(blob);
	rig_fini(&a);
	rig_fini(&b);
}

/* Saved by one machine, loaded by another: refused with the device named, and nothing changed. */
static void assert_mismatch(unsigned mode_a, unsigned mode_b, const char *why)
{
	struct machine_rig a, b;
	struct errbuf err = { "" };
	uint8_t *blob;
	size_t len;

	rig_init(&a, mode_a, false);
	rig_init(&b, mode_b, false);
	out8(&a, SERIAL_BASE + SERIAL_SCR, 0x42);
	blob = save(&a, &len);
	cr_assert_eq(load(&b, blob, len, &err), -EINVAL, "accepted: %s", why);
	cr_assert(strstr(err.msg, why), "%s", err.msg);
	cr_assert_eq(in8(&b, SERIAL_BASE + SERIAL_SCR), 0, "a device changed before the refusal");
	free(blob);
	rig_fini(&a);
	rig_fini(&b);
}

Test(devstate, other_machines_are_refused)
{
	assert_mismatch(VMCI_MODE_ACPI, VMCI_MODE_FWCFG,
			"the file has state for device vmcoreinfo, which this VM does not have");
	assert_mismatch(VMCI_MODE_FWCFG, VMCI_MODE_NONE,
			"the file has state for device vmcoreinfo-fwcfg, which this VM does not have");
	assert_mismatch(VMCI_MODE_NONE, VMCI_MODE_ACPI,
			"the file has no state for device vmcoreinfo of this VM");
}

/* debug-exit keeps no state: its presence does not matter. */
Test(devstate, stateless_devices_do_not_matter)
{
	struct machine_rig a, b;
	struct errbuf err = { "" };
	uint8_t *blob;
	size_t len;

	rig_init(&a, VMCI_MODE_FWCFG, true);
	rig_init(&b, VMCI_MODE_FWCFG, false);
	blob = save(&a, &len);
	cr_assert_eq(load(&b, blob, len, &err), 0, "%s", err.msg);
	free(blob);
	rig_fini(&a);
	rig_fini(&b);
}

Test(devstate, a_device_refusal_is_one_line)
{
	struct machine_rig a, b;
	struct errbuf err = { "" };
	uint8_t *blob;
	size_t len;
	int node;

	rig_init(&a, VMCI_MODE_NONE, false);
	rig_init(&b, VMCI_MODE_NONE, false);
	blob = save(&a, &len);
	node = fdt_path_offset(blob, "/devices/serial");
	cr_assert_geq(node, 0);
	cr_assert_eq(fdt_setprop_inplace_u32(blob, node, "ier", 0x10), 0);
	state_seal(blob);
	cr_assert_eq(load(&b, blob, len, &err), -EINVAL);
	cr_assert_str_eq(err.msg, "state: record serial: IER 0x10 has reserved bits set");
	free(blob);
	rig_fini(&a);
	rig_fini(&b);
}

Test(devstate, no_devices_node_refused)
{
	struct machine_rig b;
	struct errbuf err = { "" };
	struct state_writer w;
	struct state_reader r;
	const uint8_t *blob;
	size_t len;

	rig_init(&b, VMCI_MODE_NONE, false);
	state_writer_init(&w);
	blob = state_writer_finish(&w, &len);
	cr_assert_eq(state_reader_init(&r, blob, len), 0);
	cr_assert_eq(devices_load(b.vm, &r, &err), -ENOENT);
	cr_assert_str_eq(err.msg, "state: node / has no node devices");
	state_writer_free(&w);
	rig_fini(&b);
}

/* Every device's field names are ones dtc takes without a warning. */
Test(devstate, dtc_reads_every_device_without_a_warning)
{
	struct machine_rig a;
	uint8_t *blob;
	size_t len;
	char *text;

	if (!tool_installed("dtc"))
		cr_skip("dtc is not installed (package device-tree-compiler)");
	rig_init(&a, VMCI_MODE_FWCFG, true);
	blob = save(&a, &len);
	text = tool_run_on("dtc -I dtb -O dts", blob, len);
	cr_assert_not_null(text, "dtc failed");
	cr_assert(strstr(text, "serial {"), "%s", text);
	cr_assert(strstr(text, "file-0 {"), "%s", text);
	cr_assert(strstr(text, "path = \"etc/vmcoreinfo\";"), "%s", text);
	cr_assert_null(strstr(text, "Warning"), "%s", text);
	free(text);
	free(blob);
	rig_fini(&a);
}
