/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the vmcoreinfo devices and the note reader, as a guest and
 * then the dumper meet them: devices/vmcoreinfo.c (the address written back
 * into "etc/vmcoreinfo-addr") or devices/vmcoreinfo_fwcfg.c (QEMU's 16-byte
 * "etc/vmcoreinfo" record), both behind the real fw_cfg DMA engine, and
 * vmm/vmcoreinfo_note.c reading whatever the guest left in RAM. Guest RAM is
 * guarded and shadowed (fuzz_fa_util.h), with regions at 0, below 3 GiB, at
 * 4 GiB and just under 2^64.
 *
 * What must hold:
 *  - a record write is accepted exactly when fw_cfg's ABI says (whole, inside
 *    the file); the published address (ACPI protocol: always the file's
 *    le64; fw_cfg protocol: only a whole 16-byte write at offset 0 publishes)
 *    follows a model, so a refused write (and a partial fw_cfg record)
 *    leaves it unchanged;
 *  - reset clears the address / record and the file shows it;
 *  - the reader accepts exactly the notes a model of DESIGN.md §6 accepts,
 *    and what it returns (note, text) lies inside one guest RAM region and
 *    inside the size it reports; it never writes guest RAM;
 *  - vmcoreinfo_note_check on a heap buffer of exactly the input's length
 *    reads nothing past it (ASan) and returns text inside it.
 *
 * Input: byte 0 bit 0 picks the protocol; then operations, each an opcode
 * byte and its operands.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/fw_cfg.h"
#include "devices/vmcoreinfo.h"
#include "devices/vmcoreinfo_fwcfg.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/fuzz_fa_util.h"
#include "vmm/log.h"
#include "vmm/vm.h"
#include "vmm/vmcoreinfo_note.h"

#define RSZ 0x4000
#define DESC_GPA 0x1000
#define DATA_GPA 0x2000

static const uint64_t layout[][2] = {
	{ 0, 0x10000 },
	{ 3 * GiB - RSZ, RSZ },
	{ 4 * GiB, RSZ },
	{ 0 - (uint64_t)RSZ - 1, RSZ }, /* RAM cannot reach 2^64 itself: the last byte is 2^64 - 2 */
};

struct rig {
	struct vm *vm;
	struct device dev;
	const char *file;
	uint32_t fsize;
};

static struct fa_ram ram;
static struct rig rigs[2]; /* 0: ACPI protocol, 1: fw_cfg record */
static bool inited;

/* The model. */
static struct {
	uint8_t file[VMCI_FWCFG_SIZE];
	uint64_t addr;		    /* ACPI protocol */
	struct vmci_fwcfg_rec rec; /* fw_cfg protocol */
} m;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const struct device_ops *ops[2] = { &vmcoreinfo_ops, &vmcoreinfo_fwcfg_ops };

	(void)argc;
	(void)argv;
	log_level = LOG_ERROR;
	fa_ram_init(&ram, layout, ARRAY_SIZE(layout));
	for (unsigned i = 0; i < 2; i++) {
		struct rig *g = &rigs[i];

		g->vm = calloc(1, sizeof(*g->vm));
		FUZZ_CHECK(g->vm, "calloc");
		g->vm->mem = ram.gm;
		g->vm->vm_fd = -1;
		g->vm->fwcfg = fwcfg_new(&g->vm->mem);
		FUZZ_CHECK(g->vm->fwcfg, "fwcfg_new");
		g->dev = (struct device){ .ops = ops[i], .vm = g->vm };
		FUZZ_CHECK(ops[i]->create(g->vm, &g->dev) == 0, "create %s", ops[i]->name);
		g->file = i ? VMCOREINFO_FILE : VMCOREINFO_ADDR_FILE;
		g->fsize = i ? VMCI_FWCFG_SIZE : 8;
	}
	inited = true;
	return 0;
}

static void m_reset(struct rig *g)
{
	memset(&m, 0, sizeof(m));
	if (g == &rigs[1])
		put_le16(m.file + VMCI_FWCFG_HOST_FORMAT, VMCI_FWCFG_FORMAT_ELF);
}

static void check_state(struct rig *g, const char *after)
{
	uint32_t size;
	const uint8_t *f = fwcfg_file_data(g->vm->fwcfg, g->file, &size);

	FUZZ_CHECK(f && size == g->fsize && !memcmp(f, m.file, size), "after %s: %s differs from the model",
		   after, g->file);
	if (g == &rigs[0]) {
		FUZZ_CHECK(vmcoreinfo_addr(&g->dev) == m.addr, "after %s: address 0x%llx, the model says 0x%llx",
			   after, (unsigned long long)vmcoreinfo_addr(&g->dev), (unsigned long long)m.addr);
	} else {
		const struct vmci_fwcfg_rec *r = vmcoreinfo_fwcfg_record(&g->dev);

		FUZZ_CHECK(r->written == m.rec.written && r->guest_format == m.rec.guest_format &&
				   r->size == m.rec.size && r->paddr == m.rec.paddr,
			   "after %s: record {%d %u %u 0x%llx}, the model says {%d %u %u 0x%llx}", after,
			   r->written, r->guest_format, r->size, (unsigned long long)r->paddr, m.rec.written,
			   m.rec.guest_format, m.rec.size, (unsigned long long)m.rec.paddr);
	}
}

/* One descriptor at DESC_GPA, started by the guest's port write; returns its status. */
static uint32_t dma(struct rig *g, uint32_t control, uint32_t len, uint64_t addr)
{
	uint8_t d[16];
	uint32_t st;

	put_be32(d, control);
	put_be32(d + 4, len);
	put_be64(d + 8, addr);
	fa_guest_write(&ram, DESC_GPA, d, sizeof(d));
	fwcfg_port_write(g->vm->fwcfg, FWCFG_OFF_DMA_LOW, 4, __builtin_bswap32(DESC_GPA));
	st = get_be32(gm_ptr(&ram.gm, DESC_GPA, 4));
	put_be32(d, st);
	fa_guest_write(&ram, DESC_GPA, d, 4);
	return st;
}

/* The guest writes len bytes at offset off of the record file (SELECT, SKIP, WRITE). */
static void record_write(struct rig *g, uint16_t key, uint32_t off, const uint8_t *data, uint32_t len)
{
	uint32_t sel = (uint32_t)key << 16 | FWCFG_DMA_SELECT, st;
	bool ok = len && off <= g->fsize && len <= g->fsize - off;

	fa_guest_write(&ram, DATA_GPA, data, len);
	if (off) {
		FUZZ_CHECK(dma(g, sel | FWCFG_DMA_SKIP, off, 0) == 0, "SKIP failed");
		sel = 0;
	}
	st = dma(g, sel | FWCFG_DMA_WRITE, len, DATA_GPA);
	/* A zero-length transfer does nothing and succeeds (fw_cfg's ABI). */
	FUZZ_CHECK(st == (ok || !len ? 0 : FWCFG_DMA_ERROR), "a %u-byte write at %u of %s: status %u", len, off,
		   g->file, st);
	if (!ok)
		return;
	memcpy(m.file + off, data, len);
	if (g == &rigs[0]) {
		m.addr = get_le64(m.file);
	} else if (off == 0 && len == VMCI_FWCFG_SIZE) {
		m.rec.written = true;
		m.rec.guest_format = get_le16(data + VMCI_FWCFG_GUEST_FORMAT);
		m.rec.size = get_le32(data + VMCI_FWCFG_NOTE_SIZE);
		m.rec.paddr = get_le64(data + VMCI_FWCFG_PADDR);
	}
}

static uint32_t pick_size(struct fin *in)
{
	static const uint32_t sizes[] = { 12,	      16,	   23,	       24,	  25,	   28,
					  4132,	      VMCI_SIZE_MAX, VMCI_SIZE_MAX + 1, 11, 0, RSZ,
					  RSZ - 0x10, 0xffffffffu,	0x80000000u, 0xfffffff4u };
	uint8_t sel = fin_u8(in);

	if (sel < 0xc0)
		return sizes[sel % ARRAY_SIZE(sizes)];
	return fin_u32(in);
}

/* The note the model accepts at [paddr, paddr + size): DESIGN.md §6 and the ELF note format. */
static bool m_note_ok(uint64_t paddr, uint32_t size)
{
	const uint8_t *p;
	uint32_t namesz, descsz;

	if (size < VMCI_SIZE_MIN || size > VMCI_SIZE_MAX || !fa_in_one_region(&ram, paddr, size, NULL))
		return false;
	p = fa_shadow_at(&ram, paddr);
	namesz = get_le32(p);
	descsz = get_le32(p + 4);
	if (namesz != 11 || (uint64_t)12 + 12 + align_up(descsz, 4) > size)
		return false;
	return !memcmp(p + 12, "VMCOREINFO", 11) && get_le32(p + 8) == 0;
}

/* Run the reader on what the device holds; compare with the model; check what it returns. */
static void read_note(struct rig *g)
{
	struct vmcoreinfo_note out;
	struct errbuf why = { { 0 } };
	uint64_t paddr = 0;
	uint32_t size = 0;
	bool want = false;
	int rc;

	if (g == &rigs[0]) {
		rc = vmcoreinfo_note_find(&g->vm->mem, vmcoreinfo_addr(&g->dev), &out, &why);
		if (m.addr && fa_in_one_region(&ram, m.addr, VMCI_HDR_SIZE, NULL)) {
			const uint8_t *h = fa_shadow_at(&ram, m.addr);

			paddr = get_le64(h + VMCI_HDR_PADDR);
			size = get_le32(h + VMCI_HDR_SIZE_OFF);
			want = get_le32(h) == VMCI_VERSION && m_note_ok(paddr, size);
		}
	} else {
		rc = vmcoreinfo_note_from_fwcfg(&g->vm->mem, vmcoreinfo_fwcfg_record(&g->dev), &out, &why);
		paddr = m.rec.paddr;
		size = m.rec.size;
		want = m.rec.written && m.rec.guest_format == VMCI_FWCFG_FORMAT_ELF && m_note_ok(paddr, size);
	}
	FUZZ_CHECK((rc == 0) == want, "the reader says %d (%s), the model says %s", rc, why.msg,
		   want ? "a valid note" : "no valid note");
	if (rc) {
		FUZZ_CHECK(why.msg[0], "a refusal without a reason");
		fa_ram_check(&ram, "a refused read");
		return;
	}
	FUZZ_CHECK(out.paddr == paddr && out.size == size && out.note == gm_ptr(&g->vm->mem, paddr, size),
		   "the note returned is not the one published");
	FUZZ_CHECK(out.note_size >= 24 && out.note_size <= out.size, "note of %zu bytes in a size of %u",
		   out.note_size, out.size);
	FUZZ_CHECK((const uint8_t *)out.text == out.note + 24 && out.text_len <= out.note_size - 24,
		   "text of %zu bytes outside its note", out.text_len);
	/* Touch it all: a byte outside RAM would hit a guard page. */
	{
		uint8_t x = 0;

		for (size_t i = 0; i < out.text_len; i++)
			x ^= (uint8_t)out.text[i];
		(void)x;
	}
	fa_ram_check(&ram, "a read");
}

/* vmcoreinfo_note_check on exactly len bytes of heap. */
static void check_buffer(struct fin *in)
{
	size_t len = fin_u8(in) % 64;
	uint8_t *buf = malloc(len ? len : 1);
	struct vmcoreinfo_note out;
	struct errbuf why = { { 0 } };

	FUZZ_CHECK(buf, "malloc");
	if (len >= 12 && fin_u8(in) & 1) {
		/* A plausible header, then the input. */
		put_le32(buf, 11);
		put_le32(buf + 4, (uint32_t)fin_u8(in) | (fin_u8(in) & 0x80 ? 0xffffff00u : 0));
		put_le32(buf + 8, 0);
		for (size_t i = 12; i < len; i++)
			buf[i] = i < 23 ? (uint8_t) "VMCOREINFO"[i - 12] : fin_u8(in);
	} else {
		for (size_t i = 0; i < len; i++)
			buf[i] = fin_u8(in);
	}
	memset(&out, 0, sizeof(out));
	if (vmcoreinfo_note_check(buf, len, &out, &why) == 0)
		FUZZ_CHECK(out.note == buf && out.note_size <= len && (const uint8_t *)out.text >= buf &&
				   (const uint8_t *)out.text + out.text_len <= buf + out.note_size,
			   "a note checked in %zu bytes reaches outside them", len);
	else
		FUZZ_CHECK(why.msg[0], "a refusal without a reason");
	free(buf);
}

/* Place a note (header, name, text) at gpa from the input. */
static void place_note(struct fin *in, uint64_t gpa)
{
	static const uint32_t namesz[] = { 11, 11, 11, 0, 10, 12, 0xffffffffu, 0xfffffffdu };
	uint8_t n[64] = { 0 };
	uint8_t sel = fin_u8(in);
	uint32_t descsz, textlen = fin_u8(in) % 40;
	size_t len;

	put_le32(n, sel & 0x80 ? fin_u32(in) : namesz[sel & 7]);
	sel = fin_u8(in);
	descsz = sel < 0x80 ? textlen : sel < 0xc0 ? textlen + (sel & 7) : fin_u32(in);
	put_le32(n + 4, descsz);
	put_le32(n + 8, fin_u8(in) & 0x80 ? fin_u32(in) : 0);
	memcpy(n + 12, "VMCOREINFO", 11);
	if (fin_u8(in) & 0x80)
		n[12 + fin_u8(in) % 12] ^= fin_u8(in);
	for (uint32_t i = 0; i < textlen; i++)
		n[24 + i] = fin_u8(in);
	len = 24 + textlen;
	fa_guest_write(&ram, gpa, n, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in = { data, size };
	struct rig *g;
	unsigned ops = 0;

	if (!inited)
		LLVMFuzzerInitialize(NULL, NULL);
	g = &rigs[fin_u8(&in) & 1];
	fa_ram_fill(&ram);
	g->dev.ops->reset(&g->dev);
	fwcfg_reset(g->vm->fwcfg);
	m_reset(g);
	check_state(g, "power-on");
	while (fin_more(&in) && ops++ < 64) {
		uint8_t op = fin_u8(&in);

		switch (op % 8) {
		case 0: { /* any write into the record file */
			uint8_t buf[24];
			uint8_t flags = fin_u8(&in);
			uint32_t off = fin_u8(&in) % 24, len = fin_u8(&in) % 24;
			int key = fwcfg_file_key(g->vm->fwcfg, g->file);

			for (uint32_t i = 0; i < len; i++)
				buf[i] = fin_u8(&in);
			/* The write-channel flag bit is ignored for lookup. */
			record_write(g, (uint16_t)(key | (flags & 1 ? FWCFG_KEY_WRITE_CHANNEL : 0)), off, buf, len);
			check_state(g, "a record write");
			break;
		}
		case 1: { /* a whole record, as the firmware or Linux writes it */
			uint8_t rec[VMCI_FWCFG_SIZE] = { 0 };
			int key = fwcfg_file_key(g->vm->fwcfg, g->file);

			if (g == &rigs[0]) {
				put_le64(rec, fa_pick_addr(&ram, &in));
			} else {
				uint8_t f = fin_u8(&in);

				put_le16(rec + VMCI_FWCFG_HOST_FORMAT, f & 0x80 ? 0 : VMCI_FWCFG_FORMAT_ELF);
				put_le16(rec + VMCI_FWCFG_GUEST_FORMAT, f & 0x40 ? fin_u16(&in) : f % 3 != 0);
				put_le32(rec + VMCI_FWCFG_NOTE_SIZE, pick_size(&in));
				put_le64(rec + VMCI_FWCFG_PADDR, fa_pick_addr(&ram, &in));
			}
			record_write(g, (uint16_t)key, 0, rec, g->fsize);
			check_state(g, "a whole record");
			break;
		}
		case 2:
			g->dev.ops->reset(&g->dev);
			fwcfg_reset(g->vm->fwcfg);
			m_reset(g);
			check_state(g, "reset");
			FUZZ_CHECK(g != &rigs[0] || vmcoreinfo_addr(&g->dev) == 0, "reset kept the address");
			break;
		case 3: { /* the page's header {version, paddr, size} at the address, or anywhere */
			uint8_t h[VMCI_HDR_SIZE];
			uint8_t sel = fin_u8(&in);
			uint64_t at = sel & 1 && m.addr ? m.addr : fa_pick_addr(&ram, &in);

			put_le32(h, sel & 0x80 ? fin_u32(&in) : VMCI_VERSION);
			put_le64(h + VMCI_HDR_PADDR, fa_pick_addr(&ram, &in));
			put_le32(h + VMCI_HDR_SIZE_OFF, pick_size(&in));
			fa_guest_write(&ram, at, h, sizeof(h));
			break;
		}
		case 4: { /* a note where the header or record points, or anywhere */
			uint64_t at = m.rec.paddr;
			uint8_t sel = fin_u8(&in);

			if (g == &rigs[0] && m.addr && fa_in_one_region(&ram, m.addr, VMCI_HDR_SIZE, NULL))
				at = get_le64(fa_shadow_at(&ram, m.addr) + VMCI_HDR_PADDR);
			if (sel & 1)
				at = fa_pick_addr(&ram, &in);
			place_note(&in, at);
			break;
		}
		case 5: fa_random_guest_write(&ram, &in);
			break;
		case 6:
			read_note(g);
			break;
		default:
			check_buffer(&in);
			break;
		}
	}
	read_note(g);
	return 0;
}
