/* SPDX-License-Identifier: MIT */
/*
 * vmm/boot.c: the parts both loaders share: GDT bytes, initrd placement,
 * RAM range checks and the --mem suggestion in messages.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "tests/unit/boot_fixture.h"

#define M (1ULL << 20)
#define G (1ULL << 30)

Test(boot, gdt_bytes)
{
	static const uint8_t want[32] = {
		0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0,
		0xff, 0xff, 0, 0, 0, 0x9a, 0xcf, 0, /* 0x10: code32, base 0, limit 4 GiB */
		0xff, 0xff, 0, 0, 0, 0x92, 0xcf, 0, /* 0x18: data32 */
	};
	struct tmem t;

	tmem_init(&t, 64 * M);
	memset(tmem_at(&t, 0x500, 32), 0x11, 32);
	cr_assert_eq(boot_write_gdt(&t.gm), 0);
	cr_assert_eq(memcmp(tmem_at(&t, 0x500, 32), want, 32), 0);
	cr_assert_eq(tmem_at(&t, 0x520, 1)[0], 0, "nothing past the 4 entries");
	tmem_fini(&t);

	{
		struct guest_mem none = { .nr = 0 };
		cr_assert_eq(boot_write_gdt(&none), -EFAULT);
	}
}

/* F000:FFF0: out 0x604, 0x42; out 0x64, 0xFE; cli; hlt; jmp hlt (16 bytes, nothing else). */
Test(boot, reset_stub_bytes)
{
	static const uint8_t want[16] = { 0xb0, 0x42, 0xba, 0x04, 0x06, 0xee, 0xb0, 0xfe,
					  0xe6, 0x64, 0xfa, 0xf4, 0xeb, 0xfd, 0x90, 0x90 };
	struct tmem t;

	tmem_init(&t, 64 * M);
	memset(tmem_at(&t, 0xFFFE0, 0x40), 0x11, 0x40);
	cr_assert_eq(boot_write_reset_stub(&t.gm, 0x604, 0x42), 0);
	cr_assert_eq(memcmp(tmem_at(&t, 0xFFFF0, 16), want, 16), 0);
	cr_assert_eq(tmem_at(&t, 0xFFFEF, 1)[0], 0x11, "nothing below F000:FFF0");
	cr_assert_eq(tmem_at(&t, 0x100000, 1)[0], 0x11, "nothing past 1 MiB");
	/* The jmp lands on the hlt: offset 14 - 3 = 11. */
	cr_assert_eq(want[11], 0xf4);
	tmem_fini(&t);
}

Test(boot, place_initrd)
{
	struct e820_map m;
	uint64_t at;

	cr_assert_eq(e820_build(&m, 256 * M), 0);
	cr_assert_eq(boot_place_initrd(&m, 4096, 3 * G, 16 * M, &at), 0);
	cr_assert_eq(at, 255 * M - 4096, "top of RAM below the HIGH zone");
	cr_assert_eq(boot_place_initrd(&m, 4097, 3 * G, 16 * M, &at), 0);
	cr_assert_eq(at, 255 * M - 8192, "4 KiB aligned");
	cr_assert_eq(boot_place_initrd(&m, M, 100 * M + 5, 16 * M, &at), 0);
	cr_assert_eq(at, 99 * M, "end at or below the limit");
	cr_assert_eq(boot_place_initrd(&m, 239 * M, 3 * G, 16 * M, &at), 0);
	cr_assert_eq(at, 16 * M, "exactly fits above the kernel");
	cr_assert_eq(boot_place_initrd(&m, 239 * M + 1, 3 * G, 16 * M, &at), -ENOSPC);
	/* Never in low RAM, even for a kernel loaded low. */
	cr_assert_eq(boot_place_initrd(&m, 4096, 2 * M, 0, &at), 0);
	cr_assert_eq(at, 2 * M - 4096);
	cr_assert_eq(boot_place_initrd(&m, 4096, 0x90000, 0, &at), -ENOSPC);
	cr_assert_eq(boot_place_initrd(&m, 0, 3 * G, 0, &at), -EINVAL);
	cr_assert_eq(boot_place_initrd(&m, ~0ULL, 3 * G, 0, &at), -ENOSPC, "no wrap-around");

	/* 5G: RAM above 4 GiB is never chosen, even with no limit. */
	cr_assert_eq(e820_build(&m, 5 * G), 0);
	cr_assert_eq(boot_place_initrd(&m, 10 * M, LAYOUT_MMIO_HOLE, 16 * M, &at), 0);
	cr_assert_eq(at, 3 * G - M - 10 * M);
}

Test(boot, suggest_mem)
{
	cr_assert_eq(boot_suggest_mem(0), 32 * M);
	cr_assert_eq(boot_suggest_mem(31 * M), 32 * M);
	cr_assert_eq(boot_suggest_mem(31 * M + 1), 64 * M, "the HIGH zone sits above RAM's end");
	cr_assert_eq(boot_suggest_mem(64 * M + 1), 128 * M);
	cr_assert_eq(boot_suggest_mem(2 * G), 4 * G);
	cr_assert_eq(boot_suggest_mem(3 * G - M), 4 * G);
	cr_assert_eq(boot_suggest_mem(3 * G - M + 1), 0, "not below the MMIO hole");
	cr_assert_eq(boot_suggest_mem(~0ULL), 0);
}

Test(boot, check_range)
{
	struct e820_map m;
	struct errbuf err;

	cr_assert_eq(e820_build(&m, 64 * M), 0);
	cr_assert_eq(boot_check_range(&m, "k", "the kernel", M, 62 * M, &err), 0);
	cr_assert_eq(boot_check_range(&m, "k", "the kernel", 0x8000, 0x1000, &err), 0);
	cr_assert_eq(boot_check_range(&m, "k", "the kernel", 0x8000, 0, &err), 0);
	cr_assert_eq(boot_check_range(&m, "k", "the kernel", M, 62 * M + 1, &err), -ENOMEM);
	cr_assert_str_eq(err.msg, "k: the kernel needs 63 MiB from 0x100000, only 62 MiB of RAM there; use --mem 128M");
	cr_assert_eq(boot_check_range(&m, "k", "x", ~0ULL - 5, 10, &err), -EINVAL);
	cr_assert(strstr(err.msg, "wraps around"), "%s", err.msg);
	cr_assert_eq(boot_check_range(&m, "k", "x", 0x9f000, 0x2000, &err), -EINVAL);
	cr_assert_str_eq(err.msg, "k: x at 0x9f000-0xa1000 overlaps the firmware and its stack at 0x90000-0xa0000; link the kernel at 1 MiB or above");
	cr_assert_eq(boot_check_range(&m, "k", "x", 0x400, 0x200, &err), -EINVAL);
	cr_assert(strstr(err.msg, "boot GDT"), "%s", err.msg);
	cr_assert_eq(boot_check_range(&m, "k", "x", 0x1f000, 0x2000, &err), -EINVAL);
	cr_assert(strstr(err.msg, "kernel command line"), "%s", err.msg);
	cr_assert_eq(boot_check_range(&m, "k", "x", 0xa0000, 0x1000, &err), -ENOMEM);
	cr_assert(strstr(err.msg, "which is not RAM"), "%s", err.msg);
}

/* Two loads into the same RAM with different files leave no trace of the first. */
Test(boot, shorter_cmdline_after_longer)
{
	struct tmem t;
	struct boot_image img;
	struct boot_files f = { .kernel_name = "k", .cmdline = "a much longer command line" };

	tmem_init(&t, 64 * M);
	cr_assert_eq(boot_write_cmdline(&f, &t.gm, &img), 0);
	f.cmdline = "short";
	cr_assert_eq(boot_write_cmdline(&f, &t.gm, &img), 0);
	cr_assert_eq(memcmp(tmem_at(&t, 0x20000, 27), "short\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 27), 0);
	cr_assert_eq(img.cmdline_size, 6);
	tmem_fini(&t);
}
