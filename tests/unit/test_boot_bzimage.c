/* SPDX-License-Identifier: MIT */
/*
 * vmm/boot_bzimage.c, parsing: crafted bzImages, good and hostile (protocol
 * version, loadflags, alignment, truncation, syssize, command line and memory
 * limits), refused with a message naming the file and leaving guest RAM
 * untouched; the real Debian vmlinuz. What boot_params holds and where things
 * are placed: test_boot_bzimage_params.c.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/bzimage_fixture.h"

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

/*
 * Found by tests/fuzz/fuzz_boot.c (regress/boot/bz-code-past-ram): with
 * init_size smaller than the code and the kernel run where it is loaded,
 * only init_size was checked, so 30 MiB of code went into the HIGH zone.
 */
Test(bzimage, refuses_code_past_ram_when_init_size_is_small)
{
	struct tmem t;
	struct boot_image img;
	struct errbuf err;
	struct bzopts o = bz_default;
	struct boot_files f;
	size_t n;
	uint8_t *k;

	o.relocatable = 0;
	o.pref_address = 0;
	o.init_size = 0x1000;
	o.payload_size = (30 << 20) + 4096; /* 1 MiB + this is past the HIGH zone's start */
	k = bz_make(&o, &n);
	f = files_of(k, n, "");
	tmem_init(&t, 32 << 20);
	cr_assert_eq(load(&t, &f, &img, &err), -ENOMEM);
	cr_assert(strstr(err.msg, "the kernel code"), "%s", err.msg);
	for (uint64_t gpa = LAYOUT_KERNEL; gpa < (32 << 20); gpa += 1 << 20)
		cr_assert_eq(tmem_at(&t, gpa, 1)[0], 0, "RAM at 0x%llx changed",
			     (unsigned long long)gpa);
	tmem_fini(&t);
	free(k);
}

/* Found by fuzz_boot: a pref_address at 4 GiB loaded the code there with a 32-bit entry of 0. */
Test(bzimage, keeps_the_code_below_4g)
{
	struct tmem t;
	struct boot_image img;
	struct errbuf err;
	struct bzopts o = bz_default;
	struct boot_files f;
	size_t n;
	uint8_t *k;

	o.pref_address = 0x100000000ULL;
	k = bz_make(&o, &n);
	f = files_of(k, n, "");
	tmem_init(&t, 0xC0000000ULL + (64 << 20));
	cr_assert_eq(load(&t, &f, &img, &err), -EINVAL);
	cr_assert(strstr(err.msg, "above 4 GiB"), "%s", err.msg);
	o.relocatable = 1;
	o.pref_address = 0xFFFFF000ULL;
	free(k);
	k = bz_make(&o, &n);
	f = files_of(k, n, "");
	cr_assert_lt(load(&t, &f, &img, &err), 0);
	tmem_fini(&t);
	free(k);
}
