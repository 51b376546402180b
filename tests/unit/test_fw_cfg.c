/* SPDX-License-Identifier: MIT */
/*
 * devices/fw_cfg.c: QEMU's fw_cfg guest ABI through the ports, its items and
 * files, reset, state and the device ops. The DMA engine: test_fw_cfg_dma.c.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/fw_cfg.h"
#include "firmware/boot_abi.h"
#include "tests/unit/fw_cfg_fixture.h"
#include "vmm/boot.h"
#include "vmm/e820.h"
#include "vmm/guest_mem.h"
#include "vmm/state.h"
#include "vmm/util.h"
#include "vmm/vm.h"

TestSuite(fw_cfg, .init = setup, .fini = teardown);

Test(fw_cfg, signature_and_id_on_the_data_port)
{
	uint8_t b[5];

	port_select(FWCFG_KEY_SIGNATURE);
	port_read(b, 5);
	cr_assert_arr_eq(b, "QEMU\0", 5, "past the end reads 0");
	port_select(FWCFG_KEY_ID);
	port_read(b, 4);
	cr_assert_eq(get_le32(b), FWCFG_ID_TRADITIONAL | FWCFG_ID_DMA);
	/* 0x510 also reads data byte-wise (QEMU's combined 2-byte region). */
	port_select(FWCFG_KEY_SIGNATURE);
	cr_assert_eq(fwcfg_port_read(fw, FWCFG_OFF_SELECTOR, 1), 'Q');
}

Test(fw_cfg, no_dma_without_guest_memory)
{
	struct fwcfg *nodma = fwcfg_new(NULL);
	uint32_t size;
	const uint8_t *id = fwcfg_item_data(nodma, FWCFG_KEY_ID, &size);

	cr_assert(id);
	cr_assert_eq(get_le32(id), FWCFG_ID_TRADITIONAL);
	cr_assert_eq(fwcfg_port_read(nodma, FWCFG_OFF_DMA_HIGH, 1), 0xff);
	fwcfg_free(nodma);
}

Test(fw_cfg, dma_register_reads_qemu_cfg)
{
	char s[9] = { 0 };

	for (unsigned i = 0; i < 8; i++)
		s[i] = (char)fwcfg_port_read(fw, FWCFG_OFF_DMA_HIGH + i, 1);
	cr_assert_str_eq(s, "QEMU CFG");
	/* inl at 0x514 sees the bytes "QEMU" in memory order. */
	cr_assert_eq(fwcfg_port_read(fw, FWCFG_OFF_DMA_HIGH, 4), 0x554D4551);
	cr_assert_eq(fwcfg_port_read(fw, FWCFG_OFF_DMA_LOW, 4), 0x47464320);
	/* Unassigned 0x512/0x513 and a read straddling the end read all-ones. */
	cr_assert_eq(fwcfg_port_read(fw, 2, 1), 0xff);
	cr_assert_eq(fwcfg_port_read(fw, 10, 4), 0xffffffff);
}

Test(fw_cfg, directory_sorted_by_name_with_keys_in_order)
{
	uint8_t d[4 + 3 * 64];
	const char *want[] = { "a/first", "b/second", "c/third" };

	cr_assert_eq(fwcfg_add_file(fw, "c/third", "333", 3, false, NULL, NULL), 0);
	cr_assert_eq(fwcfg_add_file(fw, "a/first", "1", 1, false, NULL, NULL), 0);
	cr_assert_eq(fwcfg_add_file(fw, "b/second", "22", 2, false, NULL, NULL), 0);
	port_select(FWCFG_KEY_FILE_DIR);
	port_read(d, sizeof(d));
	cr_assert_eq(get_be32(d), 3);
	for (unsigned i = 0; i < 3; i++) {
		const uint8_t *e = d + 4 + i * 64;
		cr_assert_eq(get_be32(e), i + 1, "size of %s", want[i]);
		cr_assert_eq(get_be16(e + 4), FWCFG_KEY_FILE_FIRST + i);
		cr_assert_eq(get_be16(e + 6), 0);
		cr_assert_str_eq((const char *)e + 8, want[i]);
		cr_assert_eq(fwcfg_file_key(fw, want[i]), (int)(FWCFG_KEY_FILE_FIRST + i));
	}
	/* The key reads the file. */
	port_select(FWCFG_KEY_FILE_FIRST + 2);
	port_read(d, 4);
	cr_assert_arr_eq(d, "333\0", 4);
	cr_assert_eq(fwcfg_file_key(fw, "nope"), -ENOENT);
}

Test(fw_cfg, file_and_item_refusals)
{
	char longname[FWCFG_NAME_LEN + 1];

	memset(longname, 'x', FWCFG_NAME_LEN);
	longname[FWCFG_NAME_LEN] = 0;
	cr_assert_eq(fwcfg_add_file(fw, "", "x", 1, false, NULL, NULL), -EINVAL);
	cr_assert_eq(fwcfg_add_file(fw, longname, "x", 1, false, NULL, NULL), -EINVAL);
	longname[FWCFG_NAME_LEN - 1] = 0; /* 55 characters + NUL fits */
	cr_assert_eq(fwcfg_add_file(fw, longname, "x", 1, false, NULL, NULL), 0);
	cr_assert_eq(fwcfg_add_file(fw, longname, "y", 1, false, NULL, NULL), -EEXIST);

	cr_assert_eq(fwcfg_add_item(fw, FWCFG_KEY_SIGNATURE, "x", 1), -EINVAL);
	cr_assert_eq(fwcfg_add_item(fw, FWCFG_KEY_ID, "x", 1), -EINVAL);
	cr_assert_eq(fwcfg_add_item(fw, FWCFG_KEY_FILE_DIR, "x", 1), -EINVAL);
	cr_assert_eq(fwcfg_add_item(fw, FWCFG_KEY_FILE_FIRST, "x", 1), -EINVAL);
	cr_assert_eq(fwcfg_add_item(fw, FWCFG_KEY_WRITE_CHANNEL | 3, "x", 1), -EINVAL);
	cr_assert_eq(fwcfg_add_item(fw, FWCFG_KEY_ARCH_LOCAL | 0x20, "x", 1), -EINVAL);
	cr_assert_eq(fwcfg_add_item(fw, FWCFG_KEY_RAM_SIZE, "12345678", 8), 0);
	cr_assert_eq(fwcfg_add_item(fw, FWCFG_KEY_RAM_SIZE, "12345678", 8), -EEXIST);
}

Test(fw_cfg, unknown_keys_and_past_the_end_read_zero)
{
	uint8_t b[4];

	port_select(0x3fff);
	port_read(b, 4);
	cr_assert_arr_eq(b, "\0\0\0\0", 4);
	port_select(FWCFG_KEY_INVALID);
	port_read(b, 4);
	cr_assert_arr_eq(b, "\0\0\0\0", 4);
	/* The offset stays at the end: a later DMA read also starts there. */
	port_select(FWCFG_KEY_SIGNATURE);
	port_read(b, 4);
	port_read(b, 2);
	memset(ram + BUF, 0xaa, 4);
	cr_assert_eq(dma(FWCFG_DMA_READ, 4, BUF), 0);
	cr_assert_arr_eq(ram + BUF, "\0\0\0\0", 4);
}

Test(fw_cfg, arch_local_keys_are_a_separate_table)
{
	uint8_t b[2];

	cr_assert_eq(fwcfg_add_item(fw, FWCFG_KEY_RAM_SIZE, "AB", 2), 0);
	cr_assert_eq(fwcfg_add_item(fw, FWCFG_KEY_ARCH_LOCAL | FWCFG_KEY_RAM_SIZE, "CD", 2), 0);
	port_select(FWCFG_KEY_RAM_SIZE);
	port_read(b, 2);
	cr_assert_arr_eq(b, "AB", 2);
	port_select(FWCFG_KEY_ARCH_LOCAL | FWCFG_KEY_RAM_SIZE);
	port_read(b, 2);
	cr_assert_arr_eq(b, "CD", 2);
	/* The write-channel bit is ignored for lookup. */
	port_select(FWCFG_KEY_WRITE_CHANNEL | FWCFG_KEY_RAM_SIZE);
	port_read(b, 2);
	cr_assert_arr_eq(b, "AB", 2);
}

Test(fw_cfg, reset_selects_signature_and_keeps_contents)
{
	struct fwcfg_state st;
	uint8_t b[4];

	cr_assert_eq(fwcfg_add_file(fw, "rw", "abcd", 4, true, NULL, NULL), 0);
	memcpy(ram + BUF, "WXYZ", 4);
	cr_assert_eq(dma(sel(0x20) | FWCFG_DMA_WRITE, 4, BUF), 0);
	fwcfg_port_write(fw, FWCFG_OFF_DMA_HIGH, 4, __builtin_bswap32(7));
	port_select(0x20);
	port_read(b, 1);
	fwcfg_reset(fw);
	fwcfg_get_state(fw, &st);
	cr_assert_eq(st.cur_key, FWCFG_KEY_SIGNATURE);
	cr_assert_eq(st.cur_offset, 0);
	cr_assert_eq(st.dma_addr, 0);
	port_read(b, 4);
	cr_assert_arr_eq(b, "QEMU", 4);
	cr_assert_arr_eq(fwcfg_file_data(fw, "rw", NULL), "WXYZ", 4, "owners reset their files");
}

Test(fw_cfg, state_round_trip)
{
	struct fwcfg_state st = { .cur_key = 0x20, .cur_offset = 2, .dma_addr = 0x123456789ULL };
	struct fwcfg_state back;
	uint8_t b[2];

	cr_assert_eq(fwcfg_add_file(fw, "f", "abcd", 4, false, NULL, NULL), 0);
	fwcfg_set_state(fw, &st);
	fwcfg_get_state(fw, &back);
	cr_assert_eq(back.cur_key, st.cur_key);
	cr_assert_eq(back.cur_offset, st.cur_offset);
	cr_assert_eq(back.dma_addr, st.dma_addr);
	port_read(b, 2);
	cr_assert_arr_eq(b, "cd", 2);
}

Test(fw_cfg, update_file_changes_size_in_directory)
{
	uint8_t d[4 + 64];

	cr_assert_eq(fwcfg_add_file(fw, "f", "abcd", 4, false, NULL, NULL), 0);
	port_select(0x20);
	port_read(d, 3);
	cr_assert_eq(fwcfg_update_file(fw, "f", "xy", 2), 0);
	port_read(d, 1);
	cr_assert_eq(d[0], 0, "offset clamped to the new size");
	port_select(FWCFG_KEY_FILE_DIR);
	port_read(d, sizeof(d));
	cr_assert_eq(get_be32(d + 4), 2);
	cr_assert_eq(fwcfg_update_file(fw, "g", "xy", 2), -ENOENT);
}

Test(fw_cfg, machine_items_match_qemu_formats)
{
	struct e820_map map;
	const uint8_t *p;
	uint32_t size;
	uint8_t *e;

	cr_assert_eq(e820_build(&map, 5 * GiB), 0);
	cr_assert_eq(fwcfg_add_machine_items(fw, 5 * GiB, 3, &map), 0);
	p = fwcfg_item_data(fw, FWCFG_KEY_RAM_SIZE, &size);
	cr_assert_eq(size, 8);
	cr_assert_eq(get_le64(p), 5 * GiB);
	p = fwcfg_item_data(fw, FWCFG_KEY_NB_CPUS, &size);
	cr_assert_eq(size, 2);
	cr_assert_eq(get_le16(p), 3);
	p = fwcfg_item_data(fw, FWCFG_KEY_MAX_CPUS, &size);
	cr_assert_eq(get_le16(p), 3);
	p = fwcfg_item_data(fw, FWCFG_KEY_IRQ0_OVERRIDE, &size);
	cr_assert_eq(size, 4);
	cr_assert_eq(get_le32(p), 1);
	p = fwcfg_item_data(fw, FWCFG_KEY_UUID, &size);
	cr_assert_eq(size, 16);
	p = fwcfg_item_data(fw, FWCFG_KEY_NOGRAPHIC, &size);
	cr_assert_eq(get_le16(p), 1);

	e = fwcfg_file_data(fw, "etc/e820", &size);
	cr_assert(e);
	cr_assert_eq(size, map.nr * 20);
	for (unsigned i = 0; i < map.nr; i++) {
		cr_assert_eq(get_le64(e + i * 20), map.e[i].addr);
		cr_assert_eq(get_le64(e + i * 20 + 8), map.e[i].size);
		cr_assert_eq(get_le32(e + i * 20 + 16), map.e[i].type);
	}
	/* The last entry is the RAM above 4 GiB. */
	cr_assert_eq(get_le64(e + (map.nr - 1) * 20), 4 * GiB);
	cr_assert_eq(get_le64(e + (map.nr - 1) * 20 + 8), 2 * GiB);
}

Test(fw_cfg, boot_handoff_file)
{
	struct boot_image img = { .proto = BOOT_LINUX, .entry = 0x100000, .boot_struct = 0x7000 };
	uint32_t size;
	uint8_t *b;
	int key;

	cr_assert_eq(fwcfg_set_boot(fw, &img, MVBOOT_FLAG_VERBOSE), 0);
	b = fwcfg_file_data(fw, MVBOOT_FILE, &size);
	cr_assert_eq(size, MVBOOT_SIZE);
	cr_assert_eq(get_le32(b + MVBOOT_OFF_MAGIC), MVBOOT_MAGIC);
	cr_assert_eq(get_le32(b + MVBOOT_OFF_VERSION), MVBOOT_VERSION);
	cr_assert_eq(get_le32(b + MVBOOT_OFF_PROTO), MVBOOT_LINUX);
	cr_assert_eq(get_le32(b + MVBOOT_OFF_ENTRY), 0x100000);
	cr_assert_eq(get_le32(b + MVBOOT_OFF_BOOT_STRUCT), 0x7000);
	cr_assert_eq(get_le32(b + MVBOOT_OFF_RSDP_FIELD), 0x70);
	cr_assert_eq(get_le32(b + MVBOOT_OFF_FLAGS), MVBOOT_FLAG_VERBOSE);
	key = fwcfg_file_key(fw, MVBOOT_FILE);

	img = (struct boot_image){ .proto = BOOT_PVH, .entry = 0x1000000, .boot_struct = 0x1000 };
	cr_assert_eq(fwcfg_set_boot(fw, &img, 0), 0, "a second call refreshes the file");
	b = fwcfg_file_data(fw, MVBOOT_FILE, &size);
	cr_assert_eq(get_le32(b + MVBOOT_OFF_PROTO), MVBOOT_PVH);
	cr_assert_eq(get_le32(b + MVBOOT_OFF_RSDP_FIELD), 32);
	cr_assert_eq(fwcfg_file_key(fw, MVBOOT_FILE), key);
	img.proto = 0;
	cr_assert_eq(fwcfg_set_boot(fw, &img, 0), -EINVAL);
}

/* The device as the machine sees it: create registers the ports and sets vm->fwcfg. */
Test(fw_cfg, device_ops_register_and_route_ports)
{
	static struct vm vm;
	struct device dev = { .ops = &fwcfg_device_ops, .vm = &vm };
	const struct bus_range *r;

	memset(&vm, 0, sizeof(vm));
	vm.cfg.mem_size = 256 * MiB;
	vm.cfg.nr_cpus = 2;
	vm.mem = gm;
	bus_init(&vm.pio, "pio");
	cr_assert_eq(e820_build(&vm.e820, vm.cfg.mem_size), 0);
	cr_assert_eq(fwcfg_device_ops.create(&vm, &dev), 0);
	cr_assert_eq(vm.fwcfg, dev.priv);
	r = bus_find(&vm.pio, 0x510, 2);
	cr_assert(r);
	cr_assert_eq(r->base, FWCFG_PORT_BASE);
	cr_assert_eq(r->len, FWCFG_PORT_LEN);
	bus_write(&vm.pio, 0x510, 2, FWCFG_KEY_NB_CPUS);
	cr_assert_eq(bus_read(&vm.pio, 0x511, 1), 2);
	cr_assert_eq(bus_read(&vm.pio, 0x511, 1), 0);
	cr_assert_eq(bus_read(&vm.pio, 0x51b, 1), 'G');
	fwcfg_device_ops.reset(&dev);
	cr_assert_eq(bus_read(&vm.pio, 0x511, 1), 'Q');
	fwcfg_device_ops.destroy(&dev);
	cr_assert_null(vm.fwcfg);
	bus_free(&vm.pio);
}

Test(fw_cfg, save_and_load_through_state_records)
{
	struct device dev = { .ops = &fwcfg_device_ops, .priv = NULL };
	struct fwcfg *other = fwcfg_new(&gm);
	struct state_writer w;
	struct state_reader r;
	const uint8_t *data;
	uint8_t b[2];
	size_t len;

	cr_assert(other);
	cr_assert_eq(fwcfg_add_file(fw, "f", "abcd", 4, false, NULL, NULL), 0);
	cr_assert_eq(fwcfg_add_file(other, "f", "abcd", 4, false, NULL, NULL), 0);
	port_select(0x20);
	port_read(b, 1);
	fwcfg_port_write(fw, FWCFG_OFF_DMA_HIGH, 4, __builtin_bswap32(0x12));

	dev.priv = fw;
	state_writer_init(&w);
	cr_assert_eq(fwcfg_device_ops.save(&dev, &w), 0);
	data = state_writer_finish(&w, &len);
	cr_assert(data, "%s", w.err.msg);
	cr_assert_eq(state_reader_init(&r, data, len), 0, "%s", r.err.msg);
	dev.priv = other;
	cr_assert_eq(fwcfg_device_ops.load(&dev, &r), 0, "%s", r.err.msg);
	b[0] = fwcfg_read_byte(other);
	cr_assert_eq(b[0], 'b', "the restored device continues where the saved one was");
	{
		struct fwcfg_state st;
		fwcfg_get_state(other, &st);
		cr_assert_eq(st.dma_addr, 0x12ULL << 32);
	}
	state_writer_free(&w);
	fwcfg_free(other);
}
