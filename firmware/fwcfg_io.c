/* SPDX-License-Identifier: MIT */
#include "firmware/fwcfg_io.h"

#include "firmware/io.h"
#include "vmm/util.h"

#define PORT_SELECTOR 0x510
#define PORT_DATA 0x511
#define PORT_DMA_HIGH 0x514
#define PORT_DMA_LOW 0x518

#define KEY_SIGNATURE 0x00
#define KEY_ID 0x01
#define KEY_FILE_DIR 0x19

#define DMA_ERROR 0x01
#define DMA_READ 0x02
#define DMA_SKIP 0x04
#define DMA_SELECT 0x08
#define DMA_WRITE 0x10

#define DIR_ENTRY 64
#define NAME_LEN 56

/* Descriptor fields are big-endian in memory. */
struct fwio_dma_desc {
	uint32_t control;
	uint32_t length;
	uint64_t address;
} __attribute__((packed, aligned(16)));
_Static_assert(sizeof(struct fwio_dma_desc) == 16, "fw_cfg DMA descriptor is 16 bytes");

static struct fwio_dma_desc dma_desc;
static uint32_t dir_count;
static uint8_t dir[4 + FWIO_MAX_FILES * DIR_ENTRY] __attribute__((section(".noinit")));

static void read_port_bytes(uint16_t key, uint8_t *buf, unsigned n)
{
	outw(PORT_SELECTOR, key);
	for (unsigned i = 0; i < n; i++)
		buf[i] = inb(PORT_DATA);
}

bool fwio_present(void)
{
	uint8_t sig[4];

	read_port_bytes(KEY_SIGNATURE, sig, sizeof(sig));
	return sig[0] == 'Q' && sig[1] == 'E' && sig[2] == 'M' && sig[3] == 'U';
}

bool fwio_has_dma(void)
{
	uint8_t id[4];

	read_port_bytes(KEY_ID, id, sizeof(id));
	return get_le32(id) & 0x02;
}

/* One transfer; the device completes it before the outl returns. */
static int dma(uint32_t control, uint32_t length, uint64_t addr)
{
	volatile struct fwio_dma_desc *d = &dma_desc;
	uint32_t desc = (uint32_t)(uintptr_t)&dma_desc;
	uint32_t status;

	d->control = __builtin_bswap32(control);
	d->length = __builtin_bswap32(length);
	d->address = __builtin_bswap64(addr);
	outl(PORT_DMA_HIGH, 0);
	outl(PORT_DMA_LOW, __builtin_bswap32(desc));
	/* QEMU's spec allows asynchronous completion: poll a bounded while. */
	for (unsigned i = 0; i < 1000; i++) {
		status = __builtin_bswap32(d->control);
		if (!(status & ~DMA_ERROR))
			return status ? -1 : 0;
	}
	return -1;
}

int fwio_load_dir(void)
{
	uint8_t count[4];

	if (dma((KEY_FILE_DIR << 16) | DMA_SELECT | DMA_READ, 4, (uintptr_t)count))
		return -1;
	dir_count = get_be32(count);
	if (dir_count > FWIO_MAX_FILES)
		return -1;
	/* The entries follow at the current offset. */
	return dma(DMA_READ, dir_count * DIR_ENTRY, (uintptr_t)dir) ? -1 : 0;
}

static bool name_eq(const uint8_t *field, const char *name)
{
	for (unsigned i = 0; i < NAME_LEN; i++) {
		if (field[i] != (uint8_t)name[i])
			return false;
		if (!name[i])
			return true;
	}
	return false;
}

int fwio_find(const char *name, uint16_t *key, uint32_t *size)
{
	for (uint32_t i = 0; i < dir_count; i++) {
		const uint8_t *e = dir + i * DIR_ENTRY;
		if (name_eq(e + 8, name)) {
			*size = get_be32(e);
			*key = get_be16(e + 4);
			return 0;
		}
	}
	return -1;
}

int fwio_read(uint16_t key, uint64_t addr, uint32_t size)
{
	return dma(((uint32_t)key << 16) | DMA_SELECT | DMA_READ, size, addr);
}

int fwio_write(uint16_t key, uint32_t offset, const void *src, uint32_t len)
{
	uint32_t sel = ((uint32_t)key << 16) | DMA_SELECT;

	if (offset) {
		if (dma(sel | DMA_SKIP, offset, 0))
			return -1;
		sel = 0;
	}
	return dma(sel | DMA_WRITE, len, (uintptr_t)src);
}
