/* SPDX-License-Identifier: MIT */
/*
 * The firmware's loader executor (firmware/loader_exec.c) run on the host:
 * 2 MiB of fake guest RAM with the HIGH zone at its top, a real fw_cfg device
 * behind the ops the firmware uses (DMA through a scratch area), and a
 * builder for QEMU's 128-byte linker/loader commands. Static only: each test
 * file that includes it gets its own RAM and fw_cfg, and declares its own
 * suite with these setup and teardown functions.
 */
#ifndef MICROVM_TESTS_LOADER_EXEC_FIXTURE_H
#define MICROVM_TESTS_LOADER_EXEC_FIXTURE_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "devices/acpi_pm.h"
#include "devices/fw_cfg.h"
#include "firmware/loader_exec.h"
#include "vmm/acpi_build.h"
#include "vmm/device.h"
#include "vmm/err.h"
#include "vmm/guest_mem.h"
#include "vmm/layout.h"
#include "vmm/util.h"

#define RAM_SIZE (2 * MiB)
#define HIGH_START 0x180000
#define HIGH_END 0x200000
#define SCRATCH 0x10000 /* DMA descriptor, directory and write buffers */
#define SCRATCH_END 0x20000

static struct guest_mem gm;
static uint8_t *ram;
static struct fwcfg *fw;
static struct loader ldr;
static unsigned skipped[8], nr_skipped;

/* ---- ops: what the firmware does, over fwcfg's ports and DMA ---- */

static inline int dma(uint32_t control, uint32_t length, uint64_t addr)
{
	uint8_t *d = ram + SCRATCH;

	put_be32(d, control);
	put_be32(d + 4, length);
	put_be64(d + 8, addr);
	fwcfg_port_write(fw, FWCFG_OFF_DMA_HIGH, 4, 0);
	fwcfg_port_write(fw, FWCFG_OFF_DMA_LOW, 4, __builtin_bswap32(SCRATCH));
	return get_be32(d) ? -1 : 0;
}

static inline int op_find(void *ctx, const char *name, uint16_t *key, uint32_t *size)
{
	uint8_t *dir = ram + SCRATCH + 0x100;
	uint32_t n;

	if (dma((FWCFG_KEY_FILE_DIR << 16) | FWCFG_DMA_SELECT | FWCFG_DMA_READ, 4, SCRATCH + 0x100))
		return -1;
	n = get_be32(dir);
	cr_assert_leq(n, 64);
	if (dma(FWCFG_DMA_READ, n * 64, SCRATCH + 0x104))
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = dir + 4 + i * 64;
		if (strncmp((const char *)e + 8, name, 56) == 0) {
			*size = get_be32(e);
			*key = get_be16(e + 4);
			return 0;
		}
	}
	return -1;
}

static inline int op_load(void *ctx, uint16_t key, uint64_t addr, uint32_t size)
{
	cr_assert(addr >= LAYOUT_FSEG && addr + size <= HIGH_END, "load inside a zone");
	return dma(((uint32_t)key << 16) | FWCFG_DMA_SELECT | FWCFG_DMA_READ, size, addr);
}

static inline int op_write(void *ctx, uint16_t key, uint32_t offset, const void *src, uint32_t len)
{
	uint32_t sel = ((uint32_t)key << 16) | FWCFG_DMA_SELECT;

	cr_assert_leq(len, 8);
	memcpy(ram + SCRATCH + 0x8000, src, len);
	if (offset) {
		if (dma(sel | FWCFG_DMA_SKIP, offset, 0))
			return -1;
		sel = 0;
	}
	return dma(sel | FWCFG_DMA_WRITE, len, SCRATCH + 0x8000);
}

static inline void *op_mem(void *ctx, uint64_t addr, uint64_t len)
{
	return gm_ptr(&gm, addr, len);
}

static inline void op_skipped(void *ctx, unsigned index, uint32_t command)
{
	if (nr_skipped < ARRAY_SIZE(skipped))
		skipped[nr_skipped] = index;
	nr_skipped++;
}

static const struct loader_ops ops = {
	.find = op_find,
	.load = op_load,
	.write = op_write,
	.mem = op_mem,
	.skipped = op_skipped,
};

static inline void setup(void)
{
	memset(&gm, 0, sizeof(gm));
	ram = calloc(1, RAM_SIZE);
	cr_assert(ram);
	cr_assert_eq(gm_add_region(&gm, 0, RAM_SIZE, ram), 0);
	fw = fwcfg_new(&gm);
	cr_assert(fw);
	nr_skipped = 0;
	loader_init(&ldr, &ops, NULL, HIGH_START, HIGH_END, LAYOUT_FSEG, LAYOUT_FSEG_END);
}

static inline void teardown(void)
{
	fwcfg_free(fw);
	free(ram);
}

/* ---- blob builder (QEMU's 128-byte entries) ---- */

struct blob {
	uint8_t b[64 * LOADER_ENTRY_SIZE];
	uint32_t n;
};

static inline uint8_t *entry(struct blob *bl, uint32_t cmd)
{
	uint8_t *e;

	cr_assert_lt(bl->n, 64);
	e = bl->b + bl->n++ * LOADER_ENTRY_SIZE;
	memset(e, 0, LOADER_ENTRY_SIZE);
	put_le32(e, cmd);
	return e;
}

static inline void name_at(uint8_t *field, const char *name)
{
	strncpy((char *)field, name, LOADER_NAME_LEN);
}

static inline void b_alloc(struct blob *bl, const char *file, uint32_t align, uint8_t zone)
{
	uint8_t *e = entry(bl, LOADER_CMD_ALLOCATE);

	name_at(e + LOADER_ALLOC_FILE, file);
	put_le32(e + LOADER_ALLOC_ALIGN, align);
	e[LOADER_ALLOC_ZONE] = zone;
}

static inline void b_ptr(struct blob *bl, const char *dst, const char *src, uint32_t off, uint8_t size)
{
	uint8_t *e = entry(bl, LOADER_CMD_ADD_POINTER);

	name_at(e + LOADER_PTR_DEST, dst);
	name_at(e + LOADER_PTR_SRC, src);
	put_le32(e + LOADER_PTR_OFFSET, off);
	e[LOADER_PTR_SIZE] = size;
}

static inline void b_cksum(struct blob *bl, const char *file, uint32_t off, uint32_t start, uint32_t len)
{
	uint8_t *e = entry(bl, LOADER_CMD_ADD_CHECKSUM);

	name_at(e + LOADER_CKSUM_FILE, file);
	put_le32(e + LOADER_CKSUM_OFFSET, off);
	put_le32(e + LOADER_CKSUM_START, start);
	put_le32(e + LOADER_CKSUM_LENGTH, len);
}

static inline void b_wptr(struct blob *bl, const char *dst, const char *src, uint32_t dst_off,
		   uint32_t src_off, uint8_t size)
{
	uint8_t *e = entry(bl, LOADER_CMD_WRITE_POINTER);

	name_at(e + LOADER_WPTR_DEST, dst);
	name_at(e + LOADER_WPTR_SRC, src);
	put_le32(e + LOADER_WPTR_DST_OFFSET, dst_off);
	put_le32(e + LOADER_WPTR_SRC_OFFSET, src_off);
	e[LOADER_WPTR_SIZE] = size;
}

/* Forget earlier allocations (as a new boot would). */
static inline void fresh(void)
{
	loader_init(&ldr, &ops, NULL, HIGH_START, HIGH_END, LAYOUT_FSEG, LAYOUT_FSEG_END);
}

static inline int run(struct blob *bl)
{
	return loader_run(&ldr, bl->b, bl->n * LOADER_ENTRY_SIZE);
}

static inline void add_file(const char *name, const void *data, uint32_t size, bool writable)
{
	cr_assert_eq(fwcfg_add_file(fw, name, data, size, writable, NULL, NULL), 0);
}

static inline uint8_t sum8(const uint8_t *p, uint32_t len)
{
	uint8_t s = 0;

	while (len--)
		s = (uint8_t)(s + *p++);
	return s;
}

#endif
