/* SPDX-License-Identifier: MIT */
/*
 * fw_cfg: QEMU's firmware configuration device, x86 IO-port flavour with
 * DMA (shared/DESIGN.md §4, QEMU docs/specs/fw_cfg.rst). The guest selects
 * an item by 16-bit key and reads it byte-wise on the data port or, with
 * DMA, through 16-byte big-endian descriptors in guest RAM.
 *
 * Two layers: struct fwcfg is the pure model (items, files, selector,
 * offset, DMA engine over a struct guest_mem) that unit tests drive without
 * KVM; fwcfg_device_ops wraps it as a machine device on ports 0x510..0x51B.
 *
 * Contents ownership: fw_cfg copies every item and file when it is added
 * and owns the copy. Writable files are changed by the guest (DMA WRITE)
 * and are NOT restored by fwcfg_reset(): the module that added a writable
 * file resets it in its own reset op (fwcfg_file_data() gives it the bytes).
 * The device's state record saves every writable file's bytes (by name).
 */
#ifndef MICROVM_DEVICES_FW_CFG_H
#define MICROVM_DEVICES_FW_CFG_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/device.h"

struct guest_mem;
struct e820_map;
struct boot_image;

/* IO ports (x86): selector 0x510 (16-bit), data 0x511 (8-bit), DMA 0x514..0x51B. */
#define FWCFG_PORT_BASE 0x510
#define FWCFG_PORT_LEN 12
#define FWCFG_OFF_SELECTOR 0
#define FWCFG_OFF_DATA 1
#define FWCFG_OFF_DMA_HIGH 4 /* be32 high half of the descriptor address */
#define FWCFG_OFF_DMA_LOW 8  /* be32 low half; writing it starts the transfer */

/* Keys (QEMU include/standard-headers/linux/qemu_fw_cfg.h). */
#define FWCFG_KEY_SIGNATURE 0x00 /* "QEMU" */
#define FWCFG_KEY_ID 0x01	 /* le32 feature bits */
#define FWCFG_KEY_UUID 0x02	 /* 16 bytes */
#define FWCFG_KEY_RAM_SIZE 0x03	 /* le64 bytes of RAM */
#define FWCFG_KEY_NOGRAPHIC 0x04 /* le16 */
#define FWCFG_KEY_NB_CPUS 0x05	 /* le16 boot CPUs */
#define FWCFG_KEY_BOOT_MENU 0x0e /* le16 */
#define FWCFG_KEY_MAX_CPUS 0x0f	 /* le16 */
#define FWCFG_KEY_FILE_DIR 0x19
#define FWCFG_KEY_FILE_FIRST 0x20
#define FWCFG_KEY_WRITE_CHANNEL 0x4000 /* flag bit, ignored for lookup */
#define FWCFG_KEY_ARCH_LOCAL 0x8000    /* flag bit: second, arch-specific table */
#define FWCFG_KEY_ENTRY_MASK 0x3fff
#define FWCFG_KEY_IRQ0_OVERRIDE (FWCFG_KEY_ARCH_LOCAL | 0x02) /* le32, x86 */
#define FWCFG_KEY_INVALID 0xffff

/* ID bits. */
#define FWCFG_ID_TRADITIONAL 0x01
#define FWCFG_ID_DMA 0x02

/* DMA descriptor: {be32 control; be32 length; be64 address}. */
#define FWCFG_DMA_DESC_SIZE 16
#define FWCFG_DMA_ERROR 0x01
#define FWCFG_DMA_READ 0x02
#define FWCFG_DMA_SKIP 0x04
#define FWCFG_DMA_SELECT 0x08
#define FWCFG_DMA_WRITE 0x10

/* File directory: be32 count, then entries {be32 size; be16 select; be16 reserved; name[56]}. */
#define FWCFG_NAME_LEN 56 /* including the NUL */
#define FWCFG_DIR_ENTRY_SIZE 64
#define FWCFG_MAX_FILES 1024
#define FWCFG_ARCH_ITEMS 0x20 /* arch-local keys 0x8000..0x801f */

/* Each "etc/e820" entry: {le64 address; le64 length; le32 type}, packed. */
#define FWCFG_E820_ENTRY_SIZE 20

struct fwcfg;

/*
 * Called after each DMA WRITE fw_cfg accepted into a writable file:
 * [offset, offset + len) changed; data/size are the whole file afterwards.
 */
typedef void (*fwcfg_write_cb)(void *opaque, uint32_t offset, uint32_t len, const uint8_t *data,
			       uint32_t size);

/* The device's guest-visible state, for snapshots (file contents excluded). */
struct fwcfg_state {
	uint16_t cur_key;    /* last key selected, as written */
	uint32_t cur_offset; /* read/write position inside it */
	uint64_t dma_addr;   /* descriptor address being assembled */
};

/* A model with the signature, ID and empty directory. gm NULL: no DMA (ID bit 1 clear). */
struct fwcfg *fwcfg_new(const struct guest_mem *gm);
void fwcfg_free(struct fwcfg *fw);

/*
 * Add a raw item by key: 0x02..0x1f except 0x19, or arch-local 0x8000..0x801f.
 * The data is copied. -EINVAL bad key or size, -EEXIST key in use, -ENOMEM.
 */
int fwcfg_add_item(struct fwcfg *fw, uint16_t key, const void *data, uint32_t size);

/*
 * Add a named file (data copied; data may be NULL for a zero-filled file).
 * Keys follow name order, as in QEMU: 0x20 + the file's index in the sorted
 * directory, so a key is stable once all files are added (before the guest
 * runs). A writable file accepts DMA WRITEs that fit entirely; write_cb
 * (may be NULL) sees each one. -EINVAL bad name, -EEXIST, -ENOSPC, -ENOMEM.
 */
int fwcfg_add_file(struct fwcfg *fw, const char *name, const void *data, uint32_t size,
		   bool writable, fwcfg_write_cb write_cb, void *opaque);

/* Replace a file's contents (any size); keeps its key and flags. -ENOENT, -ENOMEM. */
int fwcfg_update_file(struct fwcfg *fw, const char *name, const void *data, uint32_t size);

/* The file's bytes (owned by fw_cfg, writable by the file's owner) and size; NULL if absent. */
uint8_t *fwcfg_file_data(const struct fwcfg *fw, const char *name, uint32_t *size);

/* The file's current key, or -ENOENT. */
int fwcfg_file_key(const struct fwcfg *fw, const char *name);

/*
 * How many files there are, and file i in key order: its name, its bytes
 * (owned by fw_cfg), size and whether the guest may write it. NULL past the
 * last.
 */
unsigned fwcfg_nr_files(const struct fwcfg *fw);
const char *fwcfg_file_at(const struct fwcfg *fw, unsigned i, uint8_t **data, uint32_t *size,
			  bool *writable);

/* Whether fw (may be NULL) offers the DMA interface (ID bit 1): writable files need it. */
bool fwcfg_has_dma(const struct fwcfg *fw);
/* Item contents by key (flags honoured like a guest select); NULL if empty. */
const uint8_t *fwcfg_item_data(const struct fwcfg *fw, uint16_t key, uint32_t *size);

/* Power-on state: signature selected, offset 0, DMA address cleared. Contents untouched. */
void fwcfg_reset(struct fwcfg *fw);

/* Guest-side operations (what the ports do). */
void fwcfg_select(struct fwcfg *fw, uint16_t key);
uint8_t fwcfg_read_byte(struct fwcfg *fw);
/* Run the DMA descriptor at guest physical desc; status written back into it. */
void fwcfg_dma_transfer(struct fwcfg *fw, uint64_t desc);

/* Port access at offset off from 0x510; val as the guest's in/out sees it (little-endian). */
uint64_t fwcfg_port_read(struct fwcfg *fw, uint64_t off, unsigned len);
void fwcfg_port_write(struct fwcfg *fw, uint64_t off, unsigned len, uint64_t val);

void fwcfg_get_state(const struct fwcfg *fw, struct fwcfg_state *st);
void fwcfg_set_state(struct fwcfg *fw, const struct fwcfg_state *st);

/*
 * The items QEMU's x86 machines expose that a guest may rely on: UUID (zero),
 * RAM_SIZE, NOGRAPHIC (1), NB_CPUS, BOOT_MENU (0), MAX_CPUS, IRQ0_OVERRIDE (1)
 * and the file "etc/e820" (every entry of map, 20-byte packed records).
 */
int fwcfg_add_machine_items(struct fwcfg *fw, uint64_t ram_size, unsigned nr_cpus,
			    const struct e820_map *map);

/*
 * Add or refresh "etc/microvm/boot" (firmware/boot_abi.h) from a loaded
 * image. Call after every boot_load (including after a reset); flags are
 * MVBOOT_FLAG_* bits.
 */
int fwcfg_set_boot(struct fwcfg *fw, const struct boot_image *img, uint32_t flags);

/* The device: create sets vm->fwcfg and registers 0x510..0x51B; put it first in the machine. */
extern const struct device_ops fwcfg_device_ops;

#endif
