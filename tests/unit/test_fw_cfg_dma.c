/* SPDX-License-Identifier: MIT */
/*
 * devices/fw_cfg.c: the DMA engine (select, skip, read with zero-fill,
 * write to writable files only and only whole, priorities, the address
 * register, guest addresses outside RAM or across the 32-bit hole).
 * The ports, items and files: test_fw_cfg.c.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "devices/fw_cfg.h"
#include "tests/unit/fw_cfg_fixture.h"
#include "vmm/guest_mem.h"
#include "vmm/layout.h"
#include "vmm/util.h"

/*
 * Its own suite: the fixture's state is static, one copy per file, so these
 * tests need their own .init. (Criterion would join Test(fw_cfg, ...) here
 * to test_fw_cfg.c's suite by name, whose .init sets that file's copy, and a
 * second TestSuite(fw_cfg) is a duplicate symbol.)
 */
TestSuite(fw_cfg_dma, .init = setup, .fini = teardown);

Test(fw_cfg_dma, dma_read_select_skip_and_zero_fill)
{
	cr_assert_eq(fwcfg_add_file(fw, "f", "0123456789", 10, false, NULL, NULL), 0);
	memset(ram + BUF, 0xaa, 32);
	cr_assert_eq(dma(sel(0x20) | FWCFG_DMA_READ, 4, BUF), 0);
	cr_assert_arr_eq(ram + BUF, "0123", 4);
	cr_assert_eq(dma(FWCFG_DMA_SKIP, 2, 0), 0);
	/* READ continues at 6 and zero-fills past the end. */
	cr_assert_eq(dma(FWCFG_DMA_READ, 8, BUF), 0);
	cr_assert_arr_eq(ram + BUF, "6789\0\0\0\0", 8);
	cr_assert_eq(ram[BUF + 8], 0xaa, "nothing written after the buffer");
	/* SKIP past the end is fine; SELECT alone (no op) succeeds and resets the offset. */
	cr_assert_eq(dma(FWCFG_DMA_SKIP, 100, 0), 0);
	cr_assert_eq(dma(sel(0x20), 100, 0xdeadbeef000ULL), 0);
	cr_assert_eq(dma(FWCFG_DMA_READ, 1, BUF), 0);
	cr_assert_eq(ram[BUF], '0');
}

struct write_log {
	unsigned calls;
	uint32_t offset, len, size;
	uint8_t data[16];
};

static void on_write(void *opaque, uint32_t offset, uint32_t len, const uint8_t *data,
		     uint32_t size)
{
	struct write_log *w = opaque;

	w->calls++;
	w->offset = offset;
	w->len = len;
	w->size = size;
	memcpy(w->data, data, size < sizeof(w->data) ? size : sizeof(w->data));
}

Test(fw_cfg_dma, dma_write_only_to_writable_files_and_only_whole)
{
	struct write_log log = { 0 };
	uint32_t size;
	uint8_t *data;
	int key;

	cr_assert_eq(fwcfg_add_file(fw, "etc/ro", "ABCDEFGH", 8, false, NULL, NULL), 0);
	cr_assert_eq(fwcfg_add_file(fw, "etc/rw", NULL, 8, true, on_write, &log), 0);
	key = fwcfg_file_key(fw, "etc/rw");
	memcpy(ram + BUF, "\x11\x22\x33\x44\x55\x66\x77\x88\x99", 9);

	/* SELECT + SKIP 2, then WRITE 4: what firmware WRITE_POINTER does. */
	cr_assert_eq(dma(sel((uint16_t)key) | FWCFG_DMA_SKIP, 2, 0), 0);
	cr_assert_eq(dma(FWCFG_DMA_WRITE, 4, BUF), 0);
	data = fwcfg_file_data(fw, "etc/rw", &size);
	cr_assert_eq(size, 8);
	cr_assert_arr_eq(data, "\0\0\x11\x22\x33\x44\0\0", 8);
	cr_assert_eq(log.calls, 1);
	cr_assert_eq(log.offset, 2);
	cr_assert_eq(log.len, 4);
	cr_assert_eq(log.size, 8);
	cr_assert_arr_eq(log.data, data, 8);

	/* 2 bytes left at offset 6 but 3 requested: no partial write. */
	cr_assert_eq(dma(FWCFG_DMA_WRITE, 3, BUF), FWCFG_DMA_ERROR);
	cr_assert_arr_eq(data, "\0\0\x11\x22\x33\x44\0\0", 8);
	cr_assert_eq(dma(sel((uint16_t)key) | FWCFG_DMA_SKIP, 6, 0), 0);
	cr_assert_eq(dma(FWCFG_DMA_WRITE, 3, BUF), FWCFG_DMA_ERROR);
	cr_assert_arr_eq(data, "\0\0\x11\x22\x33\x44\0\0", 8);
	/* Past the end. */
	cr_assert_eq(dma(sel((uint16_t)key) | FWCFG_DMA_SKIP, 8, 0), 0);
	cr_assert_eq(dma(FWCFG_DMA_WRITE, 1, BUF), FWCFG_DMA_ERROR);
	cr_assert_eq(log.calls, 1);

	/* Read-only file and fixed items refuse writes. */
	cr_assert_eq(dma(sel((uint16_t)fwcfg_file_key(fw, "etc/ro")) | FWCFG_DMA_WRITE, 2, BUF),
		     FWCFG_DMA_ERROR);
	cr_assert_arr_eq(fwcfg_file_data(fw, "etc/ro", NULL), "ABCDEFGH", 8);
	cr_assert_eq(dma(sel(FWCFG_KEY_SIGNATURE) | FWCFG_DMA_WRITE, 4, BUF), FWCFG_DMA_ERROR);

	/* A whole write at offset 0 in one descriptor. */
	cr_assert_eq(dma(sel((uint16_t)key) | FWCFG_DMA_WRITE, 8, BUF + 1), 0);
	cr_assert_arr_eq(data, "\x22\x33\x44\x55\x66\x77\x88\x99", 8);
	cr_assert_eq(log.calls, 2);
	cr_assert_eq(log.offset, 0);
}

Test(fw_cfg_dma, dma_priority_read_over_write_over_skip)
{
	cr_assert_eq(fwcfg_add_file(fw, "rw", "abcd", 4, true, NULL, NULL), 0);
	memcpy(ram + BUF, "WXYZ", 4);
	/* READ | WRITE reads. */
	cr_assert_eq(dma(sel(0x20) | FWCFG_DMA_READ | FWCFG_DMA_WRITE, 2, BUF), 0);
	cr_assert_arr_eq(ram + BUF, "abYZ", 4);
	/* WRITE | SKIP writes (at offset 2, where the read left off). */
	cr_assert_eq(dma(FWCFG_DMA_WRITE | FWCFG_DMA_SKIP, 2, BUF + 2), 0);
	cr_assert_arr_eq(fwcfg_file_data(fw, "rw", NULL), "abYZ", 4);
}

Test(fw_cfg_dma, dma_outside_guest_ram_is_an_error_not_a_host_access)
{
	cr_assert_eq(fwcfg_add_file(fw, "f", "0123456789", 10, true, NULL, NULL), 0);
	cr_assert_eq(dma(sel(0x20) | FWCFG_DMA_READ, 4, RAM_SIZE - 2), FWCFG_DMA_ERROR);
	cr_assert_eq(dma(sel(0x20) | FWCFG_DMA_READ, 16, UINT64_MAX - 7), FWCFG_DMA_ERROR);
	cr_assert_eq(dma(sel(0x20) | FWCFG_DMA_WRITE, 10, RAM_SIZE), FWCFG_DMA_ERROR);
	/* Zero-fill part outside RAM. */
	cr_assert_eq(dma(sel(0x20) | FWCFG_DMA_READ, 12, RAM_SIZE - 11), FWCFG_DMA_ERROR);

	/* Descriptor straddling the end of RAM: control still flagged. */
	put_be32(ram + RAM_SIZE - 8, FWCFG_DMA_READ);
	fwcfg_port_write(fw, FWCFG_OFF_DMA_LOW, 4, __builtin_bswap32(RAM_SIZE - 8));
	cr_assert_eq(get_be32(ram + RAM_SIZE - 8), FWCFG_DMA_ERROR);
	/* Entirely outside: nothing to write back, nothing happens. */
	{
		static uint8_t before[RAM_SIZE];
		struct fwcfg_state st0, st1;
		uint8_t b[2];

		port_select(0x20);
		port_read(b, 1);
		fwcfg_get_state(fw, &st0);
		memcpy(before, ram, RAM_SIZE);
		fwcfg_port_write(fw, FWCFG_OFF_DMA_HIGH, 4, __builtin_bswap32(0xffffffff));
		fwcfg_port_write(fw, FWCFG_OFF_DMA_LOW, 4, __builtin_bswap32(0xfffffff8));
		cr_assert_arr_eq(ram, before, RAM_SIZE, "guest RAM changed");
		fwcfg_get_state(fw, &st1);
		cr_assert_eq(st1.cur_key, st0.cur_key, "the selection changed");
		cr_assert_eq(st1.cur_offset, st0.cur_offset, "the offset moved");
		cr_assert_eq(st1.dma_addr, 0, "the address register is cleared by the start");
		port_read(b, 1);
		cr_assert_eq(b[0], '1', "the data port goes on where it was");
	}
}

Test(fw_cfg_dma, huge_lengths_finish_at_once)
{
	struct timespec t0, t1;

	cr_assert_eq(fwcfg_add_file(fw, "f", "0123456789", 10, false, NULL, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 1000; i++) {
		cr_assert_eq(dma(sel(0x20) | FWCFG_DMA_READ, UINT32_MAX, BUF), FWCFG_DMA_ERROR);
		cr_assert_eq(dma(sel(0x20) | FWCFG_DMA_SKIP, UINT32_MAX, 0), 0);
		cr_assert_eq(dma(sel(0x20) | FWCFG_DMA_WRITE, UINT32_MAX, BUF), FWCFG_DMA_ERROR);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cr_assert_lt(t1.tv_sec - t0.tv_sec, 2, "3000 4 GiB transfers must not walk 4 GiB each");
	/* The largest READ that fits guest RAM zero-fills it without complaint. */
	cr_assert_eq(dma(sel(FWCFG_KEY_INVALID) | FWCFG_DMA_READ, RAM_SIZE - BUF, BUF), 0);
}

Test(fw_cfg_dma, dma_address_halves_are_big_endian_and_cleared_on_start)
{
	cr_assert_eq(fwcfg_add_file(fw, "f", "xyz", 3, false, NULL, NULL), 0);
	put_be32(ram + 0x2000, sel(0x20) | FWCFG_DMA_READ);
	put_be32(ram + 0x2004, 3);
	put_be64(ram + 0x2008, BUF);
	/* A stale high half from an earlier, aborted sequence... */
	fwcfg_port_write(fw, FWCFG_OFF_DMA_HIGH, 4, __builtin_bswap32(1));
	fwcfg_port_write(fw, FWCFG_OFF_DMA_LOW, 4, __builtin_bswap32(0x2000));
	/* ...made that transfer miss (descriptor at 4 GiB + 0x2000): nothing read. */
	cr_assert_eq(ram[BUF], 0);
	cr_assert_eq(get_be32(ram + 0x2000), sel(0x20) | FWCFG_DMA_READ);
	/* The start cleared it: a low-only write now addresses below 4 GiB. */
	fwcfg_port_write(fw, FWCFG_OFF_DMA_LOW, 4, __builtin_bswap32(0x2000));
	cr_assert_arr_eq(ram + BUF, "xyz", 3);
	cr_assert_eq(get_be32(ram + 0x2000), 0);
	/* One 8-byte write works too. */
	put_be32(ram + 0x2000, sel(0x20) | FWCFG_DMA_READ);
	memset(ram + BUF, 0, 3);
	fwcfg_port_write(fw, FWCFG_OFF_DMA_HIGH, 8, __builtin_bswap64(0x2000));
	cr_assert_arr_eq(ram + BUF, "xyz", 3);
}

/*
 * Guest RAM in two regions with the real 32-bit hole between them: the last
 * 64 KiB below 3 GiB and the first 64 KiB at 4 GiB (microvm maps RAM at
 * [0, 3 GiB) and [4 GiB, ...), vmm/vm.c). A descriptor or buffer that runs
 * from one region into the hole, or across it into the next region, is an
 * ERROR and writes no byte of either region (the descriptor's control word
 * excepted, which QEMU also flags when it can).
 */
#define LOW_SIZE 0x10000
#define LOW_BASE (LAYOUT_MMIO_HOLE - LOW_SIZE)
#define LOW_END LAYOUT_MMIO_HOLE
#define HIGH_BASE LAYOUT_4G
#define HIGH_SIZE 0x10000
#define HIGH_END (HIGH_BASE + HIGH_SIZE)

static uint8_t *low, *high;
static uint8_t low_before[LOW_SIZE], high_before[HIGH_SIZE];

static void setup_two_regions(void)
{
	memset(&gm, 0, sizeof(gm));
	low = calloc(1, LOW_SIZE);
	high = calloc(1, HIGH_SIZE);
	cr_assert(low && high);
	cr_assert_eq(gm_add_region(&gm, LOW_BASE, LOW_SIZE, low), 0);
	cr_assert_eq(gm_add_region(&gm, HIGH_BASE, HIGH_SIZE, high), 0);
	fw = fwcfg_new(&gm);
	cr_assert(fw);
	/* A 10-byte file: a READ of more than 10 bytes also zero-fills. */
	cr_assert_eq(fwcfg_add_file(fw, "f", "0123456789", 10, true, NULL, NULL), 0);
}

static void teardown_two_regions(void)
{
	fwcfg_free(fw);
	free(low);
	free(high);
}

TestSuite(fw_cfg_two_regions, .init = setup_two_regions, .fini = teardown_two_regions);

static uint8_t *host_of(uint64_t gpa, uint64_t len)
{
	uint8_t *p = gm_ptr(&gm, gpa, len);

	cr_assert(p, "test bug: 0x%llx+%llu is not RAM", (unsigned long long)gpa, (unsigned long long)len);
	return p;
}

/* Start a transfer at desc the way a guest does: high half, then low half. */
static void dma_start(uint64_t desc)
{
	fwcfg_port_write(fw, FWCFG_OFF_DMA_HIGH, 4, __builtin_bswap32((uint32_t)(desc >> 32)));
	fwcfg_port_write(fw, FWCFG_OFF_DMA_LOW, 4, __builtin_bswap32((uint32_t)desc));
}

/* A descriptor at desc (inside RAM), run; returns the control word written back. */
static uint32_t dma_at(uint64_t desc, uint32_t control, uint32_t length, uint64_t addr)
{
	uint8_t *d = host_of(desc, FWCFG_DMA_DESC_SIZE);

	put_be32(d, control);
	put_be32(d + 4, length);
	put_be64(d + 8, addr);
	dma_start(desc);
	return get_be32(d);
}

#define READ_F ((0x20u << 16) | FWCFG_DMA_SELECT | FWCFG_DMA_READ)
#define WRITE_F ((0x20u << 16) | FWCFG_DMA_SELECT | FWCFG_DMA_WRITE)

/* Patterns in both regions, so any stray byte shows. */
static void fill(void)
{
	memset(low, 0xA5, LOW_SIZE);
	memset(high, 0x5A, HIGH_SIZE);
}

static void save(void)
{
	memcpy(low_before, low, LOW_SIZE);
	memcpy(high_before, high, HIGH_SIZE);
}

/* Neither region changed, except the 4-byte control word at ctl (0: none). */
static void assert_untouched(uint64_t ctl, const char *what)
{
	if (ctl)
		memcpy(host_of(ctl, 4), ctl < LOW_END ? low_before + (ctl - LOW_BASE)
						      : high_before + (ctl - HIGH_BASE), 4);
	cr_assert_arr_eq(low, low_before, LOW_SIZE, "%s: the low region changed", what);
	cr_assert_arr_eq(high, high_before, HIGH_SIZE, "%s: the high region changed", what);
	cr_assert_arr_eq(fwcfg_file_data(fw, "f", NULL), "0123456789", 10, "%s: the file changed", what);
}

/* A descriptor at desc (inside RAM) whose buffer is refused: ERROR, nothing else written. */
static void refused(uint64_t desc, uint32_t control, uint32_t length, uint64_t addr, const char *what)
{
	uint8_t *d = host_of(desc, FWCFG_DMA_DESC_SIZE);

	fill();
	memcpy(low + LOW_SIZE - 0x100, "klmnopqrst", 10); /* WRITE sources */
	memcpy(high, "klmnopqrst", 10);
	put_be32(d, control);
	put_be32(d + 4, length);
	put_be64(d + 8, addr);
	save();
	dma_start(desc);
	cr_assert_eq(get_be32(d), FWCFG_DMA_ERROR, "%s: control 0x%x, not ERROR", what, get_be32(d));
	assert_untouched(desc, what);
}

/* A descriptor at desc that is not wholly RAM: its control word is flagged if it is RAM. */
static void refused_desc(uint64_t desc, bool ctl_in_ram, const char *what)
{
	fill();
	if (ctl_in_ram)
		put_be32(host_of(desc, 4), READ_F);
	save();
	dma_start(desc);
	if (ctl_in_ram)
		cr_assert_eq(get_be32(host_of(desc, 4)), FWCFG_DMA_ERROR, "%s: not flagged", what);
	assert_untouched(ctl_in_ram ? desc : 0, what);
}

Test(fw_cfg_two_regions, transfers_inside_either_region_work)
{
	cr_assert_eq(dma_at(LOW_BASE, READ_F, 12, LOW_END - 12), 0);
	cr_assert_arr_eq(low + LOW_SIZE - 12, "0123456789\0\0", 12);
	cr_assert_eq(dma_at(HIGH_END - 16, READ_F, 12, HIGH_BASE), 0);
	cr_assert_arr_eq(high, "0123456789\0\0", 12);
	memcpy(high + 0x100, "abcdefghij", 10);
	cr_assert_eq(dma_at(LOW_BASE, WRITE_F, 10, HIGH_BASE + 0x100), 0);
	cr_assert_arr_eq(fwcfg_file_data(fw, "f", NULL), "abcdefghij", 10);
}

Test(fw_cfg_two_regions, descriptor_straddling_a_region_end_is_refused)
{
	refused_desc(LOW_END - 8, true, "descriptor from the low region into the hole");
	refused_desc(LOW_END - 2, false, "control word from the low region into the hole");
	refused_desc(HIGH_BASE - 8, false, "descriptor from the hole into the high region");
	refused_desc(HIGH_BASE - 2, false, "control word from the hole into the high region");
	refused_desc(HIGH_END - 8, true, "descriptor past the end of RAM");
	refused_desc(LOW_END + 0x1000, false, "descriptor inside the hole");
}

Test(fw_cfg_two_regions, buffer_straddling_a_region_end_is_refused)
{
	/* The file's 10 bytes fit below 3 GiB, its 2 zero-fill bytes do not. */
	refused(LOW_BASE, READ_F, 12, LOW_END - 11, "READ: zero-fill runs into the hole");
	refused(LOW_BASE, READ_F, 10, LOW_END - 5, "READ: file bytes run into the hole");
	refused(HIGH_BASE + 0x200, READ_F, 4, HIGH_BASE - 2, "READ: from the hole into the high region");
	refused(LOW_BASE, READ_F, (uint32_t)(HIGH_BASE - LOW_END) + 16, LOW_END - 8,
		"READ: from the low region across the hole into the high region");
	refused(LOW_BASE, READ_F, 12, HIGH_END - 11, "READ: zero-fill runs past the end of RAM");
	refused(HIGH_BASE + 0x200, WRITE_F, 10, LOW_END - 5, "WRITE: source runs into the hole");
	refused(LOW_BASE, WRITE_F, 10, HIGH_BASE - 5, "WRITE: source from the hole into the high region");
	/* The device still works. */
	cr_assert_eq(dma_at(HIGH_BASE + 0x200, READ_F, 10, LOW_BASE + 0x100), 0);
	cr_assert_arr_eq(low + 0x100, "0123456789", 10);
}
