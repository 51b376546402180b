/* SPDX-License-Identifier: MIT */
/*
 * fw_cfg as a device of the machine (vmm/machine.c's table): created with
 * QEMU's x86 items, its ports at 0x510, its ACPI node, and its state in
 * snapshots. Built on the engine's interface (devices/fw_cfg.h) alone; the
 * guest-facing semantics are devices/fw_cfg.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acpi/aml_devices.h"
#include "devices/fw_cfg.h"
#include "vmm/acpi_build.h"
#include "vmm/log.h"
#include "vmm/state.h"
#include "vmm/vm.h"

static int fwcfg_dev_create(struct vm *vm, struct device *dev)
{
	struct fwcfg *fw = fwcfg_new(&vm->mem);
	int rc;

	if (!fw)
		return -ENOMEM;
	rc = fwcfg_add_machine_items(fw, vm->cfg.mem_size, vm->cfg.nr_cpus, &vm->e820);
	if (rc == 0)
		rc = vm_register_pio(vm, dev, FWCFG_PORT_BASE, FWCFG_PORT_LEN);
	if (rc) {
		fwcfg_free(fw);
		return rc;
	}
	dev->priv = fw;
	vm->fwcfg = fw;
	return 0;
}

static void fwcfg_dev_destroy(struct device *dev)
{
	if (dev->vm && dev->vm->fwcfg == dev->priv)
		dev->vm->fwcfg = NULL;
	fwcfg_free(dev->priv);
	dev->priv = NULL;
}

static void fwcfg_dev_reset(struct device *dev)
{
	fwcfg_reset(dev->priv);
}

static uint64_t fwcfg_dev_read(struct device *dev, uint64_t off, unsigned len)
{
	return fwcfg_port_read(dev->priv, off, len);
}

static void fwcfg_dev_write(struct device *dev, uint64_t off, unsigned len, uint64_t val)
{
	fwcfg_port_write(dev->priv, off, len, val);
}

/* Device (FWCF), _HID "QEMU0002": the only way Linux's qemu_fw_cfg driver finds us. */
static int fwcfg_dev_acpi(struct device *dev, struct acpi_ctx *ctx)
{
	acpi_ctx_append_sb(ctx, acpi_aml_fwcfg(acpi_ctx_arena(ctx), FWCFG_PORT_BASE, FWCFG_PORT_LEN));
	return 0;
}

/*
 * Record "fw_cfg" v1: the selector state, then a child "file-N" per writable
 * file (path, data), since the guest changes those. Read-only items and
 * files are rebuilt identically at start-up and not saved.
 */
static int fwcfg_dev_save(struct device *dev, struct state_writer *w)
{
	struct fwcfg *fw = dev->priv;
	struct fwcfg_state st;
	const char *name;
	uint8_t *data;
	uint32_t size;
	bool writable;
	unsigned n = 0;

	fwcfg_get_state(fw, &st);
	state_record_begin(w, "fw_cfg", 1);
	state_put_u16(w, "cur_key", st.cur_key);
	state_put_u32(w, "cur_offset", st.cur_offset);
	state_put_u64(w, "dma_addr", st.dma_addr);
	for (unsigned i = 0; (name = fwcfg_file_at(fw, i, &data, &size, &writable)); i++) {
		char node[STATE_NAME_MAX + 1];

		if (!writable)
			continue;
		snprintf(node, sizeof(node), "file-%u", n++);
		state_node_begin(w, node);
		state_put_string(w, "path", name);
		state_put_bytes(w, "data", data, size);
		state_node_end(w);
	}
	return state_record_end(w);
}

/*
 * The selector state as the device itself keeps it: the guest may select a
 * key with no item (reads give 0), but then the offset never moved; with an
 * item it never passes the end; only the DMA address's high half is latched
 * (a low-half write starts the transfer and clears it).
 */
static int fwcfg_check_state(const struct fwcfg *fw, const struct fwcfg_state *st,
			     struct state_reader *r)
{
	uint32_t size = 0;

	fwcfg_item_data(fw, st->cur_key, &size);

	if (st->cur_offset > size)
		return state_invalid(r, "offset %u beyond the %u bytes of key 0x%x", st->cur_offset, size,
				     st->cur_key);
	if (st->dma_addr && !fwcfg_has_dma(fw))
		return state_invalid(r, "DMA address 0x%llx, but this fw_cfg has no DMA",
				     (unsigned long long)st->dma_addr);
	if ((uint32_t)st->dma_addr)
		return state_invalid(r, "DMA address 0x%llx is not a latched high half",
				     (unsigned long long)st->dma_addr);
	return 0;
}

/* Whether a name from a state file is safe to print on one line. */
static bool name_printable(const char *name)
{
	size_t n = strnlen(name, FWCFG_NAME_LEN);

	if (n == FWCFG_NAME_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (name[i] < 0x20 || name[i] > 0x7e)
			return false;
	return true;
}

/*
 * One "file-N" node of the entered fw_cfg record: the index of the writable
 * file it names, which must have the saved size, and the saved bytes in *data.
 */
static int fwcfg_load_file(struct fwcfg *fw, struct state_reader *r, const char *node,
			   const uint8_t **data)
{
	const char *path;
	uint8_t *cur;
	uint32_t size;
	bool writable = false;
	size_t len;
	int i, rc;

	if ((rc = state_node_enter(r, node)))
		return rc;
	if ((rc = state_get_string(r, "path", &path)) || (rc = state_get_blob(r, "data", data, &len)))
		goto out;
	i = fwcfg_file_key(fw, path);
	if (i >= 0)
		i -= FWCFG_KEY_FILE_FIRST;
	if (i < 0 || !fwcfg_file_at(fw, (unsigned)i, &cur, &size, &writable) || !writable)
		rc = state_invalid(r, "fw_cfg has no writable file %s here",
				   name_printable(path) ? path : "(by that unprintable name)");
	else if (len != size)
		rc = state_invalid(r, "fw_cfg file %s: %zu bytes saved, %u here", path, len, size);
	else
		rc = i;
out:
	state_node_leave(r);
	return rc;
}

static int fwcfg_dev_load(struct device *dev, struct state_reader *r)
{
	struct fwcfg *fw = dev->priv;
	unsigned nr = fwcfg_nr_files(fw);
	const uint8_t **data = calloc(nr + 1, sizeof(*data));
	struct fwcfg_state st;
	const char *node, *name;
	uint8_t *cur;
	uint32_t version, size;
	bool writable;
	int iter = 0, rc;

	if (!data)
		return errf(&r->err, -ENOMEM, "state: fw_cfg: out of memory");
	if ((rc = state_record_open(r, "fw_cfg", 1, &version)) ||
	    (rc = state_get_u16(r, "cur_key", &st.cur_key)) ||
	    (rc = state_get_u32(r, "cur_offset", &st.cur_offset)) ||
	    (rc = state_get_u64(r, "dma_addr", &st.dma_addr)) ||
	    (rc = fwcfg_check_state(fw, &st, r)) || (rc = state_node_enter(r, "fw_cfg")))
		goto out;
	while (state_child_next(r, &iter, &node)) {
		const uint8_t *d;

		rc = fwcfg_load_file(fw, r, node, &d);
		if (rc < 0)
			break;
		if (data[rc]) {
			rc = state_invalid(r, "fw_cfg file %s saved twice",
					   fwcfg_file_at(fw, (unsigned)rc, &cur, &size, &writable));
			break;
		}
		data[rc] = d;
		rc = 0;
	}
	state_node_leave(r);
	for (unsigned i = 0; !rc && (name = fwcfg_file_at(fw, i, &cur, &size, &writable)); i++)
		if (writable && !data[i])
			rc = errf(&r->err, -EINVAL, "state: record fw_cfg lacks writable file %s", name);
	if (rc)
		goto out;
	/* Everything checked: now change the device. */
	fwcfg_set_state(fw, &st);
	for (unsigned i = 0; fwcfg_file_at(fw, i, &cur, &size, &writable); i++)
		if (data[i] && size)
			memcpy(cur, data[i], size);
out:
	free(data);
	return rc;
}

const struct device_ops fwcfg_device_ops = {
	.name = "fw_cfg",
	.create = fwcfg_dev_create,
	.destroy = fwcfg_dev_destroy,
	.reset = fwcfg_dev_reset,
	.io_read = fwcfg_dev_read,
	.io_write = fwcfg_dev_write,
	.save = fwcfg_dev_save,
	.load = fwcfg_dev_load,
	.acpi = fwcfg_dev_acpi,
};
