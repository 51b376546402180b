/* SPDX-License-Identifier: MIT */
/*
 * devices/fw_cfg_dev.c's state record: the selector state and every writable
 * file come back; a record that does not fit this device is refused and
 * leaves it unchanged.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/fw_cfg.h"
#include "tests/unit/fw_cfg_fixture.h"
#include "vmm/state.h"
#include "vmm/util.h"

TestSuite(fw_cfg_state, .init = setup, .fini = teardown);

/* fw's files: etc/ro (read-only), etc/rw and etc/rw2 (writable). */
static void add_files(struct fwcfg *f)
{
	cr_assert_eq(fwcfg_add_file(f, "etc/ro", "ro!", 3, false, NULL, NULL), 0);
	cr_assert_eq(fwcfg_add_file(f, "etc/rw", "abcd", 4, true, NULL, NULL), 0);
	cr_assert_eq(fwcfg_add_file(f, "etc/rw2", NULL, 8, true, NULL, NULL), 0);
}

static const uint8_t *save(struct fwcfg *f, struct state_writer *w, size_t *len)
{
	struct device dev = { .ops = &fwcfg_device_ops, .priv = f };
	const uint8_t *data;

	state_writer_init(w);
	cr_assert_eq(fwcfg_device_ops.save(&dev, w), 0, "%s", w->err.msg);
	data = state_writer_finish(w, len);
	cr_assert_not_null(data, "%s", w->err.msg);
	return data;
}

static int load(struct fwcfg *f, const uint8_t *data, size_t len, struct state_reader *r)
{
	struct device dev = { .ops = &fwcfg_device_ops, .priv = f };

	cr_assert_eq(state_reader_init(r, data, len), 0, "%s", r->err.msg);
	return fwcfg_device_ops.load(&dev, r);
}

Test(fw_cfg_state, writable_files_and_selector_come_back)
{
	struct fwcfg *other = fwcfg_new(&gm);
	struct state_writer w;
	struct state_reader r;
	struct fwcfg_state st;
	const uint8_t *data;
	uint8_t b[2];
	size_t len;

	add_files(fw);
	add_files(other);
	memcpy(ram + BUF, "WXYZ", 4);
	cr_assert_eq(dma(sel((uint16_t)fwcfg_file_key(fw, "etc/rw")) | FWCFG_DMA_WRITE, 4, BUF), 0);
	memcpy(ram + BUF, "12345678", 8);
	cr_assert_eq(dma(sel((uint16_t)fwcfg_file_key(fw, "etc/rw2")) | FWCFG_DMA_WRITE, 8, BUF), 0);
	port_select((uint16_t)fwcfg_file_key(fw, "etc/ro"));
	port_read(b, 1);

	data = save(fw, &w, &len);
	cr_assert_eq(load(other, data, len, &r), 0, "%s", r.err.msg);
	cr_assert_arr_eq(fwcfg_file_data(other, "etc/rw", NULL), "WXYZ", 4);
	cr_assert_arr_eq(fwcfg_file_data(other, "etc/rw2", NULL), "12345678", 8);
	cr_assert_arr_eq(fwcfg_file_data(other, "etc/ro", NULL), "ro!", 3);
	fwcfg_get_state(other, &st);
	cr_assert_eq(st.cur_key, fwcfg_file_key(fw, "etc/ro"));
	cr_assert_eq(st.cur_offset, 1);
	cr_assert_eq(fwcfg_read_byte(other), 'o', "the guest reads on where it was");
	state_writer_free(&w);
	fwcfg_free(other);
}

/* A selected key with no item is the guest's right (reads give 0); its offset stays 0. */
Test(fw_cfg_state, a_key_with_no_item_is_fine)
{
	struct fwcfg *other = fwcfg_new(&gm);
	struct state_writer w;
	struct state_reader r;
	struct fwcfg_state st;
	const uint8_t *data;
	size_t len;

	port_select(0x1234);
	data = save(fw, &w, &len);
	cr_assert_eq(load(other, data, len, &r), 0, "%s", r.err.msg);
	fwcfg_get_state(other, &st);
	cr_assert_eq(st.cur_key, 0x1234);
	state_writer_free(&w);
	fwcfg_free(other);
}

/* A record by hand: the selector state, then files (path, data) as "file-N" children. */
struct file_rec {
	const char *path;
	const char *data;
	size_t len;
};

static const uint8_t *craft(struct state_writer *w, uint16_t key, uint32_t off, uint64_t dma_addr,
			    const struct file_rec *files, unsigned n, size_t *len)
{
	state_writer_init(w);
	state_record_begin(w, "fw_cfg", 1);
	state_put_u16(w, "cur_key", key);
	state_put_u32(w, "cur_offset", off);
	state_put_u64(w, "dma_addr", dma_addr);
	for (unsigned i = 0; i < n; i++) {
		char node[16];

		snprintf(node, sizeof(node), "file-%u", i);
		state_node_begin(w, node);
		state_put_string(w, "path", files[i].path);
		state_put_bytes(w, "data", files[i].data, files[i].len);
		state_node_end(w);
	}
	state_record_end(w);
	return state_writer_finish(w, len);
}

/* Load the crafted record into fw (prepared by add_files): refused, and fw unchanged. */
static void assert_refused(uint16_t key, uint32_t off, uint64_t dma_addr, const struct file_rec *files,
			   unsigned n, const char *why)
{
	struct state_writer w;
	struct state_reader r;
	struct fwcfg_state before, after;
	const uint8_t *data;
	size_t len;

	port_select((uint16_t)fwcfg_file_key(fw, "etc/rw"));
	port_read((uint8_t[1]){ 0 }, 1);
	fwcfg_get_state(fw, &before);
	data = craft(&w, key, off, dma_addr, files, n, &len);
	cr_assert_not_null(data, "%s", w.err.msg);
	cr_assert_eq(load(fw, data, len, &r), -EINVAL, "accepted: %s", why);
	cr_assert(strstr(r.err.msg, why), "%s", r.err.msg);
	fwcfg_get_state(fw, &after);
	cr_assert_eq(after.cur_key, before.cur_key, "%s", why);
	cr_assert_eq(after.cur_offset, before.cur_offset, "%s", why);
	cr_assert_eq(after.dma_addr, before.dma_addr, "%s", why);
	cr_assert_arr_eq(fwcfg_file_data(fw, "etc/rw", NULL), "abcd", 4, "%s", why);
	cr_assert_arr_eq(fwcfg_file_data(fw, "etc/rw2", NULL), "\0\0\0\0\0\0\0\0", 8, "%s", why);
	state_writer_free(&w);
}

Test(fw_cfg_state, records_that_do_not_fit_are_refused)
{
	const struct file_rec good[] = { { "etc/rw", "WXYZ", 4 }, { "etc/rw2", "12345678", 8 } };
	const struct file_rec twice[] = { { "etc/rw", "WXYZ", 4 }, { "etc/rw2", "12345678", 8 },
					  { "etc/rw", "QQQQ", 4 } };
	const struct file_rec unknown[] = { { "etc/rw", "WXYZ", 4 }, { "etc/rw2", "12345678", 8 },
					    { "etc/gone", "x", 1 } };
	const struct file_rec ro[] = { { "etc/rw", "WXYZ", 4 }, { "etc/rw2", "12345678", 8 },
				       { "etc/ro", "xyz", 3 } };
	const struct file_rec size[] = { { "etc/rw", "WXYZ!", 5 }, { "etc/rw2", "12345678", 8 } };
	const struct file_rec unprintable[] = { { "etc/rw", "WXYZ", 4 }, { "etc/rw2", "12345678", 8 },
						{ "etc\n", "x", 1 } };
	uint16_t rw;

	add_files(fw);
	rw = (uint16_t)fwcfg_file_key(fw, "etc/rw");
	assert_refused(rw, 5, 0, good, 2, "offset 5 beyond the 4 bytes");
	assert_refused(0x1234, 1, 0, good, 2, "offset 1 beyond the 0 bytes");
	assert_refused(rw, 0, 0x1234, good, 2, "not a latched high half");
	assert_refused(rw, 0, 0, good, 1, "lacks writable file etc/rw2");
	assert_refused(rw, 0, 0, twice, 3, "etc/rw saved twice");
	assert_refused(rw, 0, 0, unknown, 3, "no writable file etc/gone here");
	assert_refused(rw, 0, 0, ro, 3, "no writable file etc/ro here");
	assert_refused(rw, 0, 0, size, 2, "etc/rw: 5 bytes saved, 4 here");
	assert_refused(rw, 0, 0, unprintable, 3, "(by that unprintable name)");
}

Test(fw_cfg_state, no_dma_no_dma_address)
{
	struct fwcfg *nodma = fwcfg_new(NULL);
	struct device dev = { .ops = &fwcfg_device_ops, .priv = nodma };
	struct state_writer w;
	struct state_reader r;
	const uint8_t *data;
	size_t len;

	data = craft(&w, 0, 0, 0x100000000ULL, NULL, 0, &len);
	cr_assert_eq(state_reader_init(&r, data, len), 0);
	cr_assert_eq(fwcfg_device_ops.load(&dev, &r), -EINVAL);
	cr_assert(strstr(r.err.msg, "but this fw_cfg has no DMA"), "%s", r.err.msg);
	state_writer_free(&w);
	fwcfg_free(nodma);
}
