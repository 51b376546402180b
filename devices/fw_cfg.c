/* SPDX-License-Identifier: MIT */
/*
 * fw_cfg (shared/DESIGN.md §4). Semantics follow QEMU's hw/nvram/fw_cfg.c so
 * guests written for QEMU (Linux's qemu_fw_cfg, SeaBIOS, OVMF) behave the
 * same here; the guest can never make it touch host memory outside guest
 * RAM or loop longer than one pass over guest RAM. The device around it
 * (ports, ACPI node, snapshot record) is devices/fw_cfg_dev.c.
 */
#include "devices/fw_cfg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "firmware/boot_abi.h"
#include "vmm/boot.h"
#include "vmm/e820.h"
#include "vmm/guest_mem.h"
#include "vmm/log.h"
#include "vmm/util.h"

struct fwcfg_item {
	uint8_t *data; /* owned; NULL when size is 0 */
	uint32_t size;
	bool present;
	bool writable;
	fwcfg_write_cb write_cb;
	void *opaque;
};

struct fwcfg_file {
	char name[FWCFG_NAME_LEN];
	struct fwcfg_item item;
};

struct fwcfg {
	const struct guest_mem *gm; /* NULL: no DMA */
	struct fwcfg_item std[FWCFG_KEY_FILE_FIRST];
	struct fwcfg_item arch[FWCFG_ARCH_ITEMS];
	struct fwcfg_file *files; /* sorted by name; key = FILE_FIRST + index */
	unsigned nr_files, cap_files;
	/* Guest-visible state. */
	uint16_t cur_key;
	uint32_t cur_offset;
	uint64_t dma_addr;
};

/* Read back from 0x514..0x51B (QEMU's FW_CFG_DMA_SIGNATURE). */
static const char fwcfg_dma_signature[8] = { 'Q', 'E', 'M', 'U', ' ', 'C', 'F', 'G' };

/* The item behind a key as the guest would select it, or NULL. Non-const result, like strchr. */
static struct fwcfg_item *item_of(const struct fwcfg *fw, uint16_t key)
{
	uint16_t k = key & FWCFG_KEY_ENTRY_MASK;
	struct fwcfg *mfw = (struct fwcfg *)fw;

	if (key == FWCFG_KEY_INVALID)
		return NULL;
	if (key & FWCFG_KEY_ARCH_LOCAL)
		return k < FWCFG_ARCH_ITEMS ? &mfw->arch[k] : NULL;
	if (k < FWCFG_KEY_FILE_FIRST)
		return &mfw->std[k];
	if ((unsigned)(k - FWCFG_KEY_FILE_FIRST) < fw->nr_files)
		return &mfw->files[k - FWCFG_KEY_FILE_FIRST].item;
	return NULL;
}

static int item_set(struct fwcfg_item *it, const void *data, uint32_t size)
{
	uint8_t *copy = NULL;

	if (size) {
		copy = malloc(size);
		if (!copy)
			return -ENOMEM;
		if (data)
			memcpy(copy, data, size);
		else
			memset(copy, 0, size);
	}
	free(it->data);
	it->data = copy;
	it->size = size;
	it->present = true;
	return 0;
}

/* Rebuild item 0x19 from the sorted file list (be32 count, 64-byte entries). */
static int dir_rebuild(struct fwcfg *fw)
{
	uint32_t size = 4 + fw->nr_files * FWCFG_DIR_ENTRY_SIZE;
	uint8_t *d = calloc(1, size);
	int rc;

	if (!d)
		return -ENOMEM;
	put_be32(d, fw->nr_files);
	for (unsigned i = 0; i < fw->nr_files; i++) {
		uint8_t *e = d + 4 + i * FWCFG_DIR_ENTRY_SIZE;
		put_be32(e, fw->files[i].item.size);
		put_be16(e + 4, (uint16_t)(FWCFG_KEY_FILE_FIRST + i));
		memcpy(e + 8, fw->files[i].name, FWCFG_NAME_LEN);
	}
	rc = item_set(&fw->std[FWCFG_KEY_FILE_DIR], d, size);
	free(d);
	return rc;
}

bool fwcfg_has_dma(const struct fwcfg *fw)
{
	return fw && fw->gm;
}

struct fwcfg *fwcfg_new(const struct guest_mem *gm)
{
	struct fwcfg *fw = calloc(1, sizeof(*fw));
	uint8_t id[4];

	if (!fw)
		return NULL;
	fw->gm = gm;
	put_le32(id, FWCFG_ID_TRADITIONAL | (gm ? FWCFG_ID_DMA : 0));
	if (item_set(&fw->std[FWCFG_KEY_SIGNATURE], "QEMU", 4) ||
	    item_set(&fw->std[FWCFG_KEY_ID], id, sizeof(id)) || dir_rebuild(fw)) {
		fwcfg_free(fw);
		return NULL;
	}
	fwcfg_reset(fw);
	return fw;
}

void fwcfg_free(struct fwcfg *fw)
{
	if (!fw)
		return;
	for (unsigned i = 0; i < ARRAY_SIZE(fw->std); i++)
		free(fw->std[i].data);
	for (unsigned i = 0; i < ARRAY_SIZE(fw->arch); i++)
		free(fw->arch[i].data);
	for (unsigned i = 0; i < fw->nr_files; i++)
		free(fw->files[i].item.data);
	free(fw->files);
	free(fw);
}

int fwcfg_add_item(struct fwcfg *fw, uint16_t key, const void *data, uint32_t size)
{
	uint16_t k = key & FWCFG_KEY_ENTRY_MASK;
	struct fwcfg_item *it;

	if (key & FWCFG_KEY_WRITE_CHANNEL)
		return -EINVAL;
	if (!(key & FWCFG_KEY_ARCH_LOCAL) &&
	    (k <= FWCFG_KEY_ID || k == FWCFG_KEY_FILE_DIR || k >= FWCFG_KEY_FILE_FIRST))
		return -EINVAL;
	it = item_of(fw, key);
	if (!it)
		return -EINVAL;
	if (it->present)
		return -EEXIST;
	return item_set(it, data, size);
}

static int file_index(const struct fwcfg *fw, const char *name)
{
	for (unsigned i = 0; i < fw->nr_files; i++)
		if (strcmp(fw->files[i].name, name) == 0)
			return (int)i;
	return -ENOENT;
}

int fwcfg_add_file(struct fwcfg *fw, const char *name, const void *data, uint32_t size,
		   bool writable, fwcfg_write_cb write_cb, void *opaque)
{
	size_t len = name ? strlen(name) : 0;
	unsigned pos;
	int rc;

	if (len == 0 || len >= FWCFG_NAME_LEN)
		return -EINVAL;
	if (file_index(fw, name) >= 0)
		return -EEXIST;
	if (fw->nr_files >= FWCFG_MAX_FILES)
		return -ENOSPC;
	if (fw->nr_files == fw->cap_files) {
		unsigned cap = fw->cap_files ? fw->cap_files * 2 : 16;
		struct fwcfg_file *n = realloc(fw->files, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		fw->files = n;
		fw->cap_files = cap;
	}
	/* QEMU (non-legacy order) keeps files, and so keys, sorted by name. */
	for (pos = fw->nr_files; pos > 0 && strcmp(name, fw->files[pos - 1].name) < 0; pos--)
		;
	memmove(&fw->files[pos + 1], &fw->files[pos], (fw->nr_files - pos) * sizeof(*fw->files));
	memset(&fw->files[pos], 0, sizeof(fw->files[pos]));
	memcpy(fw->files[pos].name, name, len);
	fw->nr_files++;
	rc = item_set(&fw->files[pos].item, data, size);
	if (rc == 0)
		rc = dir_rebuild(fw);
	if (rc) {
		free(fw->files[pos].item.data);
		fw->nr_files--;
		memmove(&fw->files[pos], &fw->files[pos + 1],
			(fw->nr_files - pos) * sizeof(*fw->files));
		dir_rebuild(fw);
		return rc;
	}
	fw->files[pos].item.writable = writable;
	fw->files[pos].item.write_cb = write_cb;
	fw->files[pos].item.opaque = opaque;
	return 0;
}

int fwcfg_update_file(struct fwcfg *fw, const char *name, const void *data, uint32_t size)
{
	int i = file_index(fw, name);
	int rc;

	if (i < 0)
		return i;
	rc = item_set(&fw->files[i].item, data, size);
	if (rc)
		return rc;
	if (fw->cur_offset > size && fw->cur_key != FWCFG_KEY_INVALID &&
	    item_of(fw, fw->cur_key) == &fw->files[i].item)
		fw->cur_offset = size;
	return dir_rebuild(fw);
}

uint8_t *fwcfg_file_data(const struct fwcfg *fw, const char *name, uint32_t *size)
{
	int i = file_index(fw, name);

	if (i < 0)
		return NULL;
	if (size)
		*size = fw->files[i].item.size;
	return fw->files[i].item.data;
}

int fwcfg_file_key(const struct fwcfg *fw, const char *name)
{
	int i = file_index(fw, name);

	return i < 0 ? i : FWCFG_KEY_FILE_FIRST + i;
}

unsigned fwcfg_nr_files(const struct fwcfg *fw)
{
	return fw->nr_files;
}

const char *fwcfg_file_at(const struct fwcfg *fw, unsigned i, uint8_t **data, uint32_t *size,
			  bool *writable)
{
	if (i >= fw->nr_files)
		return NULL;
	*data = fw->files[i].item.data;
	*size = fw->files[i].item.size;
	*writable = fw->files[i].item.writable;
	return fw->files[i].name;
}

const uint8_t *fwcfg_item_data(const struct fwcfg *fw, uint16_t key, uint32_t *size)
{
	const struct fwcfg_item *it = item_of(fw, key);

	if (!it || !it->size)
		return NULL;
	if (size)
		*size = it->size;
	return it->data;
}

void fwcfg_reset(struct fwcfg *fw)
{
	/* QEMU's fw_cfg_reset selects the signature; the DMA address is cleared too. */
	fwcfg_select(fw, FWCFG_KEY_SIGNATURE);
	fw->dma_addr = 0;
}

void fwcfg_select(struct fwcfg *fw, uint16_t key)
{
	fw->cur_key = key;
	fw->cur_offset = 0;
}

/* Bytes of the selected item left from the current offset (0 when none or past the end). */
static uint32_t bytes_left(const struct fwcfg *fw, struct fwcfg_item **itp)
{
	struct fwcfg_item *it = item_of(fw, fw->cur_key);

	*itp = it;
	if (!it || !it->data || fw->cur_offset >= it->size)
		return 0;
	return it->size - fw->cur_offset;
}

uint8_t fwcfg_read_byte(struct fwcfg *fw)
{
	struct fwcfg_item *it;

	/* Past the end reads 0 and the offset stays put (QEMU fw_cfg_data_read). */
	if (!bytes_left(fw, &it))
		return 0;
	return it->data[fw->cur_offset++];
}

/*
 * One DMA operation (READ, WRITE or SKIP) of length bytes at guest address
 * addr; returns the status for the control word. QEMU's semantics: the
 * selected item's remaining bytes first, then the part past its end (READ
 * zero-fills it, WRITE fails, SKIP ignores it), and the offset advances even
 * when the transfer fails. The guest buffer is checked whole before any
 * byte moves, so a buffer that runs out of its RAM region (into the 32-bit
 * hole, say) is refused without a partial write; QEMU would write the part
 * that is RAM. The work is one memcpy of at most the item's size plus one
 * memset of at most one guest RAM region.
 */
static uint32_t dma_run(struct fwcfg *fw, uint32_t op, uint64_t addr, uint32_t length)
{
	struct fwcfg_item *it;
	uint32_t n = bytes_left(fw, &it), off = fw->cur_offset;
	uint8_t *p;

	if (n > length)
		n = length;
	fw->cur_offset += n;
	if (op == FWCFG_DMA_SKIP)
		return 0;
	/* Writable files only, and only when the whole write fits (no resize). */
	if (op == FWCFG_DMA_WRITE && (!n || !it->writable || n != length))
		return FWCFG_DMA_ERROR;
	p = gm_ptr(fw->gm, addr, length);
	if (!p)
		return FWCFG_DMA_ERROR;
	if (op == FWCFG_DMA_WRITE) {
		memcpy(it->data + off, p, n);
		if (it->write_cb)
			it->write_cb(it->opaque, off, n, it->data, it->size);
		return 0;
	}
	if (n)
		memcpy(p, it->data + off, n);
	memset(p + n, 0, length - n);
	return 0;
}

void fwcfg_dma_transfer(struct fwcfg *fw, uint64_t desc)
{
	uint8_t *d;
	uint32_t control, length, op, status;
	uint64_t addr;

	if (!fw->gm)
		return;
	d = gm_ptr(fw->gm, desc, FWCFG_DMA_DESC_SIZE);
	if (!d) {
		/* Like QEMU, still try to flag the error in the control word. */
		uint8_t *ctl = gm_ptr(fw->gm, desc, 4);
		log_guest("fw_cfg: DMA descriptor at 0x%llx is outside guest RAM",
			  (unsigned long long)desc);
		if (ctl)
			put_be32(ctl, FWCFG_DMA_ERROR);
		return;
	}
	control = get_be32(d);
	length = get_be32(d + 4);
	addr = get_be64(d + 8);

	if (control & FWCFG_DMA_SELECT)
		fwcfg_select(fw, (uint16_t)(control >> 16));
	/* Priority READ > WRITE > SKIP (QEMU fw_cfg_dma_transfer). */
	if (control & FWCFG_DMA_READ)
		op = FWCFG_DMA_READ;
	else if (control & FWCFG_DMA_WRITE)
		op = FWCFG_DMA_WRITE;
	else if (control & FWCFG_DMA_SKIP)
		op = FWCFG_DMA_SKIP;
	else
		op = 0;
	status = op && length ? dma_run(fw, op, addr, length) : 0;
	if (status)
		log_guest("fw_cfg: DMA control 0x%x length %u address 0x%llx on key 0x%x failed",
			  control, length, (unsigned long long)addr, fw->cur_key);
	put_be32(d, status);
}

uint64_t fwcfg_port_read(struct fwcfg *fw, uint64_t off, unsigned len)
{
	uint64_t v = 0;

	/* 0x510/0x511 form one 2-byte region where byte reads return data. */
	if (off <= FWCFG_OFF_DATA && len == 1)
		return fwcfg_read_byte(fw);
	if (fw->gm && off >= FWCFG_OFF_DMA_HIGH && len <= 8 && off - FWCFG_OFF_DMA_HIGH + len <= 8) {
		/* The DMA register reads back "QEMU CFG" in address order, any width. */
		for (unsigned i = 0; i < len; i++)
			v |= (uint64_t)(uint8_t)fwcfg_dma_signature[off - FWCFG_OFF_DMA_HIGH + i]
			     << (8 * i);
		return v;
	}
	return len >= 8 ? ~0ULL : (1ULL << (len * 8)) - 1;
}

void fwcfg_port_write(struct fwcfg *fw, uint64_t off, unsigned len, uint64_t val)
{
	if (off == FWCFG_OFF_SELECTOR && len == 2) {
		fwcfg_select(fw, (uint16_t)val);
		return;
	}
	if (off <= FWCFG_OFF_DATA && len == 1)
		return; /* data-port writes do nothing since QEMU 2.4 */
	if (!fw->gm)
		return;
	/* The DMA register is big-endian: the guest's outl value is byte-swapped. */
	if (off == FWCFG_OFF_DMA_HIGH && len == 4) {
		fw->dma_addr = (uint64_t)__builtin_bswap32((uint32_t)val) << 32;
		return;
	}
	if (off == FWCFG_OFF_DMA_LOW && len == 4) {
		uint64_t desc = fw->dma_addr | __builtin_bswap32((uint32_t)val);
		fw->dma_addr = 0; /* cleared on start: a low-only write addresses < 4 GiB */
		fwcfg_dma_transfer(fw, desc);
		return;
	}
	if (off == FWCFG_OFF_DMA_HIGH && len == 8) {
		fw->dma_addr = 0;
		fwcfg_dma_transfer(fw, __builtin_bswap64(val));
		return;
	}
	log_guest("fw_cfg: ignored %u-byte write of 0x%llx at port 0x%llx", len,
		  (unsigned long long)val, (unsigned long long)(FWCFG_PORT_BASE + off));
}

void fwcfg_get_state(const struct fwcfg *fw, struct fwcfg_state *st)
{
	st->cur_key = fw->cur_key;
	st->cur_offset = fw->cur_offset;
	st->dma_addr = fw->dma_addr;
}

void fwcfg_set_state(struct fwcfg *fw, const struct fwcfg_state *st)
{
	fw->cur_key = st->cur_key;
	fw->cur_offset = st->cur_offset;
	fw->dma_addr = st->dma_addr;
}

int fwcfg_add_machine_items(struct fwcfg *fw, uint64_t ram_size, unsigned nr_cpus,
			    const struct e820_map *map)
{
	static const uint8_t uuid[16]; /* no -uuid: QEMU's default is all zero */
	uint8_t one16[2], zero16[2], cpus[2], ram[8], irq0[4];
	uint8_t e820[E820_MAX * FWCFG_E820_ENTRY_SIZE];
	int rc;

	if (nr_cpus == 0 || nr_cpus > 0xffff || map->nr > E820_MAX)
		return -EINVAL;
	put_le16(one16, 1);
	put_le16(zero16, 0);
	put_le16(cpus, (uint16_t)nr_cpus);
	put_le64(ram, ram_size);
	put_le32(irq0, 1); /* the MADT maps IRQ0 to GSI 2 */
	for (unsigned i = 0; i < map->nr; i++) {
		uint8_t *e = e820 + i * FWCFG_E820_ENTRY_SIZE;
		put_le64(e, map->e[i].addr);
		put_le64(e + 8, map->e[i].size);
		put_le32(e + 16, map->e[i].type);
	}
	if ((rc = fwcfg_add_item(fw, FWCFG_KEY_UUID, uuid, sizeof(uuid))) ||
	    (rc = fwcfg_add_item(fw, FWCFG_KEY_RAM_SIZE, ram, sizeof(ram))) ||
	    (rc = fwcfg_add_item(fw, FWCFG_KEY_NOGRAPHIC, one16, 2)) ||
	    (rc = fwcfg_add_item(fw, FWCFG_KEY_NB_CPUS, cpus, 2)) ||
	    (rc = fwcfg_add_item(fw, FWCFG_KEY_BOOT_MENU, zero16, 2)) ||
	    /* No CPU hotplug: the APIC ID limit QEMU reports is the CPU count. */
	    (rc = fwcfg_add_item(fw, FWCFG_KEY_MAX_CPUS, cpus, 2)) ||
	    (rc = fwcfg_add_item(fw, FWCFG_KEY_IRQ0_OVERRIDE, irq0, 4)))
		return rc;
	return fwcfg_add_file(fw, "etc/e820", e820, map->nr * FWCFG_E820_ENTRY_SIZE, false, NULL,
			      NULL);
}

int fwcfg_set_boot(struct fwcfg *fw, const struct boot_image *img, uint32_t flags)
{
	uint8_t b[MVBOOT_SIZE] = { 0 };

	if (img->proto != BOOT_LINUX && img->proto != BOOT_PVH)
		return -EINVAL;
	put_le32(b + MVBOOT_OFF_MAGIC, MVBOOT_MAGIC);
	put_le32(b + MVBOOT_OFF_VERSION, MVBOOT_VERSION);
	put_le32(b + MVBOOT_OFF_PROTO, img->proto == BOOT_LINUX ? MVBOOT_LINUX : MVBOOT_PVH);
	put_le32(b + MVBOOT_OFF_ENTRY, img->entry);
	put_le32(b + MVBOOT_OFF_BOOT_STRUCT, img->boot_struct);
	/* boot_params.acpi_rsdp_addr (0x070) or hvm_start_info.rsdp_paddr (32). */
	put_le32(b + MVBOOT_OFF_RSDP_FIELD, img->proto == BOOT_LINUX ? 0x070 : 32);
	put_le32(b + MVBOOT_OFF_FLAGS, flags);
	if (fwcfg_file_key(fw, MVBOOT_FILE) >= 0)
		return fwcfg_update_file(fw, MVBOOT_FILE, b, sizeof(b));
	return fwcfg_add_file(fw, MVBOOT_FILE, b, sizeof(b), false, NULL, NULL);
}
