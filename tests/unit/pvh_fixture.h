/* SPDX-License-Identifier: MIT */
/*
 * Crafted ELF32/ELF64 PVH kernels for the vmm/boot_pvh.c tests: segments,
 * notes (or a note section only), entry sizes and hostile header fields.
 * Static inline only: every test file is linked into one binary.
 */
#ifndef MICROVM_TESTS_PVH_FIXTURE_H
#define MICROVM_TESTS_PVH_FIXTURE_H

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/boot_fixture.h"


#define NOTE_OFF 0x200
#define DATA_OFF 0x1000

struct tseg {
	uint32_t type; /* 0 means PT_LOAD */
	uint64_t paddr, filesz, memsz;
	uint64_t offset; /* 0: next free 4 KiB-aligned spot after DATA_OFF */
};

struct elfopts {
	int is64;
	uint16_t machine;
	unsigned nsegs;
	struct tseg seg[20];
	int note;	      /* 0 none, 1 PT_NOTE, 2 SHT_NOTE section only */
	unsigned entry_size;  /* 4 or 8 */
	uint64_t entry;
	uint16_t phnum_override;
};

static inline uint8_t seg_byte(unsigned s, size_t i)
{
	return (uint8_t)(s * 31 + i * 13 + 1);
}

/* Notes: a GNU build-id first, then Xen ones with other types, then the entry. */
static inline size_t put_notes(uint8_t *p, unsigned entry_size, uint64_t entry)
{
	size_t at = 0;

	t_put(p + at, 4, 4), t_put(p + at + 4, 4, 8), t_put(p + at + 8, 4, 3);
	memcpy(p + at + 12, "GNU", 4);
	at += 12 + 4 + 8;
	t_put(p + at, 4, 4), t_put(p + at + 4, 4, 6), t_put(p + at + 8, 4, 6);
	memcpy(p + at + 12, "Xen", 4);
	memcpy(p + at + 16, "linux", 6);
	at += 12 + 4 + 8;
	t_put(p + at, 4, 4), t_put(p + at + 4, 4, entry_size), t_put(p + at + 8, 4, 18);
	memcpy(p + at + 12, "Xen", 4);
	t_put(p + at + 16, entry_size, entry);
	at += 12 + 4 + ((entry_size + 3) & ~3u);
	return at;
}

static inline uint8_t *elf_make(const struct elfopts *o, size_t *size)
{
	size_t ehsz = o->is64 ? 64 : 52, phsz = o->is64 ? 56 : 32, shsz = o->is64 ? 64 : 40;
	unsigned nph = o->nsegs + (o->note == 1);
	size_t data = DATA_OFF, total, notes_len;
	uint64_t offs[20];
	uint8_t *b;

	for (unsigned i = 0; i < o->nsegs; i++) {
		offs[i] = o->seg[i].offset ? o->seg[i].offset : data;
		if (!o->seg[i].offset)
			data += (o->seg[i].filesz + 0xfff) & ~0xfffULL;
	}
	total = data + 3 * shsz; /* section headers at the end: null, .notes, spare */
	b = calloc(1, total);
	cr_assert_not_null(b);
	memcpy(b, "\x7f" "ELF", 4);
	b[4] = o->is64 ? 2 : 1;
	b[5] = 1;
	b[6] = 1;
	t_put(b + 16, 2, 2); /* ET_EXEC */
	t_put(b + 18, 2, o->machine ? o->machine : (o->is64 ? 62 : 3));
	t_put(b + 20, 4, 1);
	notes_len = put_notes(b + NOTE_OFF, o->entry_size ? o->entry_size : 4, o->entry);
	if (o->is64) {
		t_put(b + 24, 8, o->entry);
		t_put(b + 32, 8, ehsz);
		t_put(b + 40, 8, data);
		t_put(b + 52, 2, ehsz);
		t_put(b + 54, 2, phsz);
		t_put(b + 56, 2, o->phnum_override ? o->phnum_override : nph);
		t_put(b + 58, 2, shsz);
		t_put(b + 60, 2, 3);
	} else {
		t_put(b + 24, 4, o->entry);
		t_put(b + 28, 4, ehsz);
		t_put(b + 32, 4, data);
		t_put(b + 40, 2, ehsz);
		t_put(b + 42, 2, phsz);
		t_put(b + 44, 2, o->phnum_override ? o->phnum_override : nph);
		t_put(b + 46, 2, shsz);
		t_put(b + 48, 2, 3);
	}
	for (unsigned i = 0; i < nph; i++) {
		uint8_t *ph = b + ehsz + i * phsz;
		int is_note = i == o->nsegs;
		uint32_t type = is_note ? 4 : (o->seg[i].type ? o->seg[i].type : 1);
		uint64_t off = is_note ? NOTE_OFF : offs[i];
		uint64_t paddr = is_note ? 0 : o->seg[i].paddr;
		uint64_t filesz = is_note ? notes_len : o->seg[i].filesz;
		uint64_t memsz = is_note ? notes_len : o->seg[i].memsz;

		if (o->is64) {
			t_put(ph, 4, type), t_put(ph + 8, 8, off), t_put(ph + 16, 8, paddr);
			t_put(ph + 24, 8, paddr), t_put(ph + 32, 8, filesz), t_put(ph + 40, 8, memsz);
			t_put(ph + 48, 8, is_note ? 4 : 0x1000);
		} else {
			t_put(ph, 4, type), t_put(ph + 4, 4, off), t_put(ph + 8, 4, paddr);
			t_put(ph + 12, 4, paddr), t_put(ph + 16, 4, filesz), t_put(ph + 20, 4, memsz);
			t_put(ph + 28, 4, is_note ? 4 : 0x1000);
		}
		if (!is_note && !o->seg[i].offset && type == 1)
			for (size_t j = 0; j < filesz; j++)
				b[off + j] = seg_byte(i, j);
	}
	if (o->note == 2) {
		uint8_t *sh = b + data + shsz; /* section 1: SHT_NOTE */
		if (o->is64) {
			t_put(sh + 4, 4, 7), t_put(sh + 24, 8, NOTE_OFF), t_put(sh + 32, 8, notes_len);
			t_put(sh + 48, 8, 4);
		} else {
			t_put(sh + 4, 4, 7), t_put(sh + 16, 4, NOTE_OFF), t_put(sh + 20, 4, notes_len);
			t_put(sh + 32, 4, 4);
		}
	}
	*size = total;
	return b;
}

/* A small kernel like the test guest: text at 1 MiB, data + bss after it. */
static inline struct elfopts elf_default(int is64)
{
	struct elfopts o = {
		.is64 = is64,
		.nsegs = 2,
		.seg = { { 0, 0x100000, 0x3000, 0x3000, 0 }, { 0, 0x104000, 0x1800, 0x5000, 0 } },
		.note = 1,
		.entry_size = 4,
		.entry = 0x100010,
	};
	return o;
}

static inline struct boot_files files_of(const uint8_t *k, size_t ksize, const char *cmdline)
{
	struct boot_files f = {
		.kernel_name = "vmlinux",
		.kernel = k,
		.kernel_size = ksize,
		.initrd_name = "initrd.img",
		.cmdline = cmdline,
	};
	return f;
}

#endif
