/* SPDX-License-Identifier: MIT */
/*
 * QEMU's fw_cfg vmcoreinfo device (devices/vmcoreinfo_fwcfg.c), driven
 * through fw_cfg DMA the way Linux's qemu_fw_cfg driver writes it; reset
 * and the state record; and the dumper's rules for the record
 * (vmcoreinfo_note_from_fwcfg).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/fw_cfg.h"
#include "devices/vmcoreinfo.h"
#include "devices/vmcoreinfo_fwcfg.h"
#include "tests/unit/dump_fake.h"
#include "tests/unit/vmcoreinfo_fixture.h"
#include "vmm/state.h"
#include "vmm/util.h"
#include "vmm/vm.h"

/* The rig of vmcoreinfo_fixture.h around this file's device. */
static void rig_init(struct rig *g)
{
	rig_init_ops(g, &vmcoreinfo_fwcfg_ops);
}

/* Linux's fw_cfg_write_vmcoreinfo(): SELECT + WRITE of the record at offset 0. */
static uint32_t dma_write(struct rig *g, uint32_t control_extra, uint16_t format, uint32_t size,
			  uint64_t paddr, uint32_t len)
{
	int key = fwcfg_file_key(g->vm->fwcfg, VMCOREINFO_FILE);
	uint8_t *desc = g->ram + DESC_GPA, *rec = g->ram + DATA_GPA;

	cr_assert_geq(key, FWCFG_KEY_FILE_FIRST);
	put_le16(rec, 0);
	put_le16(rec + 2, format);
	put_le32(rec + 4, size);
	put_le64(rec + 8, paddr);
	put_be32(desc, (uint32_t)key << 16 | FWCFG_DMA_SELECT | FWCFG_DMA_WRITE | control_extra);
	put_be32(desc + 4, len);
	put_be64(desc + 8, DATA_GPA);
	fwcfg_dma_transfer(g->vm->fwcfg, DESC_GPA);
	return get_be32(desc);
}

static const struct vmci_fwcfg_rec *rec_of(struct rig *g)
{
	return vmcoreinfo_fwcfg_record(&g->dev);
}

Test(vmcoreinfo_fwcfg, file_offers_elf_and_nothing_published)
{
	struct rig g;
	uint32_t size;
	const uint8_t *f;

	rig_init(&g);
	f = fwcfg_file_data(g.vm->fwcfg, VMCOREINFO_FILE, &size);
	cr_assert_not_null(f);
	cr_assert_eq(size, 16);
	cr_assert_eq(get_le16(f), 1, "host_format ELF");
	for (unsigned i = 2; i < 16; i++)
		cr_assert_eq(f[i], 0);
	cr_assert(!rec_of(&g)->written);
	cr_assert_eq(fwcfg_file_key(g.vm->fwcfg, VMCOREINFO_ADDR_FILE), -ENOENT,
		     "the ACPI protocol's files are not offered");
	rig_fini(&g);
}

Test(vmcoreinfo_fwcfg, whole_record_publishes)
{
	struct rig g;

	rig_init(&g);
	cr_assert_eq(dma_write(&g, 0, 1, 4132, 0x3f000000ULL, 16), 0);
	cr_assert(rec_of(&g)->written);
	cr_assert_eq(rec_of(&g)->guest_format, 1);
	cr_assert_eq(rec_of(&g)->size, 4132);
	cr_assert_eq(rec_of(&g)->paddr, 0x3f000000ULL);
	rig_fini(&g);
}

/* fw_cfg accepts the bytes (they fit), but only a whole record counts, as in QEMU. */
Test(vmcoreinfo_fwcfg, partial_or_offset_write_does_not_publish)
{
	struct rig g;
	int key;
	uint8_t *desc;

	rig_init(&g);
	cr_assert_eq(dma_write(&g, 0, 1, 4132, 0x3f000000ULL, 8), 0);
	cr_assert(!rec_of(&g)->written);
	/* SKIP 8 then WRITE 8: the second half alone. */
	key = fwcfg_file_key(g.vm->fwcfg, VMCOREINFO_FILE);
	desc = g.ram + DESC_GPA;
	put_be32(desc, (uint32_t)key << 16 | FWCFG_DMA_SELECT | FWCFG_DMA_SKIP);
	put_be32(desc + 4, 8);
	put_be64(desc + 8, 0);
	fwcfg_dma_transfer(g.vm->fwcfg, DESC_GPA);
	cr_assert_eq(get_be32(desc), 0);
	put_be32(desc, FWCFG_DMA_WRITE);
	put_be32(desc + 4, 8);
	put_be64(desc + 8, DATA_GPA);
	fwcfg_dma_transfer(g.vm->fwcfg, DESC_GPA);
	cr_assert_eq(get_be32(desc), 0);
	cr_assert(!rec_of(&g)->written);
	rig_fini(&g);
}

Test(vmcoreinfo_fwcfg, oversized_write_is_refused)
{
	struct rig g;

	rig_init(&g);
	cr_assert_eq(dma_write(&g, 0, 1, 4132, 0x3f000000ULL, 17), FWCFG_DMA_ERROR);
	cr_assert(!rec_of(&g)->written);
	rig_fini(&g);
}

Test(vmcoreinfo_fwcfg, reset_clears_state_and_file)
{
	struct rig g;
	uint32_t size;
	const uint8_t *f;

	rig_init(&g);
	dma_write(&g, 0, 1, 4132, 0x3f000000ULL, 16);
	vmcoreinfo_fwcfg_ops.reset(&g.dev);
	cr_assert(!rec_of(&g)->written);
	cr_assert_eq(rec_of(&g)->paddr, 0);
	f = fwcfg_file_data(g.vm->fwcfg, VMCOREINFO_FILE, &size);
	cr_assert_eq(get_le16(f), 1);
	for (unsigned i = 2; i < 16; i++)
		cr_assert_eq(f[i], 0, "byte %u after reset", i);
	rig_fini(&g);
}

/* The two records a restore reads: fw_cfg's (the file's bytes) and the device's. */
static const uint8_t *save(struct rig *g, struct state_writer *w, size_t *len)
{
	struct device fwdev = { .ops = &fwcfg_device_ops, .priv = g->vm->fwcfg };

	state_writer_init(w);
	cr_assert_eq(fwcfg_device_ops.save(&fwdev, w), 0, "%s", w->err.msg);
	cr_assert_eq(vmcoreinfo_fwcfg_ops.save(&g->dev, w), 0, "%s", w->err.msg);
	return state_writer_finish(w, len);
}

static int load(struct rig *g, const uint8_t *data, size_t len, struct state_reader *r)
{
	struct device fwdev = { .ops = &fwcfg_device_ops, .priv = g->vm->fwcfg };
	int rc;

	cr_assert_eq(state_reader_init(r, data, len), 0, "%s", r->err.msg);
	rc = fwcfg_device_ops.load(&fwdev, r);
	return rc ? rc : vmcoreinfo_fwcfg_ops.load(&g->dev, r);
}

Test(vmcoreinfo_fwcfg, state_round_trip)
{
	struct rig a, b;
	struct state_writer w;
	struct state_reader r;
	const uint8_t *data;
	size_t len;
	uint32_t size;

	rig_init(&a);
	rig_init(&b);
	dma_write(&a, 0, 1, 4132, 0x13f000000ULL, 16);
	data = save(&a, &w, &len);
	cr_assert_not_null(data, "%s", w.err.msg);
	cr_assert_eq(load(&b, data, len, &r), 0, "%s", r.err.msg);
	cr_assert(rec_of(&b)->written);
	cr_assert_eq(rec_of(&b)->guest_format, 1);
	cr_assert_eq(rec_of(&b)->size, 4132);
	cr_assert_eq(rec_of(&b)->paddr, 0x13f000000ULL);
	/* A guest reading the file after a restore sees the record. */
	cr_assert_eq(get_le64(fwcfg_file_data(b.vm->fwcfg, VMCOREINFO_FILE, &size) + 8),
		     0x13f000000ULL);
	state_writer_free(&w);
	rig_fini(&a);
	rig_fini(&b);
}

/* A partial write after publishing changes the file, not the record: both survive as they were. */
Test(vmcoreinfo_fwcfg, file_bytes_and_record_restored_apart)
{
	struct rig a, b;
	struct state_writer w;
	struct state_reader r;
	const uint8_t *data, *fa, *fb;
	size_t len;
	uint32_t size;

	rig_init(&a);
	rig_init(&b);
	dma_write(&a, 0, 1, 4132, 0x13f000000ULL, 16);
	dma_write(&a, 0, 1, 99, 0x5000, 8); /* the first 8 bytes only */
	data = save(&a, &w, &len);
	cr_assert_eq(load(&b, data, len, &r), 0, "%s", r.err.msg);
	cr_assert_eq(rec_of(&b)->size, 4132, "the published record");
	fa = fwcfg_file_data(a.vm->fwcfg, VMCOREINFO_FILE, &size);
	fb = fwcfg_file_data(b.vm->fwcfg, VMCOREINFO_FILE, &size);
	cr_assert_eq(get_le32(fb + 4), 99, "the file's bytes as the guest left them");
	cr_assert_arr_eq(fa, fb, 16);
	state_writer_free(&w);
	rig_fini(&a);
	rig_fini(&b);
}

Test(vmcoreinfo_fwcfg, unpublished_record_with_values_refused)
{
	struct rig g;
	struct state_writer w;
	struct state_reader r;
	const uint8_t *data;
	size_t len;

	rig_init(&g);
	dma_write(&g, 0, 1, 4132, 0x3f000000ULL, 16);
	state_writer_init(&w);
	state_record_begin(&w, "vmcoreinfo-fwcfg", 1);
	state_put_bool(&w, "written", false);
	state_put_u16(&w, "guest_format", 1);
	state_put_u32(&w, "size", 0);
	state_put_u64(&w, "paddr", 0);
	state_record_end(&w);
	data = state_writer_finish(&w, &len);
	cr_assert_eq(state_reader_init(&r, data, len), 0);
	cr_assert_eq(vmcoreinfo_fwcfg_ops.load(&g.dev, &r), -EINVAL);
	cr_assert(strstr(r.err.msg, "never published"), "%s", r.err.msg);
	cr_assert(rec_of(&g)->written, "a refused record changes nothing");
	cr_assert_eq(rec_of(&g)->paddr, 0x3f000000ULL);
	state_writer_free(&w);
	rig_fini(&g);
}

Test(vmcoreinfo_fwcfg, unknown_version_rejected)
{
	struct rig g;
	struct state_writer w;
	struct state_reader r;
	const uint8_t *data;
	size_t len;

	rig_init(&g);
	state_writer_init(&w);
	cr_assert_eq(state_record_begin(&w, "vmcoreinfo-fwcfg", 2), 0);
	cr_assert_eq(state_put_u8(&w, "written", 1), 0);
	cr_assert_eq(state_record_end(&w), 0);
	data = state_writer_finish(&w, &len);
	cr_assert_eq(state_reader_init(&r, data, len), 0);
	cr_assert_eq(vmcoreinfo_fwcfg_ops.load(&g.dev, &r), -EPROTONOSUPPORT);
	cr_assert(!rec_of(&g)->written, "a refused record changes nothing");
	state_writer_free(&w);
	rig_fini(&g);
}

Test(vmcoreinfo_fwcfg, refused_without_fwcfg_dma)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	struct device dev = { .ops = &vmcoreinfo_fwcfg_ops, .vm = vm };

	vm->vm_fd = -1;
	cr_assert_eq(vmcoreinfo_fwcfg_ops.create(vm, &dev), -ENODEV);
	vm->fwcfg = fwcfg_new(NULL);
	cr_assert_eq(vmcoreinfo_fwcfg_ops.create(vm, &dev), -ENODEV);
	cr_assert_eq(fwcfg_file_key(vm->fwcfg, VMCOREINFO_FILE), -ENOENT);
	fwcfg_free(vm->fwcfg);
	free(vm);
}

/* ---- what the dumper accepts (vmm/vmcoreinfo_note.c) ---- */

static int from_rec(struct fake_guest *g, bool written, uint16_t format, uint32_t size,
		    uint64_t paddr, struct vmcoreinfo_note *n, struct errbuf *why)
{
	struct vmci_fwcfg_rec rec = { written, format, size, paddr };

	why->msg[0] = '\0';
	return vmcoreinfo_note_from_fwcfg(&g->gm, &rec, n, why);
}

Test(vmcoreinfo_fwcfg, dumper_takes_a_valid_record)
{
	struct fake_guest g;
	struct vmcoreinfo_note n;
	struct errbuf why;

	fake_init(&g);
	cr_assert_eq(from_rec(&g, true, 1, FAKE_NOTE_SIZE, FAKE_NOTE_GPA, &n, &why), 0, "%s", why.msg);
	cr_assert_eq(n.note, g.low + FAKE_NOTE_GPA);
	cr_assert_eq(n.text_len, strlen(FAKE_TEXT));
	fake_fini(&g);
}

Test(vmcoreinfo_fwcfg, dumper_refuses_each_bad_record)
{
	struct fake_guest g;
	struct vmcoreinfo_note n;
	struct errbuf why;

	fake_init(&g);
	cr_assert_eq(from_rec(&g, false, 1, FAKE_NOTE_SIZE, FAKE_NOTE_GPA, &n, &why), -ENOENT);
	cr_assert(strstr(why.msg, "etc/vmcoreinfo was not written"), "%s", why.msg);
	cr_assert_eq(from_rec(&g, true, 0, FAKE_NOTE_SIZE, FAKE_NOTE_GPA, &n, &why), -ENOENT);
	cr_assert(strstr(why.msg, "guest_format 0 (NONE)"), "%s", why.msg);
	cr_assert_eq(from_rec(&g, true, 2, FAKE_NOTE_SIZE, FAKE_NOTE_GPA, &n, &why), -EPROTO);
	cr_assert_str_eq(why.msg, "vmcoreinfo: guest format 2 unsupported (1 = ELF)");
	cr_assert_eq(from_rec(&g, true, 1, 0, FAKE_NOTE_GPA, &n, &why), -ERANGE);
	cr_assert_eq(from_rec(&g, true, 1, 2u << 20, FAKE_NOTE_GPA, &n, &why), -ERANGE);
	cr_assert_eq(from_rec(&g, true, 1, FAKE_NOTE_SIZE, 0xFFFFFFFFFFFFF000ULL, &n, &why), -EFAULT);
	cr_assert_eq(from_rec(&g, true, 1, FAKE_NOTE_SIZE, FAKE_LOW_SIZE - 16, &n, &why), -EFAULT,
		     "a note running off the end of low RAM");
	fake_note_at(g.low + FAKE_NOTE_GPA, "VMCOREINFX", 0, FAKE_TEXT);
	cr_assert_eq(from_rec(&g, true, 1, FAKE_NOTE_SIZE, FAKE_NOTE_GPA, &n, &why), -EINVAL);
	fake_fini(&g);
}
