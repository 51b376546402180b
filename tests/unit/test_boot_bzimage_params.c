/* SPDX-License-Identifier: MIT */
/*
 * vmm/boot_bzimage.c, loading: crafted bzImages loaded into fake guest RAM;
 * boot_params checked field by field at the offsets of
 * Documentation/arch/x86/zero-page.rst, written here as literals on purpose,
 * and the placement of the kernel and the initrd.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/bzimage_fixture.h"

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
