/* SPDX-License-Identifier: MIT */
/*
 * The vmcoreinfo device (devices/vmcoreinfo.c) driven through fw_cfg DMA as
 * the firmware's WRITE_POINTER drives it, plus reset and its state record.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/fw_cfg.h"
#include "devices/vmcoreinfo.h"
#include "tests/unit/vmcoreinfo_fixture.h"
#include "vmm/state.h"
#include "vmm/util.h"
#include "vmm/vm.h"

/* The rig of vmcoreinfo_fixture.h around this file's device. */
static void rig_init(struct rig *g)
{
	rig_init_ops(g, &vmcoreinfo_ops);
}

/* What the firmware's WRITE_POINTER does: SELECT + WRITE of 8 bytes at offset 0. */
static uint32_t dma_write_addr(struct rig *g, uint64_t value)
{
	int key = fwcfg_file_key(g->vm->fwcfg, VMCOREINFO_ADDR_FILE);
	uint8_t *desc = g->ram + DESC_GPA;

	cr_assert_geq(key, FWCFG_KEY_FILE_FIRST);
	put_le64(g->ram + DATA_GPA, value);
	put_be32(desc, (uint32_t)key << 16 | FWCFG_DMA_SELECT | FWCFG_DMA_WRITE);
	put_be32(desc + 4, 8);
	put_be64(desc + 8, DATA_GPA);
	fwcfg_dma_transfer(g->vm->fwcfg, DESC_GPA);
	return get_be32(desc);
}

Test(vmcoreinfo, files_have_the_protocol_shape)
{
	struct rig g;
	uint32_t size;
	const uint8_t *page;

	rig_init(&g);
	page = fwcfg_file_data(g.vm->fwcfg, VMCOREINFO_FILE, &size);
	cr_assert_not_null(page);
	cr_assert_eq(size, 4096);
	for (uint32_t i = 0; i < size; i++)
		cr_assert_eq(page[i], 0);
	cr_assert_not_null(fwcfg_file_data(g.vm->fwcfg, VMCOREINFO_ADDR_FILE, &size));
	cr_assert_eq(size, 8);
	cr_assert_eq(vmcoreinfo_addr(&g.dev), 0);
	rig_fini(&g);
}

Test(vmcoreinfo, write_pointer_sets_the_address)
{
	struct rig g;

	rig_init(&g);
	cr_assert_eq(dma_write_addr(&g, 0x0ff01028ULL), 0);
	cr_assert_eq(vmcoreinfo_addr(&g.dev), 0x0ff01028ULL);
	rig_fini(&g);
}

Test(vmcoreinfo, guest_cannot_write_the_page_file)
{
	struct rig g;
	int key;
	uint8_t *desc;

	rig_init(&g);
	key = fwcfg_file_key(g.vm->fwcfg, VMCOREINFO_FILE);
	desc = g.ram + DESC_GPA;
	memset(g.ram + DATA_GPA, 0xab, 16);
	put_be32(desc, (uint32_t)key << 16 | FWCFG_DMA_SELECT | FWCFG_DMA_WRITE);
	put_be32(desc + 4, 16);
	put_be64(desc + 8, DATA_GPA);
	fwcfg_dma_transfer(g.vm->fwcfg, DESC_GPA);
	cr_assert_eq(get_be32(desc), FWCFG_DMA_ERROR);
	cr_assert_eq(fwcfg_file_data(g.vm->fwcfg, VMCOREINFO_FILE, NULL)[0], 0);
	rig_fini(&g);
}

Test(vmcoreinfo, reset_clears_state_and_file)
{
	struct rig g;
	uint32_t size;

	rig_init(&g);
	dma_write_addr(&g, 0x12345678);
	vmcoreinfo_ops.reset(&g.dev);
	cr_assert_eq(vmcoreinfo_addr(&g.dev), 0);
	cr_assert_eq(get_le64(fwcfg_file_data(g.vm->fwcfg, VMCOREINFO_ADDR_FILE, &size)), 0);
	rig_fini(&g);
}

Test(vmcoreinfo, state_round_trip)
{
	struct rig a, b;
	struct state_writer w;
	struct state_reader r;
	const uint8_t *data;
	size_t len;
	uint32_t size;

	rig_init(&a);
	rig_init(&b);
	dma_write_addr(&a, 0x1ff01028ULL);
	state_writer_init(&w);
	cr_assert_eq(vmcoreinfo_ops.save(&a.dev, &w), 0);
	data = state_writer_finish(&w, &len);
	cr_assert_not_null(data);
	cr_assert_eq(state_reader_init(&r, data, len), 0);
	cr_assert_eq(vmcoreinfo_ops.load(&b.dev, &r), 0, "%s", r.err.msg);
	cr_assert_eq(vmcoreinfo_addr(&b.dev), 0x1ff01028ULL);
	/* The guest reading etc/vmcoreinfo-addr after a restore sees the same value. */
	cr_assert_eq(get_le64(fwcfg_file_data(b.vm->fwcfg, VMCOREINFO_ADDR_FILE, &size)), 0x1ff01028ULL);
	state_writer_free(&w);
	rig_fini(&a);
	rig_fini(&b);
}

Test(vmcoreinfo, unknown_version_rejected)
{
	struct rig g;
	struct state_writer w;
	struct state_reader r;
	const uint8_t *data;
	size_t len;

	rig_init(&g);
	dma_write_addr(&g, 0x5000);
	state_writer_init(&w);
	cr_assert_eq(state_record_begin(&w, "vmcoreinfo", 2), 0);
	cr_assert_eq(state_put_u64(&w, "addr", 0x9999), 0);
	cr_assert_eq(state_record_end(&w), 0);
	data = state_writer_finish(&w, &len);
	cr_assert_eq(state_reader_init(&r, data, len), 0);
	cr_assert_eq(vmcoreinfo_ops.load(&g.dev, &r), -EPROTONOSUPPORT);
	cr_assert(strstr(r.err.msg, "vmcoreinfo"), "message: %s", r.err.msg);
	/* A refused record changes nothing. */
	cr_assert_eq(vmcoreinfo_addr(&g.dev), 0x5000);
	state_writer_free(&w);
	rig_fini(&g);
}

Test(vmcoreinfo, missing_record_rejected)
{
	struct rig g;
	struct state_writer w;
	struct state_reader r;
	const uint8_t *data;
	size_t len;

	rig_init(&g);
	state_writer_init(&w);
	cr_assert_eq(state_record_begin(&w, "serial", 1), 0);
	cr_assert_eq(state_record_end(&w), 0);
	data = state_writer_finish(&w, &len);
	cr_assert_eq(state_reader_init(&r, data, len), 0);
	cr_assert_eq(vmcoreinfo_ops.load(&g.dev, &r), -ENOENT);
	state_writer_free(&w);
	rig_fini(&g);
}

/* fw_cfg without DMA (no guest memory): the device refuses to exist. */
Test(vmcoreinfo, refused_without_fwcfg_dma)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	struct device dev = { .ops = &vmcoreinfo_ops, .vm = vm };

	vm->vm_fd = -1;
	cr_assert_eq(vmcoreinfo_ops.create(vm, &dev), -ENODEV); /* no fw_cfg at all */
	vm->fwcfg = fwcfg_new(NULL);
	cr_assert_not_null(vm->fwcfg);
	cr_assert_eq(vmcoreinfo_ops.create(vm, &dev), -ENODEV); /* fw_cfg without DMA */
	cr_assert_eq(fwcfg_file_key(vm->fwcfg, VMCOREINFO_FILE), -ENOENT);
	/* The device gives its own reason; vmm/machine.c only prints it. */
	cr_assert_str_eq(dev.why, "needs fw_cfg with DMA, which this machine lacks");
	fwcfg_free(vm->fwcfg);
	free(vm);
}
