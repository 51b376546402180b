/* SPDX-License-Identifier: MIT */
/*
 * fw_cfg from the guest: selector 0x510 (16-bit), data 0x511 (8-bit), DMA
 * address 0x514 (high half) / 0x518 (low half, starts the transfer), all
 * DMA fields big-endian (shared/DESIGN.md §4).
 */
#include "guest-images/testguest/fwcfg.h"

#include "guest-images/testguest/guest.h"
#include "vmm/util.h"

#define DMA_POLL_MAX 1000000 /* QEMU and microvm complete within the outl */

/* Fields big-endian in memory. In the image, so below 4 GiB. */
struct fwcfg_dma_desc {
	uint32_t control;
	uint32_t length;
	uint64_t address;
} __attribute__((packed, aligned(16)));
_Static_assert(sizeof(struct fwcfg_dma_desc) == 16, "fw_cfg DMA descriptor is 16 bytes");

static volatile struct fwcfg_dma_desc desc;
static uint8_t dir_buf[FWCFG_DIR_MAX];

void fwcfg_select(uint16_t key)
{
	outw(FWCFG_PORT_SELECTOR, key);
}

void fwcfg_read_loop(void *buf, uint32_t n)
{
	uint8_t *p = buf;

	for (uint32_t i = 0; i < n; i++)
		p[i] = inb(FWCFG_PORT_DATA);
}

void fwcfg_read_rep(void *buf, uint32_t n)
{
	insb(FWCFG_PORT_DATA, buf, n);
}

static uint32_t bswap32(uint32_t v)
{
	return __builtin_bswap32(v);
}

uint32_t fwcfg_dma(uint32_t control, uint32_t length, uint64_t address)
{
	uint64_t at = (uintptr_t)&desc;
	uint32_t c;

	put_be32((void *)&desc.control, control);
	put_be32((void *)&desc.length, length);
	put_be64((void *)&desc.address, address);
	__asm__ volatile("" ::: "memory");
	/* Both halves, big-endian: the high one first, the low one starts it. */
	outl(FWCFG_PORT_DMA_HIGH, bswap32((uint32_t)(at >> 32)));
	outl(FWCFG_PORT_DMA_LOW, bswap32((uint32_t)at));
	for (unsigned i = 0; i < DMA_POLL_MAX; i++) {
		c = get_be32((const void *)&desc.control);
		if (!(c & ~(uint32_t)FWCFG_DMA_ERROR))
			return c;
		cpu_relax();
	}
	fail(GUEST_EXIT_STUCK, "fw_cfg DMA control 0x%x never completed (control still 0x%x)", control,
	     c);
}

uint32_t fwcfg_dma_read(uint16_t key, void *buf, uint32_t n)
{
	return fwcfg_dma(FWCFG_DMA_KEY(key) | FWCFG_DMA_SELECT | FWCFG_DMA_READ, n, (uintptr_t)buf);
}

uint32_t fwcfg_read_dir(uint8_t *dir)
{
	uint32_t count, len;

	if (fwcfg_dma_read(FWCFG_KEY_FILE_DIR, dir, 4))
		return 0;
	count = get_be32(dir);
	if (!count || count > FWCFG_MAX_FILES)
		return 0;
	len = 4 + count * FWCFG_DIR_ENTRY;
	if (fwcfg_dma_read(FWCFG_KEY_FILE_DIR, dir, len))
		return 0;
	return len;
}

void fwcfg_dir_entry(const uint8_t *dir, uint32_t i, struct fwcfg_file *f)
{
	const uint8_t *e = dir + 4 + i * FWCFG_DIR_ENTRY;

	f->size = get_be32(e);
	f->key = get_be16(e + 4);
	memcpy(f->name, e + 8, FWCFG_NAME_LEN);
	f->name[FWCFG_NAME_LEN - 1] = '\0';
}

int fwcfg_find_file(const char *name, struct fwcfg_file *f)
{
	uint32_t len = fwcfg_read_dir(dir_buf);

	for (uint32_t i = 0; 4 + (i + 1) * FWCFG_DIR_ENTRY <= len; i++) {
		fwcfg_dir_entry(dir_buf, i, f);
		if (!strcmp(f->name, name))
			return 1;
	}
	return 0;
}
