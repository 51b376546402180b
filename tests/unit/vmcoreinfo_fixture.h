/* SPDX-License-Identifier: MIT */
/*
 * A rig for the vmcoreinfo devices' tests (devices/vmcoreinfo.c,
 * devices/vmcoreinfo_fwcfg.c): 64 KiB of guest RAM at 0, a vm with fw_cfg
 * on it and one device created from the ops given, driven through fw_cfg
 * DMA with a descriptor at DESC_GPA and its data at DATA_GPA.
 * Static inline only: every test file is linked into one binary.
 */
#ifndef MICROVM_TESTS_VMCOREINFO_FIXTURE_H
#define MICROVM_TESTS_VMCOREINFO_FIXTURE_H

#include <criterion/criterion.h>
#include <stdlib.h>

#include "devices/fw_cfg.h"
#include "vmm/device.h"
#include "vmm/guest_mem.h"
#include "vmm/vm.h"

#define RAM_SIZE (64 * 1024)
#define DESC_GPA 0x1000
#define DATA_GPA 0x2000

struct rig {
	uint8_t *ram;
	struct vm *vm;
	struct device dev;
};

static inline void rig_init_ops(struct rig *g, const struct device_ops *ops)
{
	g->ram = calloc(1, RAM_SIZE);
	g->vm = calloc(1, sizeof(*g->vm));
	cr_assert(g->ram && g->vm);
	cr_assert_eq(gm_add_region(&g->vm->mem, 0, RAM_SIZE, g->ram), 0);
	g->vm->vm_fd = -1;
	g->vm->fwcfg = fwcfg_new(&g->vm->mem);
	cr_assert_not_null(g->vm->fwcfg);
	g->dev = (struct device){ .ops = ops, .vm = g->vm };
	cr_assert_eq(ops->create(g->vm, &g->dev), 0);
}

static inline void rig_fini(struct rig *g)
{
	g->dev.ops->destroy(&g->dev);
	fwcfg_free(g->vm->fwcfg);
	free(g->vm);
	free(g->ram);
}

#endif
