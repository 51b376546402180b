/* SPDX-License-Identifier: MIT */
/*
 * QEMU's fw_cfg vmcoreinfo device. The file is
 * {le16 host_format; le16 guest_format; le32 size; le64 paddr}; the host
 * offers host_format ELF (1), the guest writes the whole record with
 * guest_format ELF and the note's place. As in QEMU, only a write of all 16
 * bytes at offset 0 counts as publishing; smaller writes change the file's
 * bytes (fw_cfg semantics) but not the device's state. A record whose
 * guest_format is 0 (NONE) says there is no note. Reset clears it, so a guest
 * that has not published since power-on is never mistaken for one that has.
 */
#include "devices/vmcoreinfo_fwcfg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/fw_cfg.h"
#include "devices/vmcoreinfo.h"
#include "vmm/log.h"
#include "vmm/state.h"
#include "vmm/util.h"
#include "vmm/vm.h"

#define VMCI_FWCFG_STATE "vmcoreinfo-fwcfg"
#define VMCI_FWCFG_STATE_VERSION 1

struct vmci_fwcfg {
	struct vmci_fwcfg_rec rec; /* guest-visible state */
	struct fwcfg *fw;
};

const struct vmci_fwcfg_rec *vmcoreinfo_fwcfg_record(struct device *dev)
{
	struct vmci_fwcfg *s = dev->priv;

	return &s->rec;
}

/* The file shows the state: host_format, then the record the guest wrote (or zeros). */
static void sync_file(struct vmci_fwcfg *s)
{
	uint32_t size;
	uint8_t *f = fwcfg_file_data(s->fw, VMCOREINFO_FILE, &size);

	if (!f || size != VMCI_FWCFG_SIZE)
		return;
	put_le16(f + VMCI_FWCFG_HOST_FORMAT, VMCI_FWCFG_FORMAT_ELF);
	put_le16(f + VMCI_FWCFG_GUEST_FORMAT, s->rec.written ? s->rec.guest_format : 0);
	put_le32(f + VMCI_FWCFG_NOTE_SIZE, s->rec.written ? s->rec.size : 0);
	put_le64(f + VMCI_FWCFG_PADDR, s->rec.written ? s->rec.paddr : 0);
}

/* fw_cfg calls this after each DMA WRITE it accepted into the file. */
static void record_written(void *opaque, uint32_t offset, uint32_t len, const uint8_t *data,
			   uint32_t size)
{
	struct vmci_fwcfg *s = opaque;
	uint16_t format;

	if (offset != 0 || len != VMCI_FWCFG_SIZE || size != VMCI_FWCFG_SIZE) {
		log_guest("vmcoreinfo: guest wrote %u bytes at offset %u of etc/vmcoreinfo; only a whole 16-byte record counts",
			  len, offset);
		return;
	}
	format = get_le16(data + VMCI_FWCFG_GUEST_FORMAT);
	s->rec.written = true;
	s->rec.guest_format = format;
	s->rec.size = get_le32(data + VMCI_FWCFG_NOTE_SIZE);
	s->rec.paddr = get_le64(data + VMCI_FWCFG_PADDR);
	log_info("vmcoreinfo: the guest published format %u, note at 0x%llx, %u bytes", format,
		  (unsigned long long)s->rec.paddr, s->rec.size);
}

static int vmci_fwcfg_create(struct vm *vm, struct device *dev)
{
	struct vmci_fwcfg *s;
	int r;

	/* Linux's driver writes the record only through DMA (qemu_fw_cfg.c). */
	if (!fwcfg_has_dma(vm->fwcfg)) {
		dev->why = "needs fw_cfg with DMA, which this machine lacks";
		return -ENODEV;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fw = vm->fwcfg;
	r = fwcfg_add_file(s->fw, VMCOREINFO_FILE, NULL, VMCI_FWCFG_SIZE, true, record_written, s);
	if (r) {
		free(s);
		return r;
	}
	dev->priv = s;
	sync_file(s);
	return 0;
}

static void vmci_fwcfg_destroy(struct device *dev)
{
	free(dev->priv);
	dev->priv = NULL;
}

static void vmci_fwcfg_reset(struct device *dev)
{
	struct vmci_fwcfg *s = dev->priv;

	memset(&s->rec, 0, sizeof(s->rec));
	sync_file(s);
}

/*
 * Record "vmcoreinfo-fwcfg" v1: the record the guest last published whole.
 * The file's bytes are fw_cfg's (it saves every writable file), since a
 * partial write may have changed them without publishing.
 */
static int vmci_fwcfg_save(struct device *dev, struct state_writer *w)
{
	struct vmci_fwcfg *s = dev->priv;

	state_record_begin(w, VMCI_FWCFG_STATE, VMCI_FWCFG_STATE_VERSION);
	state_put_bool(w, "written", s->rec.written);
	state_put_u16(w, "guest_format", s->rec.guest_format);
	state_put_u32(w, "size", s->rec.size);
	state_put_u64(w, "paddr", s->rec.paddr);
	return state_record_end(w);
}

static int vmci_fwcfg_load(struct device *dev, struct state_reader *r)
{
	struct vmci_fwcfg *s = dev->priv;
	struct vmci_fwcfg_rec rec = { 0 };
	uint32_t version;
	int rc;

	if ((rc = state_record_open(r, VMCI_FWCFG_STATE, VMCI_FWCFG_STATE_VERSION, &version)) ||
	    (rc = state_get_bool(r, "written", &rec.written)) ||
	    (rc = state_get_u16(r, "guest_format", &rec.guest_format)) ||
	    (rc = state_get_u32(r, "size", &rec.size)) || (rc = state_get_u64(r, "paddr", &rec.paddr)))
		return rc;
	/* Reset zeroes the record and only a whole write sets written. */
	if (!rec.written && (rec.guest_format || rec.size || rec.paddr))
		return state_invalid(r, "a record that was never published has values");
	s->rec = rec;
	return 0;
}

const struct device_ops vmcoreinfo_fwcfg_ops = {
	.name = "vmcoreinfo-fwcfg",
	.create = vmci_fwcfg_create,
	.destroy = vmci_fwcfg_destroy,
	.reset = vmci_fwcfg_reset,
	.save = vmci_fwcfg_save,
	.load = vmci_fwcfg_load,
};
