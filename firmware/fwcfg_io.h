/* SPDX-License-Identifier: MIT */
/*
 * The firmware's fw_cfg driver (shared/DESIGN.md §4): signature and ID
 * through the data port, everything else by DMA, one port write per
 * transfer, since each port access costs a VM exit.
 */
#ifndef MICROVM_FIRMWARE_FWCFG_IO_H
#define MICROVM_FIRMWARE_FWCFG_IO_H

#include <stdbool.h>
#include <stdint.h>

#define FWIO_MAX_FILES 128

/* "QEMU" at key 0. */
bool fwio_present(void);
/* ID bit 1. */
bool fwio_has_dma(void);
/* Read the file directory; 0, or -1 when it fails or has more than FWIO_MAX_FILES files. */
int fwio_load_dir(void);
/* Key and size of a file from the directory; 0 or -1. */
int fwio_find(const char *name, uint16_t *key, uint32_t *size);
/* DMA-read size bytes of item key from its start into guest memory at addr. */
int fwio_read(uint16_t key, uint64_t addr, uint32_t size);
/* DMA-write len bytes at offset of item key (SELECT, SKIP, WRITE). */
int fwio_write(uint16_t key, uint32_t offset, const void *src, uint32_t len);

#endif
