/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the fw_cfg device (devices/fw_cfg.c) over guest memory
 * (vmm/guest_mem.c), driven the way a guest drives it: port reads and
 * writes at 0x510..0x51B, DMA descriptors placed in guest RAM and started
 * through the address register in any of its encodings (high then low
 * half, low half alone, one 8-byte write, byte-swapped or not).
 *
 * Guest RAM is four 16 KiB regions at the machine's edges (0, just below
 * 3 GiB, 4 GiB, just below 2^64), each between guard pages. Beside the
 * device runs a model of the ABI (shared/DESIGN.md §4) over a shadow of
 * guest RAM and its own copy of every item; after each operation:
 *  - guest RAM equals the shadow byte for byte: a DMA changed only its
 *    buffer [addr, addr + len) and its control word, a refused one only
 *    the control word (set to ERROR), and a READ left exactly the item's
 *    bytes from the offset, then zeros;
 *  - every file's contents equal the model's: a WRITE landed only in a
 *    writable file, whole, within its size, and the write callback saw
 *    exactly that range;
 *  - port reads return what the model says; selector, offset and latched
 *    DMA address (fwcfg_get_state) equal the model's.
 *
 * Input: a sequence of operations, each an opcode byte and its operands
 * (addresses and lengths are picked near edges; see fuzz_fa_util.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/fw_cfg.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/fuzz_fa_util.h"
#include "vmm/log.h"

#define RSZ 0x4000

static const uint64_t layout[][2] = {
	{ 0, RSZ },
	{ 3 * GiB - RSZ, RSZ },
	{ 4 * GiB, RSZ },
	{ 0 - (uint64_t)RSZ - 1, RSZ }, /* RAM cannot reach 2^64 itself: the last byte is 2^64 - 2 */
};

struct mfile {
	const char *name;
	uint32_t size;
	bool writable;
	uint8_t *data; /* the model's copy */
};

/* Registration order; the device keys them by name order. */
static struct mfile files[] = {
	{ "etc/acpi/rsdp", 36, false, NULL },	 { "etc/big", 5000, false, NULL },
	{ "etc/empty", 0, false, NULL },	 { "etc/vmcoreinfo-addr", 8, true, NULL },
	{ "etc/w16", 16, true, NULL },		 { "etc/wempty", 0, true, NULL },
	{ "zz/last", 1, false, NULL },		 { "a", 3, true, NULL },
};
#define NF ARRAY_SIZE(files)

static struct fa_ram ram;
static struct fwcfg *fw;
static unsigned order[NF]; /* key 0x20 + i is files[order[i]] */
static uint8_t dirbuf[4 + NF * FWCFG_DIR_ENTRY_SIZE];
static uint8_t ram_size_item[8], arch_item[4];
static const uint8_t id_item[4] = { FWCFG_ID_TRADITIONAL | FWCFG_ID_DMA, 0, 0, 0 };

/* The model's guest-visible state. */
static struct {
	uint16_t key;
	uint32_t off;
	uint64_t dma;
} m;

/* The write callback: what fw_cfg reported, and what the model expects. */
static struct {
	int calls;
	struct mfile *f;
	uint32_t off, len;
} cb_seen, cb_want;

static void write_cb(void *opaque, uint32_t offset, uint32_t len, const uint8_t *data, uint32_t size)
{
	struct mfile *f = opaque;
	uint32_t fsize;
	const uint8_t *fd = fwcfg_file_data(fw, f->name, &fsize);

	FUZZ_CHECK(data == fd && size == fsize && size == f->size, "write callback of %s: wrong file view",
		   f->name);
	FUZZ_CHECK(len && offset <= size && len <= size - offset, "write callback of %s: %u bytes at %u of %u",
		   f->name, len, offset, size);
	cb_seen.calls++;
	cb_seen.f = f;
	cb_seen.off = offset;
	cb_seen.len = len;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(files[*(const unsigned *)a].name, files[*(const unsigned *)b].name);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_level = LOG_ERROR;
	fa_ram_init(&ram, layout, ARRAY_SIZE(layout));
	fw = fwcfg_new(&ram.gm);
	FUZZ_CHECK(fw, "fwcfg_new");
	for (unsigned i = 0; i < NF; i++) {
		files[i].data = calloc(1, files[i].size + 1);
		for (uint32_t o = 0; o < files[i].size; o++)
			files[i].data[o] = (uint8_t)(i * 37 + o * 11 + 1);
		FUZZ_CHECK(fwcfg_add_file(fw, files[i].name, files[i].size ? files[i].data : NULL,
					  files[i].size, files[i].writable,
					  files[i].writable ? write_cb : NULL, &files[i]) == 0,
			   "add %s", files[i].name);
		order[i] = i;
	}
	qsort(order, NF, sizeof(order[0]), by_name);
	put_be32(dirbuf, NF);
	for (unsigned i = 0; i < NF; i++) {
		uint8_t *e = dirbuf + 4 + i * FWCFG_DIR_ENTRY_SIZE;

		put_be32(e, files[order[i]].size);
		put_be16(e + 4, (uint16_t)(FWCFG_KEY_FILE_FIRST + i));
		strncpy((char *)e + 8, files[order[i]].name, FWCFG_NAME_LEN);
	}
	put_le64(ram_size_item, 0x123456789ULL);
	put_le32(arch_item, 1);
	FUZZ_CHECK(fwcfg_add_item(fw, FWCFG_KEY_RAM_SIZE, ram_size_item, 8) == 0, "add RAM_SIZE");
	FUZZ_CHECK(fwcfg_add_item(fw, FWCFG_KEY_IRQ0_OVERRIDE, arch_item, 4) == 0, "add IRQ0");
	return 0;
}

/* The model's item behind a key: data and size (0 when empty or absent); file or NULL. */
static const uint8_t *m_item(uint16_t key, uint32_t *size, struct mfile **file)
{
	uint16_t k = key & FWCFG_KEY_ENTRY_MASK;

	*file = NULL;
	*size = 0;
	if (key == FWCFG_KEY_INVALID)
		return NULL;
	if (key & FWCFG_KEY_ARCH_LOCAL) {
		if (k != (FWCFG_KEY_IRQ0_OVERRIDE & FWCFG_KEY_ENTRY_MASK))
			return NULL;
		*size = sizeof(arch_item);
		return arch_item;
	}
	switch (k) {
	case FWCFG_KEY_SIGNATURE:
		*size = 4;
		return (const uint8_t *)"QEMU";
	case FWCFG_KEY_ID:
		*size = 4;
		return id_item;
	case FWCFG_KEY_RAM_SIZE:
		*size = 8;
		return ram_size_item;
	case FWCFG_KEY_FILE_DIR:
		*size = sizeof(dirbuf);
		return dirbuf;
	}
	if (k < FWCFG_KEY_FILE_FIRST || k - FWCFG_KEY_FILE_FIRST >= (int)NF)
		return NULL;
	*file = &files[order[k - FWCFG_KEY_FILE_FIRST]];
	*size = (*file)->size;
	return (*file)->data;
}

static uint8_t m_read_byte(void)
{
	struct mfile *f;
	uint32_t size;
	const uint8_t *d = m_item(m.key, &size, &f);

	if (m.off >= size)
		return 0;
	return d[m.off++];
}

static void m_put_status(uint64_t gpa, uint32_t status)
{
	uint8_t b[4];

	put_be32(b, status);
	for (unsigned i = 0; i < 4; i++)
		*fa_shadow_at(&ram, gpa + i) = b[i];
}

/* One DMA descriptor at desc, as the ABI says, on the shadow. */
static void m_transfer(uint64_t desc)
{
	uint8_t d[16];
	uint32_t control, length, op, status = 0, size;
	uint64_t addr;
	struct mfile *f;
	const uint8_t *data;

	if (!fa_in_one_region(&ram, desc, 16, NULL)) {
		if (fa_in_one_region(&ram, desc, 4, NULL))
			m_put_status(desc, FWCFG_DMA_ERROR);
		return;
	}
	for (unsigned i = 0; i < 16; i++)
		d[i] = *fa_shadow_at(&ram, desc + i);
	control = get_be32(d);
	length = get_be32(d + 4);
	addr = get_be64(d + 8);
	if (control & FWCFG_DMA_SELECT) {
		m.key = (uint16_t)(control >> 16);
		m.off = 0;
	}
	op = control & FWCFG_DMA_READ ? FWCFG_DMA_READ
	     : control & FWCFG_DMA_WRITE ? FWCFG_DMA_WRITE
	     : control & FWCFG_DMA_SKIP ? FWCFG_DMA_SKIP : 0;
	data = m_item(m.key, &size, &f);
	if (op && length) {
		uint32_t left = m.off < size ? size - m.off : 0;
		uint32_t n = left < length ? left : length, at = m.off;

		m.off += n;
		if (op == FWCFG_DMA_WRITE && (!n || n != length || !f || !f->writable))
			status = FWCFG_DMA_ERROR;
		else if (op != FWCFG_DMA_SKIP && !fa_in_one_region(&ram, addr, length, NULL))
			status = FWCFG_DMA_ERROR;
		else if (op == FWCFG_DMA_WRITE) {
			memcpy(f->data + at, fa_shadow_at(&ram, addr), n);
			cb_want.calls++;
			cb_want.f = f;
			cb_want.off = at;
			cb_want.len = n;
		} else if (op == FWCFG_DMA_READ) {
			uint8_t *p = fa_shadow_at(&ram, addr);

			if (n)
				memcpy(p, data + at, n);
			memset(p + n, 0, length - n);
		}
	}
	m_put_status(desc, status);
}

static uint64_t m_port_read(uint64_t off, unsigned len)
{
	static const char sig[8] = "QEMU CFG";
	uint64_t v = 0;

	if (off <= FWCFG_OFF_DATA && len == 1)
		return m_read_byte();
	if (off >= FWCFG_OFF_DMA_HIGH && off - FWCFG_OFF_DMA_HIGH + len <= 8) {
		for (unsigned i = 0; i < len; i++)
			v |= (uint64_t)(uint8_t)sig[off - FWCFG_OFF_DMA_HIGH + i] << (8 * i);
		return v;
	}
	return len == 8 ? ~0ULL : (1ULL << (8 * len)) - 1;
}

static void m_port_write(uint64_t off, unsigned len, uint64_t val)
{
	if (off == FWCFG_OFF_SELECTOR && len == 2) {
		m.key = (uint16_t)val;
		m.off = 0;
	} else if (off == FWCFG_OFF_DMA_HIGH && len == 4) {
		m.dma = (uint64_t)__builtin_bswap32((uint32_t)val) << 32;
	} else if (off == FWCFG_OFF_DMA_LOW && len == 4) {
		uint64_t desc = m.dma | __builtin_bswap32((uint32_t)val);

		m.dma = 0;
		m_transfer(desc);
	} else if (off == FWCFG_OFF_DMA_HIGH && len == 8) {
		m.dma = 0;
		m_transfer(__builtin_bswap64(val));
	}
}

/* Both sides: the device and the model. */
static void port_write(uint64_t off, unsigned len, uint64_t val)
{
	fwcfg_port_write(fw, off, len, val);
	m_port_write(off, len, val);
}

static void port_read(uint64_t off, unsigned len)
{
	uint64_t got = fwcfg_port_read(fw, off, len), want = m_port_read(off, len);

	FUZZ_CHECK(got == want, "%u-byte read at 0x%llx: 0x%llx, the model says 0x%llx", len,
		   (unsigned long long)(FWCFG_PORT_BASE + off), (unsigned long long)got,
		   (unsigned long long)want);
}

static uint16_t pick_key(struct fin *in)
{
	static const uint16_t keys[] = { 0x00,	 0x01,	 0x02,	 0x03,	 0x19,	 0x1f,	 0x4020, 0x4019,
					 0x8002, 0x8000, 0x801f, 0x8020, 0xc002, 0xffff, 0x3fff, 0x7fff };
	uint8_t sel = fin_u8(in);

	if (sel < 0x80)
		return (uint16_t)(FWCFG_KEY_FILE_FIRST + sel % (NF + 1));
	if (sel < 0xc0)
		return keys[sel % ARRAY_SIZE(keys)];
	return fin_u16(in);
}

static uint32_t pick_len(struct fin *in)
{
	static const uint32_t lens[] = { 16, 36, 35, 37, 5000, 4999, 5001, RSZ, RSZ + 1, RSZ - 1,
					 sizeof(dirbuf), 0x80000000u, 0xffffffffu, 0xfffffff0u, 4096, 64 };
	uint8_t sel = fin_u8(in);

	if (sel < 0x80)
		return sel % 0x48;
	if (sel < 0xc0)
		return lens[sel % ARRAY_SIZE(lens)];
	return fin_u32(in);
}

/* Place one descriptor at desc (in RAM or not) from the input. */
static void place_desc(struct fin *in, uint64_t desc)
{
	uint8_t d[16];
	uint8_t bits = fin_u8(in);
	uint32_t control = bits & 0x1f;

	/* Mostly the defined bits; sometimes any low bits. */
	if (bits & 0x80)
		control |= (uint32_t)fin_u8(in) << 8 & 0xff00;
	control |= (uint32_t)pick_key(in) << 16;
	put_be32(d, control);
	put_be32(d + 4, pick_len(in));
	put_be64(d + 8, fa_pick_addr(&ram, in));
	fa_guest_write(&ram, desc, d, sizeof(d));
}

/* Start the descriptor at desc through the address register, encoding picked by mode. */
static void kick(uint64_t desc, uint8_t mode)
{
	switch (mode % 6) {
	case 0: /* high, then low: the ABI for any address */
		port_write(FWCFG_OFF_DMA_HIGH, 4, __builtin_bswap32((uint32_t)(desc >> 32)));
		port_write(FWCFG_OFF_DMA_LOW, 4, __builtin_bswap32((uint32_t)desc));
		break;
	case 1: /* low only: whatever high half is latched */
		port_write(FWCFG_OFF_DMA_LOW, 4, __builtin_bswap32((uint32_t)desc));
		break;
	case 2: /* one 8-byte write */
		port_write(FWCFG_OFF_DMA_HIGH, 8, __builtin_bswap64(desc));
		break;
	case 3: /* the wrong byte order, as a buggy guest would */
		port_write(FWCFG_OFF_DMA_HIGH, 4, (uint32_t)(desc >> 32));
		port_write(FWCFG_OFF_DMA_LOW, 4, (uint32_t)desc);
		break;
	case 4: /* high only: latched for the next low write */
		port_write(FWCFG_OFF_DMA_HIGH, 4, __builtin_bswap32((uint32_t)(desc >> 32)));
		break;
	default: /* the VMM's own entry point */
		fwcfg_dma_transfer(fw, desc);
		m_transfer(desc);
		break;
	}
}

/* ram: whether the operation could reach guest RAM (selects and reads cannot: one check at the end). */
static void check_all(const char *after, bool ram_too)
{
	struct fwcfg_state st;

	if (ram_too)
		fa_ram_check(&ram, after);
	fwcfg_get_state(fw, &st);
	FUZZ_CHECK(st.cur_key == m.key && st.cur_offset == m.off && st.dma_addr == m.dma,
		   "after %s: state key 0x%x offset %u dma 0x%llx, the model says 0x%x %u 0x%llx", after,
		   st.cur_key, st.cur_offset, (unsigned long long)st.dma_addr, m.key, m.off,
		   (unsigned long long)m.dma);
	for (unsigned i = 0; i < NF; i++) {
		uint32_t size;
		const uint8_t *d = fwcfg_file_data(fw, files[i].name, &size);

		FUZZ_CHECK(size == files[i].size, "after %s: %s has %u bytes, not %u", after, files[i].name,
			   size, files[i].size);
		FUZZ_CHECK(!size || memcmp(d, files[i].data, size) == 0, "after %s: %s differs from the model",
			   after, files[i].name);
	}
	FUZZ_CHECK(cb_seen.calls == cb_want.calls &&
		   (!cb_want.calls || (cb_seen.f == cb_want.f && cb_seen.off == cb_want.off &&
				       cb_seen.len == cb_want.len)),
		   "after %s: write callback %d calls (last %u bytes at %u), the model says %d (%u at %u)",
		   after, cb_seen.calls, cb_seen.len, cb_seen.off, cb_want.calls, cb_want.len, cb_want.off);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in = { data, size };
	unsigned ops = 0;

	if (!fw)
		LLVMFuzzerInitialize(NULL, NULL);
	/* Power-on: the device reset, every writable file back to its bytes, fresh RAM. */
	fwcfg_reset(fw);
	memset(&m, 0, sizeof(m));
	memset(&cb_seen, 0, sizeof(cb_seen));
	memset(&cb_want, 0, sizeof(cb_want));
	for (unsigned i = 0; i < NF; i++) {
		for (uint32_t o = 0; o < files[i].size; o++)
			files[i].data[o] = (uint8_t)(i * 37 + o * 11 + 1);
		if (files[i].writable && files[i].size)
			memcpy(fwcfg_file_data(fw, files[i].name, NULL), files[i].data, files[i].size);
	}
	fa_ram_fill(&ram);
	while (fin_more(&in) && ops++ < 256) {
		uint8_t op = fin_u8(&in);
		static const unsigned lens[4] = { 1, 2, 4, 8 };

		switch (op % 8) {
		case 0:
			port_write(FWCFG_OFF_SELECTOR, 2, pick_key(&in));
			check_all("select", false);
			break;
		case 1: {
			unsigned n = 1 + fin_u8(&in) % 64;

			for (unsigned i = 0; i < n; i++)
				port_read(i & 1, 1);
			check_all("data reads", false);
			break;
		}
		case 2: {
			uint64_t off = fin_u8(&in) % FWCFG_PORT_LEN;

			port_read(off, lens[fin_u8(&in) & 3]);
			check_all("port read", false);
			break;
		}
		case 3: {
			uint64_t off = fin_u8(&in) % FWCFG_PORT_LEN;
			unsigned len = lens[fin_u8(&in) & 3];

			port_write(off, len, fin_u64(&in));
			check_all("port write", true);
			break;
		}
		case 4:
		case 5: {
			/* A chain: descriptors one after the other, each started in turn. */
			uint64_t desc = fa_pick_addr(&ram, &in);
			unsigned n = op % 8 == 4 ? 1 : 1 + fin_u8(&in) % 4;

			for (unsigned i = 0; i < n; i++) {
				place_desc(&in, desc + 16 * i);
				kick(desc + 16 * i, fin_u8(&in));
				check_all("DMA", true);
			}
			break;
		}
		case 6: fa_random_guest_write(&ram, &in);
			break;
		default:
			fwcfg_reset(fw);
			m.key = FWCFG_KEY_SIGNATURE;
			m.off = 0;
			m.dma = 0;
			check_all("reset", false);
			break;
		}
	}
	fa_ram_check(&ram, "the last operation");
	return 0;
}
