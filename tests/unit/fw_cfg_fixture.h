/* SPDX-License-Identifier: MIT */
/*
 * One fw_cfg device over 64 KiB of guest RAM at 0 for the devices/fw_cfg.c
 * tests, and what a guest does with it: select and read through the ports,
 * start a DMA descriptor. setup/teardown are a suite's .init/.fini.
 * Static inline only: every test file is linked into one binary (the
 * static variables are one copy per test file, each process runs one test).
 */
#ifndef MICROVM_TESTS_FW_CFG_FIXTURE_H
#define MICROVM_TESTS_FW_CFG_FIXTURE_H

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "devices/fw_cfg.h"
#include "vmm/guest_mem.h"
#include "vmm/util.h"

#define RAM_SIZE 0x10000 /* guest RAM at [0, 64 KiB) */
#define DESC 0x100	 /* where tests put DMA descriptors */
#define BUF 0x1000	 /* and DMA buffers */

static struct guest_mem gm;
static uint8_t *ram;
static struct fwcfg *fw;

static inline void setup(void)
{
	memset(&gm, 0, sizeof(gm));
	ram = calloc(1, RAM_SIZE);
	cr_assert(ram);
	cr_assert_eq(gm_add_region(&gm, 0, RAM_SIZE, ram), 0);
	fw = fwcfg_new(&gm);
	cr_assert(fw);
}

static inline void teardown(void)
{
	fwcfg_free(fw);
	free(ram);
}

/* What a guest does: outw to 0x510, inb from 0x511. */
static inline void port_select(uint16_t key)
{
	fwcfg_port_write(fw, FWCFG_OFF_SELECTOR, 2, key);
}

static inline void port_read(uint8_t *buf, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		buf[i] = (uint8_t)fwcfg_port_read(fw, FWCFG_OFF_DATA, 1);
}

/* Write a descriptor at DESC and start it the way a guest's two outl do. */
static inline uint32_t dma(uint32_t control, uint32_t length, uint64_t addr)
{
	put_be32(ram + DESC, control);
	put_be32(ram + DESC + 4, length);
	put_be64(ram + DESC + 8, addr);
	fwcfg_port_write(fw, FWCFG_OFF_DMA_HIGH, 4, 0);
	fwcfg_port_write(fw, FWCFG_OFF_DMA_LOW, 4, __builtin_bswap32(DESC));
	return get_be32(ram + DESC);
}

static inline uint32_t sel(uint16_t key)
{
	return (uint32_t)key << 16 | FWCFG_DMA_SELECT;
}

#endif
