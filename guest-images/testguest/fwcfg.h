/* SPDX-License-Identifier: MIT */
/*
 * The guest side of QEMU's fw_cfg, x86 IO ports with DMA (shared/DESIGN.md
 * §4, QEMU docs/specs/fw_cfg.rst): the selector/data ports, the DMA
 * interface, and the file directory. Kept deliberately raw, so scenarios
 * can also hand the device malformed requests.
 */
#ifndef TESTGUEST_FWCFG_H
#define TESTGUEST_FWCFG_H

#include <stdint.h>

#define FWCFG_PORT_SELECTOR 0x510
#define FWCFG_PORT_DATA 0x511
#define FWCFG_PORT_DMA_HIGH 0x514
#define FWCFG_PORT_DMA_LOW 0x518
#define FWCFG_PORT_DMA_SIG 0x514 /* reading 0x514..0x51B gives "QEMU CFG" */

#define FWCFG_KEY_SIGNATURE 0x00
#define FWCFG_KEY_ID 0x01
#define FWCFG_KEY_RAM_SIZE 0x03 /* le64: the VM's RAM in bytes (QEMU's -m) */
#define FWCFG_KEY_NB_CPUS 0x05	/* le16: vCPUs at boot (QEMU's -smp cpus) */
#define FWCFG_KEY_MAX_CPUS 0x0f /* le16: QEMU's -smp maxcpus (microvm: the vCPU count) */
#define FWCFG_KEY_FILE_DIR 0x19
#define FWCFG_KEY_FILE_FIRST 0x20

#define FWCFG_ID_TRADITIONAL 0x01
#define FWCFG_ID_DMA 0x02

#define FWCFG_DMA_ERROR 0x01
#define FWCFG_DMA_READ 0x02
#define FWCFG_DMA_SKIP 0x04
#define FWCFG_DMA_SELECT 0x08
#define FWCFG_DMA_WRITE 0x10
#define FWCFG_DMA_KEY(k) ((uint32_t)(k) << 16)

#define FWCFG_DIR_ENTRY 64 /* {be32 size; be16 select; be16 reserved; char name[56]} */
#define FWCFG_NAME_LEN 56
#define FWCFG_MAX_FILES 64 /* the directory buffer's capacity */
#define FWCFG_DIR_MAX (4 + FWCFG_MAX_FILES * FWCFG_DIR_ENTRY)

/* ---- the traditional interface ---- */

void fwcfg_select(uint16_t key);
/* n bytes from the data port: one inb per byte, or one rep insb. */
void fwcfg_read_loop(void *buf, uint32_t n);
void fwcfg_read_rep(void *buf, uint32_t n);

/* ---- DMA ---- */

/* Run one transfer {control, length, address} from a descriptor in the
 * image and return the control word the device wrote back: 0 on success,
 * FWCFG_DMA_ERROR set on failure. Fails the run if the device never
 * completes it. */
uint32_t fwcfg_dma(uint32_t control, uint32_t length, uint64_t address);
/* SELECT key and READ n bytes into buf; returns the control word. */
uint32_t fwcfg_dma_read(uint16_t key, void *buf, uint32_t n);

/* ---- the file directory ---- */

struct fwcfg_file {
	uint32_t size;
	uint16_t key;
	char name[FWCFG_NAME_LEN];
};

/* Read the directory (DMA) into `dir` (FWCFG_DIR_MAX bytes); returns its
 * length in bytes, 0 if the count is 0 or above FWCFG_MAX_FILES. */
uint32_t fwcfg_read_dir(uint8_t *dir);
/* Entry i of a directory read by fwcfg_read_dir (name NUL-terminated). */
void fwcfg_dir_entry(const uint8_t *dir, uint32_t i, struct fwcfg_file *f);
/* Look a file up by name (DMA); 1 if found. */
int fwcfg_find_file(const char *name, struct fwcfg_file *f);

#endif
