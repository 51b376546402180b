/* SPDX-License-Identifier: MIT */
/*
 * vmm/boot_pvh.c, parsing: crafted ELF32/ELF64 PVH kernels, good and hostile
 * (class, machine, program headers, segments, notes), refused with a message
 * naming the file and leaving guest RAM untouched; the real Debian vmlinux.
 * What a good kernel's hvm_start_info holds: test_boot_pvh_start_info.c.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/pvh_fixture.h"

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

/* PVH accepts up to LAYOUT_CMDLINE_MAX, but a Linux keeps 2047 bytes: warned about. */
Test(pvh, cmdline_too_long_for_linux)
{
	char line[PVH_LINUX_CMDLINE_SIZE + 1];
	struct boot_files f = files_of(NULL, 0, line);

	memset(line, 'z', sizeof(line));
	line[PVH_LINUX_CMDLINE_SIZE - 1] = 0;
	cr_assert_eq(pvh_cmdline_too_long_for_linux(&f), 0, "2047 bytes fit");
	line[PVH_LINUX_CMDLINE_SIZE - 1] = 'z';
	line[PVH_LINUX_CMDLINE_SIZE] = 0;
	cr_assert_eq(pvh_cmdline_too_long_for_linux(&f), PVH_LINUX_CMDLINE_SIZE);
	f.cmdline = "";
	cr_assert_eq(pvh_cmdline_too_long_for_linux(&f), 0);
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
