/* SPDX-License-Identifier: MIT */
/*
 * vmm/boot_pvh.c: crafted ELF32/ELF64 PVH kernels (good and hostile) loaded
 * into fake guest RAM; hvm_start_info checked at the offsets of Xen's
 * start_info.h, written here as literals on purpose.
 */
#include <criterion/criterion.h>
#include <errno.h>
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

static uint8_t seg_byte(unsigned s, size_t i)
{
	return (uint8_t)(s * 31 + i * 13 + 1);
}

/* Notes: a GNU build-id first, then Xen ones with other types, then the entry. */
static size_t put_notes(uint8_t *p, unsigned entry_size, uint64_t entry)
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

static uint8_t *elf_make(const struct elfopts *o, size_t *size)
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
static struct elfopts elf_default(int is64)
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

static struct boot_files files_of(const uint8_t *k, size_t ksize, const char *cmdline)
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

static void check_loaded(struct tmem *t, const struct elfopts *o, const struct boot_image *img,
			 const struct boot_files *f)
{
	const uint8_t *si = tmem_at(t, 0x1000, 56);
	const uint8_t *mm;

	cr_assert_eq(img->proto, BOOT_PVH);
	cr_assert_eq(img->entry, o->entry);
	cr_assert_eq(img->boot_struct, 0x1000);
	cr_assert_eq(img->rsdp_offset, 32);
	for (unsigned s = 0; s < o->nsegs; s++) {
		const uint8_t *p = tmem_at(t, o->seg[s].paddr, o->seg[s].memsz);
		for (size_t j = 0; j < o->seg[s].memsz; j++)
			cr_assert_eq(p[j], j < o->seg[s].filesz ? seg_byte(s, j) : 0,
				     "segment %u byte 0x%zx", s, j);
	}
	cr_assert_eq(t_le(si + 0, 4), 0x336ec578, "magic");
	cr_assert_eq(t_le(si + 4, 4), 1, "version");
	cr_assert_eq(t_le(si + 8, 4), 0, "flags");
	cr_assert_eq(t_le(si + 12, 4), f->initrd ? 1 : 0, "nr_modules");
	cr_assert_eq(t_le(si + 16, 8), f->initrd ? 0x1100 : 0, "modlist_paddr");
	cr_assert_eq(t_le(si + 24, 8), 0x20000, "cmdline_paddr");
	cr_assert_eq(t_le(si + 32, 8), 0, "rsdp_paddr: the firmware fills it");
	cr_assert_eq(t_le(si + 40, 8), 0x1200, "memmap_paddr");
	cr_assert_eq(t_le(si + 48, 4), t->map.nr, "memmap_entries");
	cr_assert_eq(t_le(si + 52, 4), 0, "reserved");
	mm = tmem_at(t, 0x1200, 24 * t->map.nr);
	for (unsigned i = 0; i < t->map.nr; i++) {
		cr_assert_eq(t_le(mm + 24 * i, 8), t->map.e[i].addr, "memmap %u addr", i);
		cr_assert_eq(t_le(mm + 24 * i + 8, 8), t->map.e[i].size, "memmap %u size", i);
		cr_assert_eq(t_le(mm + 24 * i + 16, 4), t->map.e[i].type, "memmap %u type", i);
		cr_assert_eq(t_le(mm + 24 * i + 20, 4), 0, "memmap %u reserved", i);
	}
	if (f->initrd) {
		const uint8_t *mod = tmem_at(t, 0x1100, 32);
		cr_assert_eq(t_le(mod, 8), img->initrd_addr);
		cr_assert_eq(t_le(mod + 8, 8), f->initrd_size);
		cr_assert_eq(t_le(mod + 16, 8), 0, "module cmdline_paddr");
		cr_assert_eq(t_le(mod + 24, 8), 0, "module reserved");
		cr_assert_eq(memcmp(tmem_at(t, img->initrd_addr, f->initrd_size), f->initrd,
				    f->initrd_size), 0);
	}
	cr_assert_str_eq((char *)tmem_at(t, 0x20000, 1), f->cmdline);
	cr_assert_eq(t_le(tmem_at(t, 0x518, 8), 8), 0x00cf92000000ffffULL, "GDT data32 at 0x18");
}

Test(pvh, elf64_start_info_field_by_field)
{
	static const uint64_t mems[] = { 64ULL << 20, 256ULL << 20, 3ULL << 30, 5ULL << 30 };

	for (size_t m = 0; m < sizeof(mems) / sizeof(mems[0]); m++) {
		struct tmem t;
		struct boot_image img;
		struct errbuf err;
		struct elfopts o = elf_default(1);
		size_t n, rd_size = 3 * 4096 + 5;
		uint8_t *k = elf_make(&o, &n), *rd = malloc(rd_size);
		struct boot_files f = files_of(k, n, "console=ttyS0 test=memmap");
		uint64_t hz = (mems[m] < (3ULL << 30) ? mems[m] : 3ULL << 30) - (1 << 20);

		memset(rd, 0x3c, rd_size);
		f.initrd = rd;
		f.initrd_size = rd_size;
		tmem_init(&t, mems[m]);
		memset(tmem_at(&t, 0x1000, 0x1000), 0xaa, 0x1000);
		memset(tmem_at(&t, 0x104000, 0x5000), 0xaa, 0x5000); /* bss must be zeroed */
		cr_assert_eq(boot_load(&f, &t.gm, &t.map, &img, &err), 0, "%s", err.msg);
		check_loaded(&t, &o, &img, &f);
		cr_assert_eq(img.kernel_start, 0x100000);
		cr_assert_eq(img.kernel_end, 0x109000);
		cr_assert_eq(img.initrd_addr, (hz - rd_size) & ~0xfffULL, "initrd below the HIGH zone");
		cr_assert_eq(t.map.nr, mems[m] > (3ULL << 30) ? 5u : 4u);
		/* Everything between the memmap and the end of the page is zero. */
		for (unsigned i = 0x1200 + 24 * t.map.nr; i < 0x2000; i++)
			cr_assert_eq(tmem_at(&t, i, 1)[0], 0, "byte 0x%x", i);
		tmem_fini(&t);
		free(k);
		free(rd);
	}
}

Test(pvh, elf32_and_8_byte_entry)
{
	struct tmem t;
	struct boot_image img;
	struct errbuf err;
	struct elfopts o = elf_default(0);
	size_t n;
	uint8_t *k;
	struct boot_files f;

	k = elf_make(&o, &n);
	f = files_of(k, n, "");
	tmem_init(&t, 64 << 20);
	cr_assert_eq(boot_load(&f, &t.gm, &t.map, &img, &err), 0, "%s", err.msg);
	check_loaded(&t, &o, &img, &f);
	tmem_fini(&t);
	free(k);

	o = elf_default(1);
	o.entry_size = 8;
	o.entry = 0x100020;
	k = elf_make(&o, &n);
	f = files_of(k, n, "x");
	tmem_init(&t, 64 << 20);
	cr_assert_eq(boot_load(&f, &t.gm, &t.map, &img, &err), 0, "%s", err.msg);
	check_loaded(&t, &o, &img, &f);
	tmem_fini(&t);
	free(k);
}

Test(pvh, note_found_through_section_headers)
{
	struct pvh_info pi;
	struct errbuf err;
	struct elfopts o = elf_default(1);
	size_t n;
	uint8_t *k;

	o.note = 2;
	k = elf_make(&o, &n);
	cr_assert_eq(pvh_parse(k, n, &pi, &err), 0, "%s", err.msg);
	cr_assert_eq(pi.entry, 0x100010);
	cr_assert_eq(pi.nr_segments, 2);
	cr_assert_eq(pi.lowest, 0x100000);
	cr_assert_eq(pi.highest, 0x109000);
	cr_assert_eq(pi.seg[1].paddr, 0x104000);
	cr_assert_eq(pi.seg[1].filesz, 0x1800);
	cr_assert_eq(pi.seg[1].memsz, 0x5000);
	free(k);
	o = elf_default(0);
	o.note = 2;
	k = elf_make(&o, &n);
	cr_assert_eq(pvh_parse(k, n, &pi, &err), 0, "%s", err.msg);
	cr_assert_eq(pi.entry, 0x100010);
	free(k);
}

/* Parse or load refuses; the message is "vmlinux: " + something containing needle. */
static void assert_refused(const struct elfopts *o, uint64_t mem, const char *needle)
{
	struct tmem t;
	struct boot_image img;
	struct errbuf err;
	size_t n;
	uint8_t *k = elf_make(o, &n);
	struct boot_files f = files_of(k, n, "");

	tmem_init(&t, mem);
	err.msg[0] = 0;
	cr_assert_lt(boot_load(&f, &t.gm, &t.map, &img, &err), 0, "expected: %s", needle);
	cr_assert(strncmp(err.msg, "vmlinux: ", 9) == 0, "message names the file: %s", err.msg);
	cr_assert(strstr(err.msg, needle), "'%s' not in '%s'", needle, err.msg);
	cr_assert_eq(t_le(tmem_at(&t, 0x1000, 4), 4), 0, "nothing written");
	cr_assert_eq(tmem_at(&t, 0x100000, 1)[0], 0, "nothing written");
	tmem_fini(&t);
	free(k);
}

Test(pvh, refuses_without_entry_note)
{
	struct elfopts o = elf_default(1);

	o.note = 0;
	assert_refused(&o, 64 << 20,
		       "ELF without a PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY); build the kernel with CONFIG_PVH=y");
}

Test(pvh, refuses_wrong_machine_class_endianness)
{
	struct elfopts o = elf_default(1);
	struct tmem t;
	struct boot_image img;
	struct errbuf err;
	size_t n;
	uint8_t *k;
	struct boot_files f;

	o.machine = 183; /* EM_AARCH64 */
	assert_refused(&o, 64 << 20, "ELF for machine 183, not x86");

	o = elf_default(1);
	k = elf_make(&o, &n);
	f = files_of(k, n, "");
	tmem_init(&t, 64 << 20);
	k[4] = 3;
	cr_assert_lt(boot_load(&f, &t.gm, &t.map, &img, &err), 0);
	cr_assert_str_eq(err.msg, "vmlinux: ELF class 3 is neither ELF32 nor ELF64");
	k[4] = 2;
	k[5] = 2;
	cr_assert_lt(boot_load(&f, &t.gm, &t.map, &img, &err), 0);
	cr_assert(strstr(err.msg, "vmlinux: big-endian"), "%s", err.msg);
	k[5] = 1;
	t_put(k + 16, 2, 4); /* ET_CORE */
	cr_assert_lt(boot_load(&f, &t.gm, &t.map, &img, &err), 0);
	cr_assert_str_eq(err.msg, "vmlinux: ELF type 4 is not an executable");
	t_put(k + 16, 2, 2);
	f.kernel_size = 40;
	cr_assert_lt(boot_load(&f, &t.gm, &t.map, &img, &err), 0);
	cr_assert_str_eq(err.msg, "vmlinux: truncated file (40 bytes): the ELF header is cut short");
	tmem_fini(&t);
	free(k);
}

Test(pvh, refuses_bad_program_headers)
{
	struct elfopts o;
	struct tmem t;
	struct boot_image img;
	struct errbuf err;
	size_t n;
	uint8_t *k;
	struct boot_files f;

	o = elf_default(1);
	o.phnum_override = 0xffff;
	assert_refused(&o, 64 << 20, "65535 or more program headers");
	o = elf_default(1);
	o.phnum_override = 60000; /* 3.3 MB of headers in a 20 KB file */
	assert_refused(&o, 64 << 20, "truncated file");

	o = elf_default(1);
	k = elf_make(&o, &n);
	f = files_of(k, n, "");
	tmem_init(&t, 64 << 20);
	t_put(k + 32, 8, n - 8); /* phoff past the end */
	cr_assert_lt(boot_load(&f, &t.gm, &t.map, &img, &err), 0);
	cr_assert(strstr(err.msg, "program headers at 0x"), "%s", err.msg);
	t_put(k + 32, 8, ~0ULL - 10); /* phoff + size overflows */
	cr_assert_lt(boot_load(&f, &t.gm, &t.map, &img, &err), 0);
	cr_assert(strstr(err.msg, "truncated file"), "%s", err.msg);
	t_put(k + 32, 8, 64);
	t_put(k + 54, 2, 32); /* phentsize smaller than Elf64_Phdr */
	cr_assert_lt(boot_load(&f, &t.gm, &t.map, &img, &err), 0);
	cr_assert_str_eq(err.msg, "vmlinux: ELF program header size 32, expected 56");
	t_put(k + 54, 2, 56);
	t_put(k + 56, 2, 0);
	cr_assert_lt(boot_load(&f, &t.gm, &t.map, &img, &err), 0);
	cr_assert_str_eq(err.msg, "vmlinux: ELF without program headers");
	tmem_fini(&t);
	free(k);
}

Test(pvh, refuses_bad_segments)
{
	struct elfopts o;

	o = elf_default(1);
	o.seg[1].filesz = 0x6000; /* > memsz 0x5000 */
	assert_refused(&o, 64 << 20, "segment 1: file size 0x6000 is larger than its memory size 0x5000");
	o = elf_default(1);
	o.seg[0].offset = 0xfffffffffffff000ULL; /* offset + filesz overflows */
	assert_refused(&o, 64 << 20, "segment 0 needs bytes 0xfffffffffffff000 + 0x3000");
	o = elf_default(1);
	o.seg[0].offset = 0x4000; /* in the file, but its end is not */
	o.seg[0].filesz = 0x100000;
	o.seg[0].memsz = 0x100000;
	assert_refused(&o, 64 << 20, "truncated file");
	o = elf_default(1);
	o.seg[1].paddr = 0xfffffffffffff000ULL; /* paddr + memsz wraps */
	assert_refused(&o, 64 << 20, "segment 1: 0xfffffffffffff000 + 0x5000 wraps around");
	o = elf_default(1);
	o.seg[1].paddr = 0x102000; /* overlaps segment 0 */
	assert_refused(&o, 64 << 20, "segment 1 at 0x102000 overlaps an earlier one at 0x100000");
	o = elf_default(1);
	o.entry = 0x200000;
	assert_refused(&o, 64 << 20, "the PVH entry 0x200000 is outside every loaded segment");
	o = elf_default(1);
	o.entry = 0x104000 + 0x2000; /* in the segment's bss, not its file bytes */
	assert_refused(&o, 64 << 20, "outside every loaded segment");
	o = elf_default(1);
	o.nsegs = 17;
	for (unsigned i = 0; i < 17; i++)
		o.seg[i] = (struct tseg){ 0, 0x100000 + i * 0x1000, 0x10, 0x10, 0 };
	assert_refused(&o, 64 << 20, "more than 16 loadable segments");
}

Test(pvh, refuses_bad_entry_notes)
{
	struct elfopts o;

	o = elf_default(1);
	o.entry_size = 2;
	assert_refused(&o, 64 << 20, "the PVH entry note has a 2-byte value, not 4 or 8");
	o = elf_default(1);
	o.entry_size = 8;
	o.entry = 0x100000010ULL;
	assert_refused(&o, 64 << 20, "the PVH entry 0x100000010 is above 4 GiB");
}

Test(pvh, malformed_note_area_ends_the_scan)
{
	struct pvh_info pi;
	struct errbuf err;
	struct elfopts o = elf_default(1);
	size_t n;
	uint8_t *k = elf_make(&o, &n);

	/* First note claims a 4 GiB name: the scan stops, no note is found. */
	t_put(k + NOTE_OFF, 4, 0xffffffff);
	cr_assert_lt(pvh_parse(k, n, &pi, &err), 0);
	cr_assert(strstr(err.msg, "CONFIG_PVH=y"), "%s", err.msg);
	/* A 4 GiB descriptor likewise. */
	t_put(k + NOTE_OFF, 4, 4);
	t_put(k + NOTE_OFF + 4, 4, 0xfffffffc);
	cr_assert_lt(pvh_parse(k, n, &pi, &err), 0);
	cr_assert(strstr(err.msg, "CONFIG_PVH=y"), "%s", err.msg);
	/* PT_NOTE pointing past the file. */
	t_put(k + NOTE_OFF + 4, 4, 8);
	t_put(k + 64 + 2 * 56 + 8, 8, n + 100);
	cr_assert_lt(pvh_parse(k, n, &pi, &err), 0);
	cr_assert(strstr(err.msg, "CONFIG_PVH=y"), "%s", err.msg);
	free(k);
}

Test(pvh, refuses_segments_outside_ram_or_on_boot_structures)
{
	struct elfopts o;

	o = elf_default(1);
	o.seg[1].paddr = 0xd0000000; /* in the MMIO hole */
	assert_refused(&o, 5ULL << 30, "segment 1 needs 1 MiB from 0xd0000000, which is not RAM");
	o = elf_default(1);
	o.seg[1].paddr = 60 << 20;
	o.seg[1].memsz = 8 << 20;
	assert_refused(&o, 64 << 20,
		       "vmlinux: segment 1 needs 8 MiB from 0x3c00000, only 3 MiB of RAM there; use --mem 128M");
	o = elf_default(1);
	o.seg[1].paddr = 0x6000;
	assert_refused(&o, 64 << 20, "segment 1 at 0x6000-0xb000 overlaps the Linux boot_params at 0x7000-0x8000");
	o = elf_default(1);
	o.seg[1].paddr = 0xe0000; /* FSEG: e820 reserved */
	assert_refused(&o, 64 << 20, "which is not RAM");
	o = elf_default(1);
	o.seg[1].paddr = (63 << 20) + 0x1000; /* the HIGH zone */
	assert_refused(&o, 64 << 20, "segment 1 needs 1 MiB from 0x3f01000, which is not RAM");
}

Test(pvh, segments_above_4g_and_below_1mib)
{
	struct tmem t;
	struct boot_image img;
	struct errbuf err;
	struct elfopts o = elf_default(1);
	size_t n;
	uint8_t *k;
	struct boot_files f;

	/* Low RAM outside the boot structures, and RAM above 4 GiB, are fine. */
	o.seg[0].paddr = 0x8000;
	o.entry = 0x8010;
	o.seg[1].paddr = 0x100000000ULL + 0x2000;
	k = elf_make(&o, &n);
	f = files_of(k, n, "");
	tmem_init(&t, 5ULL << 30);
	cr_assert_eq(boot_load(&f, &t.gm, &t.map, &img, &err), 0, "%s", err.msg);
	check_loaded(&t, &o, &img, &f);
	cr_assert_eq(img.kernel_start, 0x8000);
	cr_assert_eq(img.kernel_end, 0x100007000ULL);
	tmem_fini(&t);
	free(k);
}

Test(pvh, refuses_initrd_that_does_not_fit)
{
	struct tmem t;
	struct boot_image img;
	struct errbuf err;
	struct elfopts o = elf_default(1);
	size_t n;
	uint8_t *k = elf_make(&o, &n);
	uint8_t *rd = calloc(1, 63 << 20);
	struct boot_files f = files_of(k, n, "");

	f.initrd = rd;
	f.initrd_size = 63 << 20;
	tmem_init(&t, 64 << 20);
	cr_assert_lt(boot_load(&f, &t.gm, &t.map, &img, &err), 0);
	cr_assert_str_eq(err.msg, "initrd.img: the 63 MiB initrd does not fit in RAM above the kernel's end at 0x109000; use --mem 128M");
	tmem_fini(&t);
	free(rd);
	free(k);
}

Test(pvh, refuses_long_cmdline)
{
	struct tmem t;
	struct boot_image img;
	struct errbuf err;
	struct elfopts o = elf_default(1);
	size_t n;
	uint8_t *k = elf_make(&o, &n);
	char *line = malloc(0x10000 + 1);
	struct boot_files f = files_of(k, n, line);

	memset(line, 'y', 0x10000);
	line[0x10000] = 0;
	tmem_init(&t, 64 << 20);
	cr_assert_lt(boot_load(&f, &t.gm, &t.map, &img, &err), 0);
	cr_assert_str_eq(err.msg, "vmlinux: the command line is at least 65536 bytes, the kernel accepts at most 65535");
	line[0xffff] = 0;
	cr_assert_eq(boot_load(&f, &t.gm, &t.map, &img, &err), 0, "%s", err.msg);
	cr_assert_eq(img.cmdline_size, 0x10000);
	cr_assert_eq(tmem_at(&t, 0x20000 + 0xfffe, 2)[1], 0, "NUL-terminated");
	tmem_fini(&t);
	free(line);
	free(k);
}

Test(pvh, reload_is_idempotent)
{
	struct tmem t;
	struct boot_image a, b;
	struct errbuf err;
	struct elfopts o = elf_default(1);
	size_t n;
	uint8_t rd[3000];
	uint8_t *k = elf_make(&o, &n), *snap;
	struct boot_files f = files_of(k, n, "init=/init");

	memset(rd, 0x42, sizeof(rd));
	f.initrd = rd;
	f.initrd_size = sizeof(rd);
	tmem_init(&t, 128 << 20);
	cr_assert_eq(boot_load(&f, &t.gm, &t.map, &a, &err), 0, "%s", err.msg);
	snap = malloc(2 << 20);
	memcpy(snap, t.host, 2 << 20);
	memset(t.host, 0xee, 2 << 20); /* the guest dirtied all of low RAM, kernel and bss included */
	memset(tmem_at(&t, a.initrd_addr, sizeof(rd)), 0xee, sizeof(rd));
	cr_assert_eq(boot_load(&f, &t.gm, &t.map, &b, &err), 0, "%s", err.msg);
	cr_assert_eq(memcmp(&a, &b, sizeof(a)), 0);
	cr_assert_eq(memcmp(t.host + 0x500, snap + 0x500, 32), 0);
	cr_assert_eq(memcmp(t.host + 0x1000, snap + 0x1000, 0x1000), 0);
	cr_assert_eq(memcmp(t.host + 0x20000, snap + 0x20000, 0x10000), 0);
	cr_assert_eq(memcmp(t.host + 0x100000, snap + 0x100000, 0x3000), 0, "segment 0");
	cr_assert_eq(memcmp(t.host + 0x104000, snap + 0x104000, 0x5000), 0, "segment 1 and its bss");
	cr_assert_eq(memcmp(tmem_at(&t, a.initrd_addr, sizeof(rd)), rd, sizeof(rd)), 0);
	check_loaded(&t, &o, &b, &f);
	free(snap);
	tmem_fini(&t);
	free(k);
}

/* Random bytes in the ELF and program headers and the notes: never a crash. */
Test(pvh, hostile_headers_fuzz)
{
	struct tmem t;
	struct elfopts o = elf_default(1);
	size_t n;
	uint8_t *good = elf_make(&o, &n);
	uint8_t *k = malloc(n);
	unsigned seed = 777, ok = 0;

	tmem_init(&t, 64 << 20);
	for (unsigned iter = 0; iter < 4000; iter++) {
		struct boot_image img;
		struct errbuf err;
		struct boot_files f;
		size_t size = n;

		memcpy(k, good, n);
		for (unsigned j = 0; j < 4; j++) {
			unsigned off;
			seed = seed * 1103515245 + 12345;
			/* ELF header, program headers, notes */
			off = (seed >> 8) % 3 == 0 ? 4 + (seed >> 12) % 60
			      : (seed >> 8) % 3 == 1 ? 64 + (seed >> 12) % (3 * 56)
						     : NOTE_OFF + (seed >> 12) % 64;
			seed = seed * 1103515245 + 12345;
			k[off] = (uint8_t)(seed >> 16);
		}
		if (iter % 5 == 0)
			size = 4 + (seed >> 4) % (n - 4);
		f = files_of(k, size, "");
		err.msg[0] = 0;
		if (boot_load(&f, &t.gm, &t.map, &img, &err) == 0) {
			ok++;
			cr_assert_geq(img.kernel_end, img.kernel_start);
		} else {
			cr_assert(strncmp(err.msg, "vmlinux: ", 9) == 0, "iter %u: '%s'", iter, err.msg);
		}
	}
	cr_assert_gt(ok, 0, "some mutations still load");
	tmem_fini(&t);
	free(k);
	free(good);
}

/* The vmlinux that `make linux-image` extracts from the Debian bzImage. */
Test(pvh, real_debian_vmlinux)
{
	char path[512];
	size_t n;
	uint8_t *k;
	struct pvh_info pi;
	struct errbuf err;
	struct tmem t;
	struct boot_image img;
	struct boot_files f;

	snprintf(path, sizeof(path), "%s/vmlinux", t_linux_dir());
	k = t_slurp(path, &n);
	if (!k) {
		cr_skip_test("%s not built (make linux-image)", path);
		return;
	}
	cr_assert_eq(pvh_parse(k, n, &pi, &err), 0, "%s", err.msg);
	cr_assert_geq(pi.nr_segments, 2);
	cr_assert_geq(pi.entry, pi.lowest);
	cr_assert_lt(pi.entry, pi.highest);
	cr_assert_geq(pi.lowest, 0x100000);
	f = files_of(k, n, "console=ttyS0");
	tmem_init(&t, 256 << 20);
	cr_assert_eq(boot_load(&f, &t.gm, &t.map, &img, &err), 0, "%s", err.msg);
	cr_assert_eq(img.entry, pi.entry);
	for (unsigned i = 0; i < pi.nr_segments; i++)
		cr_assert_eq(memcmp(tmem_at(&t, pi.seg[i].paddr, pi.seg[i].filesz),
				    k + pi.seg[i].offset, pi.seg[i].filesz), 0, "segment %u", i);
	cr_assert_eq(t_le(tmem_at(&t, 0x1000, 4), 4), 0x336ec578);
	tmem_fini(&t);
	free(k);
}
