/* SPDX-License-Identifier: MIT */
/*
 * vmm/boot_bzimage.c: crafted bzImages (good and hostile) loaded into fake
 * guest RAM; boot_params checked field by field at the offsets of
 * Documentation/arch/x86/zero-page.rst, written here as literals on purpose.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/boot_fixture.h"

struct bzopts {
	uint16_t version;
	uint8_t setup_sects;
	uint8_t loadflags;
	uint8_t jump; /* byte at 0x201: header ends at 0x202 + jump */
	uint8_t relocatable;
	uint32_t payload_size;
	uint32_t code32_start;
	uint32_t kernel_alignment;
	uint32_t cmdline_size;
	uint32_t initrd_addr_max;
	uint64_t pref_address;
	uint32_t init_size;
};

static const struct bzopts bz_default = {
	.version = 0x020f,
	.setup_sects = 4,
	.loadflags = 0x01,
	.jump = 0x6a, /* 6.x kernels: header ends at 0x26c */
	.relocatable = 1,
	.payload_size = 64 * 1024,
	.code32_start = 0x100000,
	.kernel_alignment = 0x200000,
	.cmdline_size = 2047,
	.initrd_addr_max = 0x7fffffff,
	.pref_address = 0x1000000,
	.init_size = 8 << 20,
};

static uint8_t payload_byte(size_t i)
{
	return (uint8_t)(i * 7 + 3);
}

static uint8_t *bz_make(const struct bzopts *o, size_t *size)
{
	unsigned sects = o->setup_sects ? o->setup_sects : 4;
	size_t setup = (sects + 1) * 512;
	uint8_t *b;

	*size = setup + o->payload_size;
	b = calloc(1, *size);
	cr_assert_not_null(b);
	/* Junk everywhere in the setup, as real-mode code would be. */
	for (size_t i = 0; i < setup; i++)
		b[i] = (uint8_t)(0x5a ^ i);
	b[0x1f1] = o->setup_sects;
	t_put(b + 0x1f4, 4, (o->payload_size + 15) / 16); /* syssize */
	t_put(b + 0x1fe, 2, 0xaa55);
	b[0x200] = 0xeb;
	b[0x201] = o->jump;
	memcpy(b + 0x202, "HdrS", 4);
	t_put(b + 0x206, 2, o->version);
	b[0x210] = 0;
	b[0x211] = o->loadflags;
	t_put(b + 0x214, 4, o->code32_start);
	t_put(b + 0x218, 4, 0);
	t_put(b + 0x21c, 4, 0);
	t_put(b + 0x228, 4, 0);
	t_put(b + 0x22c, 4, o->initrd_addr_max);
	t_put(b + 0x230, 4, o->kernel_alignment);
	b[0x234] = o->relocatable;
	b[0x235] = 21;
	t_put(b + 0x236, 2, 0x7f);
	t_put(b + 0x238, 4, o->cmdline_size);
	t_put(b + 0x23c, 4, 0);
	t_put(b + 0x248, 4, 0x2cc);
	t_put(b + 0x250, 8, 0x123456789abcdefULL); /* a setup_data pointer to nowhere */
	t_put(b + 0x258, 8, o->pref_address);
	t_put(b + 0x260, 4, o->init_size);
	for (size_t i = 0; i < o->payload_size; i++)
		b[setup + i] = payload_byte(i);
	return b;
}

static struct boot_files files_of(const uint8_t *k, size_t ksize, const char *cmdline)
{
	struct boot_files f = {
		.kernel_name = "kernel.img",
		.kernel = k,
		.kernel_size = ksize,
		.initrd_name = "initrd.img",
		.cmdline = cmdline,
	};
	return f;
}

static int load(struct tmem *t, const struct boot_files *f, struct boot_image *img,
		struct errbuf *err)
{
	memset(err->msg, 0, sizeof(err->msg));
	return boot_load(f, &t->gm, &t->map, img, err);
}

static void assert_refused(const struct bzopts *o, uint64_t mem, const char *cmdline,
			   const char *needle)
{
	struct tmem t;
	struct boot_image img;
	struct errbuf err;
	size_t n;
	uint8_t *k = bz_make(o, &n);
	struct boot_files f = files_of(k, n, cmdline);

	tmem_init(&t, mem);
	cr_assert_lt(load(&t, &f, &img, &err), 0);
	cr_assert(strstr(err.msg, "kernel.img: ") == err.msg, "message names the file: %s", err.msg);
	cr_assert(strstr(err.msg, needle), "'%s' not in '%s'", needle, err.msg);
	/* Refused before any write: the kernel area is still zero. */
	cr_assert_eq(tmem_at(&t, 0x100000, 1)[0], 0);
	tmem_fini(&t);
	free(k);
}

Test(bzimage, boot_params_field_by_field)
{
	struct tmem t;
	struct boot_image img;
	struct errbuf err;
	size_t n;
	uint8_t *k = bz_make(&bz_default, &n);
	struct boot_files f = files_of(k, n, "console=ttyS0 panic=-1");
	uint8_t *bp;

	tmem_init(&t, 256 << 20);
	memset(tmem_at(&t, 0x7000, 0x1000), 0xaa, 0x1000); /* stale bytes must go */
	cr_assert_eq(load(&t, &f, &img, &err), 0, "%s", err.msg);
	bp = tmem_at(&t, 0x7000, 0x1000);

	cr_assert_eq(img.proto, BOOT_LINUX);
	cr_assert_eq(img.boot_struct, 0x7000);
	cr_assert_eq(img.rsdp_offset, 0x70);
	cr_assert_eq(img.entry, 0x1000000, "pref_address is RAM: load there");
	cr_assert_eq(img.kernel_start, 0x1000000);
	cr_assert_eq(img.kernel_end, 0x1000000 + (8 << 20));

	/* Header copied from 0x1f1 up to 0x202 + jump byte; the rest as the zero page says. */
	cr_assert_eq(bp[0x1f1], 4);
	cr_assert_eq(t_le(bp + 0x1fe, 2), 0xaa55);
	cr_assert_eq(memcmp(bp + 0x202, "HdrS", 4), 0);
	cr_assert_eq(t_le(bp + 0x206, 2), 0x020f);
	cr_assert_eq(bp[0x210], 0xff, "type_of_loader");
	cr_assert_eq(bp[0x211], 0x81, "LOADED_HIGH kept, CAN_USE_HEAP set");
	cr_assert_eq(t_le(bp + 0x214, 4), 0x1000000, "code32_start follows the load address");
	cr_assert_eq(t_le(bp + 0x218, 4), 0, "no ramdisk_image");
	cr_assert_eq(t_le(bp + 0x21c, 4), 0, "no ramdisk_size");
	cr_assert_eq(t_le(bp + 0x224, 2), 0xfe00, "heap_end_ptr");
	cr_assert_eq(t_le(bp + 0x228, 4), 0x20000, "cmd_line_ptr");
	cr_assert_eq(t_le(bp + 0x22c, 4), 0x7fffffff);
	cr_assert_eq(t_le(bp + 0x230, 4), 0x200000);
	cr_assert_eq(t_le(bp + 0x238, 4), 2047);
	cr_assert_eq(t_le(bp + 0x248, 4), 0x2cc);
	cr_assert_eq(t_le(bp + 0x250, 8), 0, "setup_data cleared");
	cr_assert_eq(t_le(bp + 0x258, 8), 0x1000000);
	cr_assert_eq(t_le(bp + 0x260, 4), 8 << 20);
	for (unsigned i = 0x26c; i < 0x2d0; i++)
		cr_assert_eq(bp[i], 0, "byte 0x%x past the header", i);
	for (unsigned i = 0; i < 0x1f1; i++)
		if (i != 0x1e8)
			cr_assert_eq(bp[i], 0, "byte 0x%x before the header", i);
	cr_assert_eq(t_le(bp + 0x70, 8), 0, "acpi_rsdp_addr: the firmware fills it");
	cr_assert_eq(bp[0x1ef], 0, "sentinel");
	cr_assert_eq(t_le(bp + 0xc0, 4), 0, "ext_ramdisk_image");
	cr_assert_eq(t_le(bp + 0xc8, 4), 0, "ext_cmd_line_ptr");

	/* e820_entries and e820_table (20-byte entries) for --mem 256M. */
	cr_assert_eq(bp[0x1e8], 4);
	{
		static const uint64_t want[4][3] = {
			{ 0, 0xa0000, 1 },
			{ 0xe0000, 0x20000, 2 },
			{ 0x100000, (255 << 20) - 0x100000, 1 },
			{ 255 << 20, 1 << 20, 2 },
		};
		for (unsigned i = 0; i < 4; i++) {
			const uint8_t *e = bp + 0x2d0 + 20 * i;
			cr_assert_eq(t_le(e, 8), want[i][0], "entry %u addr", i);
			cr_assert_eq(t_le(e + 8, 8), want[i][1], "entry %u size", i);
			cr_assert_eq(t_le(e + 16, 4), want[i][2], "entry %u type", i);
		}
		for (unsigned i = 0x2d0 + 80; i < 0x1000; i++)
			cr_assert_eq(bp[i], 0, "byte 0x%x after the e820 table", i);
	}

	/* The protected-mode code is at the entry, the cmdline at 0x20000, the GDT at 0x500. */
	for (size_t i = 0; i < bz_default.payload_size; i++)
		cr_assert_eq(tmem_at(&t, 0x1000000 + i, 1)[0], payload_byte(i), "payload byte %zu", i);
	cr_assert_str_eq((char *)tmem_at(&t, 0x20000, 32), "console=ttyS0 panic=-1");
	cr_assert_eq(img.cmdline_addr, 0x20000);
	cr_assert_eq(img.cmdline_size, strlen("console=ttyS0 panic=-1") + 1);
	cr_assert_eq(t_le(tmem_at(&t, 0x510, 8), 8), 0x00cf9a000000ffffULL);
	tmem_fini(&t);
	free(k);
}

Test(bzimage, initrd_at_top_of_low_ram)
{
	static const uint64_t mems[] = { 64ULL << 20, 256ULL << 20, 3ULL << 30, 5ULL << 30 };

	for (size_t m = 0; m < sizeof(mems) / sizeof(mems[0]); m++) {
		struct tmem t;
		struct boot_image img;
		struct errbuf err;
		size_t n, rd_size = (1 << 20) + 123;
		uint8_t *k = bz_make(&bz_default, &n), *rd = malloc(rd_size), *bp;
		struct boot_files f = files_of(k, n, "");
		uint64_t hz = (mems[m] < (3ULL << 30) ? mems[m] : 3ULL << 30) - (1 << 20);
		/* Below the HIGH zone and below initrd_addr_max + 1 (2 GiB here). */
		uint64_t top = hz < 0x80000000 ? hz : 0x80000000;
		uint64_t want = (top - rd_size) & ~0xfffULL;

		for (size_t i = 0; i < rd_size; i++)
			rd[i] = (uint8_t)(i ^ (i >> 8));
		f.initrd = rd;
		f.initrd_size = rd_size;
		tmem_init(&t, mems[m]);
		cr_assert_eq(load(&t, &f, &img, &err), 0, "%s", err.msg);
		bp = tmem_at(&t, 0x7000, 0x1000);
		cr_assert_eq(img.initrd_addr, want, "mem %llu: initrd at 0x%llx",
			     (unsigned long long)mems[m], (unsigned long long)img.initrd_addr);
		cr_assert_eq(t_le(bp + 0x218, 4), want);
		cr_assert_eq(t_le(bp + 0x21c, 4), rd_size);
		cr_assert_eq(t_le(bp + 0xc0, 4), 0);
		cr_assert_eq(t_le(bp + 0xc4, 4), 0);
		cr_assert_eq(memcmp(tmem_at(&t, want, rd_size), rd, rd_size), 0);
		cr_assert_eq(bp[0x1e8], mems[m] > (3ULL << 30) ? 5 : 4);
		if (mems[m] > (3ULL << 30)) {
			const uint8_t *e = bp + 0x2d0 + 4 * 20;
			cr_assert_eq(t_le(e, 8), 1ULL << 32);
			cr_assert_eq(t_le(e + 8, 8), mems[m] - (3ULL << 30));
			cr_assert_eq(t_le(e + 16, 4), 1);
		}
		/* The cmdline is just the NUL. */
		cr_assert_eq(tmem_at(&t, 0x20000, 1)[0], 0);
		cr_assert_eq(t_le(bp + 0x228, 4), 0x20000);
		tmem_fini(&t);
		free(k);
		free(rd);
	}
}

Test(bzimage, initrd_below_initrd_addr_max)
{
	struct tmem t;
	struct boot_image img;
	struct errbuf err;
	struct bzopts o = bz_default;
	size_t n;
	uint8_t rd[5000] = { 1 };
	uint8_t *k;
	struct boot_files f;

	o.initrd_addr_max = 0x37ffffff; /* the pre-2.03 default some kernels still carry */
	k = bz_make(&o, &n);
	f = files_of(k, n, "");
	f.initrd = rd;
	f.initrd_size = sizeof(rd);
	tmem_init(&t, 3ULL << 30);
	cr_assert_eq(load(&t, &f, &img, &err), 0, "%s", err.msg);
	cr_assert_eq(img.initrd_addr, (0x38000000 - sizeof(rd)) & ~0xfffULL);
	cr_assert_leq(img.initrd_addr + img.initrd_size, 0x38000000);
	tmem_fini(&t);
	free(k);
}

Test(bzimage, falls_back_to_1mib_when_pref_does_not_fit)
{
	struct tmem t;
	struct boot_image img;
	struct errbuf err;
	struct bzopts o = bz_default;
	size_t n;
	uint8_t *k;
	struct boot_files f;

	/* A non-relocatable image without pref_address (like the test guest) runs at 1 MiB. */
	o.relocatable = 0;
	o.pref_address = 0;
	o.init_size = 1 << 20;
	k = bz_make(&o, &n);
	f = files_of(k, n, "test=hello");
	tmem_init(&t, 64 << 20);
	cr_assert_eq(load(&t, &f, &img, &err), 0, "%s", err.msg);
	cr_assert_eq(img.entry, 0x100000);
	cr_assert_eq(img.kernel_start, 0x100000);
	cr_assert_eq(img.kernel_end, 0x200000);
	cr_assert_eq(tmem_at(&t, 0x100000, 1)[0], payload_byte(0));
	cr_assert_eq(t_le(tmem_at(&t, 0x7000 + 0x214, 4), 4), 0x100000);
	tmem_fini(&t);
	free(k);

	/* Relocatable, pref_address above RAM: loaded at 1 MiB, runs at 1 MiB aligned up. */
	o = bz_default;
	o.pref_address = 0x80000000;
	o.init_size = 4 << 20;
	k = bz_make(&o, &n);
	f = files_of(k, n, "");
	tmem_init(&t, 64 << 20);
	cr_assert_lt(load(&t, &f, &img, &err), 0, "a relocatable kernel never runs below pref_address");
	cr_assert(strstr(err.msg, "needs 4 MiB from 0x80000000, which is not RAM"), "%s", err.msg);
	tmem_fini(&t);
	free(k);

	o.pref_address = 0;
	k = bz_make(&o, &n);
	f = files_of(k, n, "");
	tmem_init(&t, 64 << 20);
	cr_assert_eq(load(&t, &f, &img, &err), 0, "%s", err.msg);
	cr_assert_eq(img.entry, 0x100000);
	cr_assert_eq(img.kernel_start, 0x100000);
	cr_assert_eq(img.kernel_end, 0x200000 + (4 << 20), "runs at 2 MiB (kernel_alignment)");
	tmem_fini(&t);
	free(k);
}

Test(bzimage, setup_sects_zero_means_four)
{
	struct tmem t;
	struct boot_image img;
	struct errbuf err;
	struct bzopts o = bz_default;
	struct bzimage_info bi;
	size_t n;
	uint8_t *k;
	struct boot_files f;

	o.setup_sects = 0;
	k = bz_make(&o, &n);
	cr_assert_eq(bzimage_parse(k, n, &bi, &err), 0, "%s", err.msg);
	cr_assert_eq(bi.setup_size, 5 * 512);
	cr_assert_eq(bi.payload_size, o.payload_size);
	f = files_of(k, n, "");
	tmem_init(&t, 128 << 20);
	cr_assert_eq(load(&t, &f, &img, &err), 0, "%s", err.msg);
	cr_assert_eq(tmem_at(&t, img.entry, 1)[0], payload_byte(0));
	cr_assert_eq(tmem_at(&t, img.entry + 100, 1)[0], payload_byte(100));
	tmem_fini(&t);
	free(k);
}

Test(bzimage, parse_reports_header_facts)
{
	struct bzimage_info bi;
	struct errbuf err;
	size_t n;
	uint8_t *k = bz_make(&bz_default, &n);

	cr_assert_eq(bzimage_probe(k, n), 1);
	cr_assert_eq(bzimage_parse(k, n, &bi, &err), 0, "%s", err.msg);
	cr_assert_eq(bi.version, 0x020f);
	cr_assert_eq(bi.setup_size, 2560);
	cr_assert_eq(bi.payload_offset, 2560);
	cr_assert_eq(bi.payload_size, 65536);
	cr_assert_eq(bi.pref_address, 0x1000000);
	cr_assert_eq(bi.init_size, 8 << 20);
	cr_assert_eq(bi.kernel_alignment, 0x200000);
	cr_assert_eq(bi.cmdline_size, 2047);
	cr_assert_eq(bi.initrd_addr_max, 0x7fffffff);
	cr_assert_eq(bi.relocatable, 1);
	cr_assert_eq(bi.xloadflags, 0x7f);
	free(k);
}

Test(bzimage, refuses_bad_headers)
{
	struct bzopts o;

	o = bz_default;
	o.version = 0x0205;
	assert_refused(&o, 64 << 20, "", "boot protocol 2.05 is too old: 2.06 or later is needed");
	o = bz_default;
	o.loadflags = 0;
	assert_refused(&o, 64 << 20, "", "zImage");
	o = bz_default;
	o.kernel_alignment = 0x300000;
	assert_refused(&o, 64 << 20, "", "kernel_alignment 0x300000, not a power of two");
	o = bz_default;
	o.kernel_alignment = 0;
	assert_refused(&o, 64 << 20, "", "not a power of two");
	o = bz_default;
	o.code32_start = 0x200000;
	assert_refused(&o, 64 << 20, "", "code32_start 0x200000");
}

Test(bzimage, refuses_truncated_files)
{
	struct boot_image img;
	struct errbuf err;
	struct tmem t;
	size_t n;
	uint8_t *k = bz_make(&bz_default, &n);
	struct boot_files f;

	tmem_init(&t, 64 << 20);
	/* setup_sects 255: the setup alone is 128 KiB, the file 66 KiB. */
	k[0x1f1] = 255;
	f = files_of(k, n, "");
	cr_assert_lt(load(&t, &f, &img, &err), 0);
	cr_assert(strstr(err.msg, "kernel.img: truncated file"), "%s", err.msg);
	/* Exactly the setup, no protected-mode code. */
	k[0x1f1] = 4;
	f = files_of(k, 2560, "");
	cr_assert_lt(load(&t, &f, &img, &err), 0);
	cr_assert(strstr(err.msg, "no protected-mode code"), "%s", err.msg);
	/* Cut inside the header: HdrS seen, cmdline_size not. */
	f = files_of(k, 0x230, "");
	cr_assert_lt(load(&t, &f, &img, &err), 0);
	cr_assert(strstr(err.msg, "kernel.img: truncated file (560 bytes)"), "%s", err.msg);
	/* Too short to even hold the magic. */
	f = files_of(k, 0x100, "");
	cr_assert_lt(load(&t, &f, &img, &err), 0);
	cr_assert(strstr(err.msg, "kernel.img: truncated file (256 bytes)"), "%s", err.msg);
	f = files_of(k, 0, "");
	cr_assert_lt(load(&t, &f, &img, &err), 0);
	cr_assert_str_eq(err.msg, "kernel.img: the kernel file is empty");
	tmem_fini(&t);
	free(k);
}

/* syssize, not the file size, bounds the code: a file cut inside it is refused. */
Test(bzimage, refuses_file_shorter_than_syssize)
{
	struct boot_image img;
	struct errbuf err;
	struct tmem t;
	size_t n;
	uint8_t *k = bz_make(&bz_default, &n);
	struct boot_files f = files_of(k, n - 10, "");

	tmem_init(&t, 64 << 20);
	cr_assert_eq(load(&t, &f, &img, &err), -EINVAL);
	cr_assert_str_eq(err.msg, "kernel.img: truncated bzImage: header says 65536 bytes of kernel code, file has 65526");
	f = files_of(k, 5000, "");
	cr_assert_eq(load(&t, &f, &img, &err), -EINVAL);
	cr_assert_str_eq(err.msg, "kernel.img: truncated bzImage: header says 65536 bytes of kernel code, file has 2440");
	cr_assert_eq(tmem_at(&t, 0x1000000, 1)[0], 0, "nothing written");
	t_put(k + 0x1f4, 4, 0);
	f = files_of(k, n, "");
	cr_assert_eq(load(&t, &f, &img, &err), -EINVAL);
	cr_assert(strstr(err.msg, "syssize is 0"), "%s", err.msg);
	tmem_fini(&t);
	free(k);
}

/* Bytes after syssize * 16 (an appended signature) are not loaded. */
Test(bzimage, ignores_bytes_after_syssize)
{
	struct boot_image img;
	struct bzimage_info bi;
	struct errbuf err;
	struct tmem t;
	size_t n;
	uint8_t *k = bz_make(&bz_default, &n);
	struct boot_files f;

	k = realloc(k, n + 4096);
	cr_assert_not_null(k);
	memset(k + n, 0xcc, 4096);
	cr_assert_eq(bzimage_parse(k, n + 4096, &bi, &err), 0, "%s", err.msg);
	cr_assert_eq(bi.payload_size, 65536);
	f = files_of(k, n + 4096, "");
	tmem_init(&t, 64 << 20);
	cr_assert_eq(load(&t, &f, &img, &err), 0, "%s", err.msg);
	cr_assert_eq(tmem_at(&t, img.entry + 65535, 1)[0], payload_byte(65535));
	cr_assert_eq(tmem_at(&t, img.entry + 65536, 1)[0], 0, "trailer not loaded");
	tmem_fini(&t);
	free(k);
}

Test(bzimage, refuses_unknown_format)
{
	struct boot_image img;
	struct errbuf err;
	struct tmem t;
	uint8_t junk[4096];
	struct boot_files f = files_of(junk, sizeof(junk), "");

	memset(junk, 0x90, sizeof(junk));
	tmem_init(&t, 64 << 20);
	cr_assert_eq(load(&t, &f, &img, &err), -EINVAL);
	cr_assert_str_eq(err.msg, "kernel.img: not a bzImage (no HdrS) nor a PVH ELF");
	tmem_fini(&t);
}

Test(bzimage, refuses_long_cmdline)
{
	struct bzopts o = bz_default;
	char line[300];

	o.cmdline_size = 255;
	memset(line, 'x', 256);
	line[256] = 0;
	assert_refused(&o, 64 << 20, line, "the command line is 256 bytes, the kernel accepts at most 255");
	line[255] = 0;
	{
		struct tmem t;
		struct boot_image img;
		struct errbuf err;
		size_t n;
		uint8_t *k = bz_make(&o, &n);
		struct boot_files f = files_of(k, n, line);

		tmem_init(&t, 64 << 20);
		cr_assert_eq(load(&t, &f, &img, &err), 0, "255 bytes fit: %s", err.msg);
		cr_assert_eq(strlen((char *)tmem_at(&t, 0x20000, 256)), 255);
		tmem_fini(&t);
		free(k);
	}
}

Test(bzimage, refuses_kernel_too_big_for_mem)
{
	struct bzopts o = bz_default;

	o.init_size = 48 << 20;
	assert_refused(&o, 64 << 20, "",
		       "kernel.img: the kernel needs 48 MiB from 0x1000000, only 47 MiB of RAM there; use --mem 128M");
	o.init_size = 0xfff00000; /* hostile: 4 GiB from 16 MiB */
	assert_refused(&o, 64 << 20, "", "cannot fit below the 3 GiB MMIO hole");
}

Test(bzimage, refuses_initrd_that_does_not_fit)
{
	struct tmem t;
	struct boot_image img;
	struct errbuf err;
	size_t n, rd_size = 50 << 20;
	uint8_t *k = bz_make(&bz_default, &n);
	uint8_t *rd = calloc(1, rd_size);
	struct boot_files f = files_of(k, n, "");

	f.initrd = rd;
	f.initrd_size = rd_size;
	tmem_init(&t, 64 << 20);
	cr_assert_lt(load(&t, &f, &img, &err), 0);
	cr_assert_str_eq(err.msg, "initrd.img: the 50 MiB initrd does not fit in RAM above the kernel's end at 0x1800000; use --mem 128M");
	tmem_fini(&t);

	f.initrd_size = 0;
	tmem_init(&t, 64 << 20);
	cr_assert_lt(load(&t, &f, &img, &err), 0);
	cr_assert_str_eq(err.msg, "initrd.img: the initrd is empty");
	tmem_fini(&t);
	free(k);
	free(rd);
}

Test(bzimage, reload_is_idempotent)
{
	struct tmem t;
	struct boot_image a, b;
	struct errbuf err;
	size_t n;
	uint8_t rd[10000];
	uint8_t *k = bz_make(&bz_default, &n), *snap;
	struct boot_files f = files_of(k, n, "a=1");

	memset(rd, 0x77, sizeof(rd));
	f.initrd = rd;
	f.initrd_size = sizeof(rd);
	tmem_init(&t, 128 << 20);
	cr_assert_eq(load(&t, &f, &a, &err), 0, "%s", err.msg);
	snap = malloc(t.host_size);
	memcpy(snap, t.host, t.host_size);
	/* The guest scribbles over everything it was given, then resets. */
	memset(tmem_at(&t, 0, 0xa0000), 0xee, 0xa0000);
	memset(tmem_at(&t, a.kernel_start, bz_default.payload_size), 0xee, bz_default.payload_size);
	memset(tmem_at(&t, a.initrd_addr, sizeof(rd)), 0xee, sizeof(rd));
	memset(tmem_at(&t, 0x20000, 0x10000), 'z', 0x10000);
	cr_assert_eq(load(&t, &f, &b, &err), 0, "%s", err.msg);
	cr_assert_eq(memcmp(&a, &b, sizeof(a)), 0);
	cr_assert_eq(memcmp(tmem_at(&t, 0x7000, 0x1000), snap + 0x7000, 0x1000), 0);
	cr_assert_eq(memcmp(tmem_at(&t, 0x500, 32), snap + 0x500, 32), 0);
	cr_assert_eq(memcmp(tmem_at(&t, 0x20000, 0x10000), snap + 0x20000, 0x10000), 0);
	cr_assert_eq(memcmp(tmem_at(&t, a.kernel_start, bz_default.payload_size),
			    snap + a.kernel_start, bz_default.payload_size), 0);
	cr_assert_eq(memcmp(tmem_at(&t, a.initrd_addr, sizeof(rd)), rd, sizeof(rd)), 0);
	free(snap);
	tmem_fini(&t);
	free(k);
}

/* Random headers around a valid one: never a crash, a refusal always has a message. */
Test(bzimage, hostile_headers_fuzz)
{
	struct tmem t;
	size_t n;
	uint8_t *good = bz_make(&bz_default, &n);
	uint8_t *k = malloc(n);
	unsigned seed = 12345, ok = 0;

	tmem_init(&t, 64 << 20);
	for (unsigned iter = 0; iter < 3000; iter++) {
		struct boot_image img;
		struct errbuf err;
		struct boot_files f;
		size_t size = n;

		memcpy(k, good, n);
		for (unsigned j = 0; j < 6; j++) {
			seed = seed * 1103515245 + 12345;
			unsigned off = 0x1f1 + (seed >> 8) % (0x270 - 0x1f1);
			if (off >= 0x202 && off < 0x206)
				continue; /* keep HdrS so the bzImage path runs */
			seed = seed * 1103515245 + 12345;
			k[off] = (uint8_t)(seed >> 16);
		}
		if (iter % 7 == 0)
			size = 0x206 + (seed >> 4) % (n - 0x206);
		f = files_of(k, size, "console=ttyS0");
		err.msg[0] = 0;
		if (boot_load(&f, &t.gm, &t.map, &img, &err) == 0) {
			ok++;
			cr_assert_geq(img.kernel_start, 0x100000);
			cr_assert_leq(img.kernel_end, 63 << 20);
		} else {
			cr_assert(strncmp(err.msg, "kernel.img: ", 12) == 0, "iter %u: '%s'", iter, err.msg);
		}
	}
	cr_assert_gt(ok, 0, "some mutations still load");
	tmem_fini(&t);
	free(k);
	free(good);
}

/* The Debian kernel from `make linux-image`, when it has been built. */
Test(bzimage, real_debian_vmlinuz)
{
	char path[512];
	size_t n;
	uint8_t *k;
	struct bzimage_info bi;
	struct errbuf err;
	struct tmem t;
	struct boot_image img;
	struct boot_files f;

	snprintf(path, sizeof(path), "%s/vmlinuz", t_linux_dir());
	k = t_slurp(path, &n);
	if (!k) {
		cr_skip_test("%s not built (make linux-image)", path);
		return;
	}
	cr_assert_eq(bzimage_parse(k, n, &bi, &err), 0, "%s", err.msg);
	cr_assert_geq(bi.version, 0x020c);
	cr_assert_eq(bi.relocatable, 1);
	cr_assert_gt(bi.init_size, bi.payload_size);
	cr_assert_eq(bi.payload_size, (size_t)t_le(k + 0x1f4, 4) * 16, "syssize bounds the code");
	cr_assert_leq(bi.setup_size + bi.payload_size, n);
	f = files_of(k, n, "console=ttyS0 earlyprintk=ttyS0");
	tmem_init(&t, 64 << 20);
	cr_assert_lt(load(&t, &f, &img, &err), 0, "a Debian kernel needs more than 64M");
	cr_assert(strstr(err.msg, "from 0x1000000") && strstr(err.msg, "; use --mem 128M"), "%s",
		  err.msg);
	tmem_fini(&t);
	tmem_init(&t, 256 << 20);
	cr_assert_eq(load(&t, &f, &img, &err), 0, "%s", err.msg);
	cr_assert_eq(img.entry, bi.pref_address);
	cr_assert_eq(memcmp(tmem_at(&t, img.entry, 4096), k + bi.setup_size, 4096), 0);
	cr_assert_eq(t_le(tmem_at(&t, 0x7000 + 0x206, 2), 2), bi.version);
	cr_assert_eq(t_le(tmem_at(&t, 0x7000 + 0x260, 4), 4), bi.init_size);
	tmem_fini(&t);
	free(k);
}
