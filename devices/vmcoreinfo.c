/* SPDX-License-Identifier: MIT */
/*
 * The vmcoreinfo device (shared/DESIGN.md §6). The firmware ALLOCATEs the
 * 4 KiB "etc/vmcoreinfo" page in the HIGH zone, patches its address into the
 * SSDT's VCIA dword (ADD_POINTER) and writes page + 40 back into the
 * writable "etc/vmcoreinfo-addr" (WRITE_POINTER). The guest's driver finds
 * the page through \_SB.VMCI.ADDR and stores there where its VMCOREINFO note
 * is; the dumper reads it at panic time.
 *
 * The device's whole state is that 8-byte address. It is cleared on every
 * reset, before the firmware runs again, so a guest that has not published
 * yet is never mistaken for one that has.
 */
#include "devices/vmcoreinfo.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acpi/aml_devices.h"
#include "devices/fw_cfg.h"
#include "vmm/acpi_build.h"
#include "vmm/log.h"
#include "vmm/state.h"
#include "vmm/util.h"
#include "vmm/vm.h"

#define VMCOREINFO_STATE "vmcoreinfo"
#define VMCOREINFO_STATE_VERSION 1

struct vmcoreinfo {
	uint64_t addr; /* guest-visible state */
	struct fwcfg *fw;
};

uint64_t vmcoreinfo_addr(struct device *dev)
{
	struct vmcoreinfo *s = dev->priv;

	return s->addr;
}

/* fw_cfg calls this after each accepted DMA write to etc/vmcoreinfo-addr. */
static void addr_written(void *opaque, uint32_t offset, uint32_t len, const uint8_t *data,
			 uint32_t size)
{
	struct device *dev = opaque;
	struct vmcoreinfo *s = dev->priv;

	if (size != 8)
		return;
	s->addr = get_le64(data);
	/* Guest-triggered: any guest code may write the file, as often as it likes. */
	log_guest_info("vmcoreinfo: the firmware published the page at 0x%llx (address 0x%llx)",
		       (unsigned long long)(s->addr - VMCOREINFO_ADDR_OFFSET),
		       (unsigned long long)s->addr);
}

static void set_addr(struct device *dev, uint64_t addr)
{
	struct vmcoreinfo *s = dev->priv;
	uint32_t size;
	uint8_t *file = fwcfg_file_data(s->fw, VMCOREINFO_ADDR_FILE, &size);

	s->addr = addr;
	if (file && size == 8)
		put_le64(file, addr);
}

static int vmcoreinfo_create(struct vm *vm, struct device *dev)
{
	struct vmcoreinfo *s;
	int r;

	/* WRITE_POINTER needs fw_cfg DMA: without it the address could never come back. */
	if (!fwcfg_has_dma(vm->fwcfg)) {
		dev->why = "needs fw_cfg with DMA, which this machine lacks";
		return -ENODEV;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fw = vm->fwcfg;
	dev->priv = s;
	r = fwcfg_add_file(s->fw, VMCOREINFO_FILE, NULL, VMCOREINFO_PAGE_SIZE, false, NULL, NULL);
	if (!r)
		r = fwcfg_add_file(s->fw, VMCOREINFO_ADDR_FILE, NULL, 8, true, addr_written, dev);
	if (r) {
		free(s);
		dev->priv = NULL;
	}
	return r;
}

static void vmcoreinfo_destroy(struct device *dev)
{
	free(dev->priv);
	dev->priv = NULL;
}

static void vmcoreinfo_reset(struct device *dev)
{
	struct vmcoreinfo *s = dev->priv;
	uint64_t old = s->addr;

	set_addr(dev, 0);
	/* Logged so a test can see the order: cleared here, then the firmware publishes again. */
	if (old)
		log_guest_info("vmcoreinfo: reset: address 0x%llx cleared; the firmware publishes a fresh page",
			       (unsigned long long)old);
}

static int vmcoreinfo_save(struct device *dev, struct state_writer *w)
{
	struct vmcoreinfo *s = dev->priv;
	int r = state_record_begin(w, VMCOREINFO_STATE, VMCOREINFO_STATE_VERSION);

	if (!r)
		r = state_put_u64(w, "addr", s->addr);
	return r ? r : state_record_end(w);
}

static int vmcoreinfo_load(struct device *dev, struct state_reader *r)
{
	uint32_t version;
	uint64_t addr;
	int rc = state_record_open(r, VMCOREINFO_STATE, VMCOREINFO_STATE_VERSION, &version);

	if (!rc)
		rc = state_get_u64(r, "addr", &addr);
	if (rc)
		return rc;
	set_addr(dev, addr);
	return 0;
}

/*
 * Its own SSDT, the page allocation, the pointer into VCIA and the address
 * written back: every step is a loader command the firmware executes, so the
 * guest sees exactly what QEMU's firmware would produce.
 */
static int vmcoreinfo_acpi(struct device *dev, struct acpi_ctx *ctx)
{
	struct aml *body = acpi_aml_vmcoreinfo(acpi_ctx_arena(ctx));
	uint32_t table_off, patch_off;
	int r;

	r = acpi_ctx_add_ssdt(ctx, ACPI_VMCOREINFO_OEM_TABLE_ID, body, &table_off);
	if (!r)
		r = acpi_ctx_patch_offset(ctx, table_off, body, ACPI_VMCOREINFO_LABEL, &patch_off);
	if (!r)
		r = acpi_ctx_allocate(ctx, VMCOREINFO_FILE, VMCOREINFO_PAGE_SIZE, ACPI_LOADER_ZONE_HIGH);
	if (!r)
		r = acpi_ctx_add_pointer(ctx, ACPI_TABLES_FILE, VMCOREINFO_FILE, patch_off, 4);
	if (!r)
		r = acpi_ctx_write_pointer(ctx, VMCOREINFO_ADDR_FILE, VMCOREINFO_FILE, 0,
					   VMCOREINFO_ADDR_OFFSET, 8);
	return r;
}

const struct device_ops vmcoreinfo_ops = {
	.name = "vmcoreinfo",
	.create = vmcoreinfo_create,
	.destroy = vmcoreinfo_destroy,
	.reset = vmcoreinfo_reset,
	.save = vmcoreinfo_save,
	.load = vmcoreinfo_load,
	.acpi = vmcoreinfo_acpi,
};
