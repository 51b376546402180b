/* SPDX-License-Identifier: MIT */
/*
 * firmware/loader_exec.c: the linker/loader commands of a broken or hostile
 * blob are refused with their error, the command's index and its file;
 * WRITE_POINTER's checks; the RSDP search's checksums. Good blobs and random
 * ones: test_loader_exec.c.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/unit/loader_exec_fixture.h"

TestSuite(loader_exec_refusals, .init = setup, .fini = teardown);

/* Run a blob expected to fail at command index idx with error e (naming file, if any). */
static void expect_fail(struct blob *bl, enum loader_error e, unsigned idx, const char *file)
{
	int rc = run(bl);

	cr_assert_eq(rc, (int)e, "got \"%s\", want \"%s\"", loader_strerror(rc), loader_strerror(e));
	cr_assert_eq(ldr.err, e);
	cr_assert_eq(ldr.err_index, idx);
	if (file)
		cr_assert_str_eq(ldr.err_name, file);
	else
		cr_assert_null(ldr.err_name);
}

Test(loader_exec_refusals, refuses_unknown_file)
{
	struct blob bl = { .n = 0 };

	b_alloc(&bl, "etc/none", 64, LOADER_ZONE_HIGH);
	expect_fail(&bl, LOADER_E_NO_FILE, 0, "etc/none");
}

Test(loader_exec_refusals, refuses_bad_alignment)
{
	struct blob bl = { .n = 0 };

	add_file("f", "x", 1, false);
	b_alloc(&bl, "f", 3, LOADER_ZONE_HIGH);
	expect_fail(&bl, LOADER_E_ALIGN, 0, "f");
	bl.n = 0;
	b_alloc(&bl, "f", 0, LOADER_ZONE_HIGH);
	expect_fail(&bl, LOADER_E_ALIGN, 0, "f");
	bl.n = 0;
	b_alloc(&bl, "f", 0x80000000u, LOADER_ZONE_HIGH);
	expect_fail(&bl, LOADER_E_ZONE_FULL, 0, "f");
}

Test(loader_exec_refusals, refuses_bad_zone)
{
	struct blob bl = { .n = 0 };

	add_file("f", "x", 1, false);
	b_alloc(&bl, "f", 1, 0);
	expect_fail(&bl, LOADER_E_ZONE, 0, "f");
	bl.n = 0;
	b_alloc(&bl, "f", 1, 3);
	expect_fail(&bl, LOADER_E_ZONE, 0, "f");
	/* A zone the platform does not have (no HIGH zone found in e820). */
	loader_init(&ldr, &ops, NULL, 0, 0, LAYOUT_FSEG, LAYOUT_FSEG_END);
	bl.n = 0;
	b_alloc(&bl, "f", 1, LOADER_ZONE_HIGH);
	expect_fail(&bl, LOADER_E_ZONE, 0, "f");
}

Test(loader_exec_refusals, refuses_oversized_and_zone_full)
{
	const uint32_t fseg = LAYOUT_FSEG_END - LAYOUT_FSEG;
	struct blob bl = { .n = 0 };

	add_file("big", NULL, fseg + 1, false);
	add_file("half", NULL, fseg / 2, false);
	add_file("rest", NULL, fseg / 2, false);
	add_file("more", "x", 1, false);
	b_alloc(&bl, "big", 16, LOADER_ZONE_FSEG);
	expect_fail(&bl, LOADER_E_ZONE_FULL, 0, "big");
	bl.n = 0;
	b_alloc(&bl, "half", 16, LOADER_ZONE_FSEG);
	b_alloc(&bl, "half", 16, LOADER_ZONE_FSEG);
	expect_fail(&bl, LOADER_E_TWICE, 1, "half");
	/* Exactly full is fine; one more byte is not. */
	fresh();
	bl.n = 1;
	b_alloc(&bl, "rest", 1, LOADER_ZONE_FSEG);
	b_alloc(&bl, "more", 1, LOADER_ZONE_FSEG);
	expect_fail(&bl, LOADER_E_ZONE_FULL, 2, "more");
	cr_assert_eq(loader_find_alloc(&ldr, "rest")->addr + fseg / 2, LAYOUT_FSEG_END);
}

Test(loader_exec_refusals, refuses_empty_file_and_too_many)
{
	struct blob bl = { .n = 0 };
	char name[16];

	add_file("empty", NULL, 0, false);
	b_alloc(&bl, "empty", 1, LOADER_ZONE_HIGH);
	expect_fail(&bl, LOADER_E_EMPTY, 0, "empty");
	bl.n = 0;
	for (unsigned i = 0; i <= LOADER_MAX_ALLOCS; i++) {
		snprintf(name, sizeof(name), "f%u", i);
		add_file(name, "x", 1, false);
		b_alloc(&bl, name, 1, LOADER_ZONE_HIGH);
	}
	snprintf(name, sizeof(name), "f%u", LOADER_MAX_ALLOCS);
	expect_fail(&bl, LOADER_E_TOO_MANY, LOADER_MAX_ALLOCS, name);
}

Test(loader_exec_refusals, refuses_names_without_nul)
{
	struct blob bl = { .n = 0 };
	uint8_t *e;

	add_file("f", "x", 1, false);
	e = entry(&bl, LOADER_CMD_ALLOCATE);
	memset(e + LOADER_ALLOC_FILE, 'f', LOADER_NAME_LEN);
	put_le32(e + LOADER_ALLOC_ALIGN, 1);
	e[LOADER_ALLOC_ZONE] = LOADER_ZONE_HIGH;
	expect_fail(&bl, LOADER_E_NAME, 0, NULL);
	bl.n = 0;
	b_alloc(&bl, "f", 1, LOADER_ZONE_HIGH);
	b_ptr(&bl, "f", "f", 0, 1);
	memset(bl.b + LOADER_ENTRY_SIZE + LOADER_PTR_SRC, 'g', LOADER_NAME_LEN);
	expect_fail(&bl, LOADER_E_NAME, 1, NULL);
}

Test(loader_exec_refusals, refuses_truncated_blob_before_running_anything)
{
	struct blob bl = { .n = 0 };

	add_file("f", "x", 1, false);
	b_alloc(&bl, "f", 1, LOADER_ZONE_HIGH);
	cr_assert_eq(loader_run(&ldr, bl.b, LOADER_ENTRY_SIZE + 4), LOADER_E_TRUNCATED);
	/* A blob-level error: no command index, no command (not "unknown command" 0). */
	cr_assert_eq(ldr.err_index, LOADER_INDEX_BLOB);
	cr_assert_eq(ldr.err_command, 0);
	cr_assert_null(ldr.err_name);
	cr_assert_eq(loader_run(&ldr, bl.b, 4), LOADER_E_TRUNCATED, "shorter than one command");
	cr_assert_eq(ldr.err_index, LOADER_INDEX_BLOB);
	cr_assert_eq(ldr.nr_alloc, 0);
	cr_assert_eq(loader_run(&ldr, bl.b, 0), 0, "an empty blob is fine");
}

Test(loader_exec_refusals, refuses_pointers_that_do_not_fit)
{
	struct blob bl = { .n = 0 };

	add_file("d", NULL, 16, false);
	add_file("s", "x", 1, false);
	b_alloc(&bl, "d", 16, LOADER_ZONE_FSEG);
	b_alloc(&bl, "s", 16, LOADER_ZONE_HIGH);
	b_ptr(&bl, "d", "s", 0, 2); /* 0x180000 in 2 bytes */
	expect_fail(&bl, LOADER_E_PTR_OVERFLOW, 2, "d");
	cr_assert_eq(get_le64(ram + LAYOUT_FSEG), 0, "destination untouched");

	fresh();
	bl.n = 2;
	b_ptr(&bl, "d", "s", 0, 3);
	expect_fail(&bl, LOADER_E_PTR_SIZE, 2, "d");
}

Test(loader_exec_refusals, refuses_pointer_fields_outside_the_file)
{
	struct blob bl = { .n = 0 };
	const uint32_t offs[] = { 9, 16, 0xfffffffcu, 0xffffffffu };

	add_file("d", NULL, 16, false);
	add_file("s", "x", 1, false);
	for (unsigned i = 0; i < ARRAY_SIZE(offs); i++) {
		fresh();
		bl.n = 0;
		b_alloc(&bl, "d", 16, LOADER_ZONE_HIGH);
		b_alloc(&bl, "s", 16, LOADER_ZONE_HIGH);
		b_ptr(&bl, "d", "s", offs[i], 8);
		expect_fail(&bl, LOADER_E_PTR_RANGE, 2, "d");
	}
	/* 64-bit overflow of an 8-byte pointer. */
	fresh();
	bl.n = 0;
	b_alloc(&bl, "d", 16, LOADER_ZONE_HIGH);
	b_alloc(&bl, "s", 16, LOADER_ZONE_HIGH);
	b_ptr(&bl, "d", "s", 8, 8);
	cr_assert_eq(run(&bl), 0);
	put_le64(ram + HIGH_START + 8, UINT64_MAX - 4);
	bl.n = 0;
	b_ptr(&bl, "d", "s", 8, 8);
	expect_fail(&bl, LOADER_E_PTR_OVERFLOW, 0, "d");
}

Test(loader_exec_refusals, refuses_use_before_allocate)
{
	struct blob bl = { .n = 0 };

	add_file("d", NULL, 16, false);
	add_file("s", "x", 1, false);
	b_alloc(&bl, "d", 16, LOADER_ZONE_HIGH);
	b_ptr(&bl, "d", "s", 0, 4);
	expect_fail(&bl, LOADER_E_NOT_ALLOCATED, 1, "s");
	fresh();
	bl.n = 1;
	b_cksum(&bl, "s", 0, 0, 1);
	expect_fail(&bl, LOADER_E_NOT_ALLOCATED, 1, "s");
}

Test(loader_exec_refusals, refuses_checksum_outside_the_file)
{
	struct blob bl = { .n = 0 };
	const uint32_t bad[][3] = {
		{ 16, 0, 16 },		    /* checksum byte past the end */
		{ 0, 0, 17 },		    /* range past the end */
		{ 0, 16, 1 },		    /* range starts at the end */
		{ 0, 0xfffffff0u, 0x20 },   /* start + length wraps 32 bits */
		{ 0xffffffffu, 0, 1 },
	};

	add_file("f", NULL, 16, false);
	b_alloc(&bl, "f", 16, LOADER_ZONE_HIGH);
	cr_assert_eq(run(&bl), 0);
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		bl.n = 0;
		b_cksum(&bl, "f", bad[i][0], bad[i][1], bad[i][2]);
		expect_fail(&bl, LOADER_E_CKSUM_RANGE, 0, "f");
	}
	/* The whole file, and an empty range, are fine. */
	bl.n = 0;
	b_cksum(&bl, "f", 15, 0, 16);
	b_cksum(&bl, "f", 0, 16, 0);
	cr_assert_eq(run(&bl), 0);
}

Test(loader_exec_refusals, write_pointer_checks)
{
	struct blob bl = { .n = 0 };

	add_file("src", NULL, 64, false);
	add_file("ro", NULL, 8, false);
	add_file("rw", NULL, 8, true);
	b_alloc(&bl, "src", 64, LOADER_ZONE_HIGH);
	cr_assert_eq(run(&bl), 0);

	bl.n = 0;
	b_wptr(&bl, "nofile", "src", 0, 0, 8);
	expect_fail(&bl, LOADER_E_NO_FILE, 0, "nofile");
	bl.n = 0;
	b_wptr(&bl, "rw", "nosrc", 0, 0, 8);
	expect_fail(&bl, LOADER_E_NOT_ALLOCATED, 0, "nosrc");
	bl.n = 0;
	b_wptr(&bl, "rw", "src", 1, 0, 8);
	expect_fail(&bl, LOADER_E_PTR_RANGE, 0, "rw");
	bl.n = 0;
	b_wptr(&bl, "rw", "src", 0, 64, 8);
	expect_fail(&bl, LOADER_E_SRC_OFFSET, 0, "src");
	bl.n = 0;
	b_wptr(&bl, "rw", "src", 0, 0, 2);
	expect_fail(&bl, LOADER_E_PTR_OVERFLOW, 0, "rw");
	bl.n = 0;
	b_wptr(&bl, "rw", "src", 0, 0, 5);
	expect_fail(&bl, LOADER_E_PTR_SIZE, 0, "rw");
	/* The VMM refuses a write to a read-only file: DMA ERROR. */
	bl.n = 0;
	b_wptr(&bl, "ro", "src", 0, 0, 8);
	expect_fail(&bl, LOADER_E_IO, 0, "ro");

	/* At an offset, 4 bytes: SELECT + SKIP + WRITE. */
	bl.n = 0;
	b_wptr(&bl, "rw", "src", 4, 63, 4);
	cr_assert_eq(run(&bl), 0);
	cr_assert_arr_eq(fwcfg_file_data(fw, "rw", NULL), "\0\0\0\0\x3f\0\x18\0", 8);
}

Test(loader_exec_refusals, rsdp_search_checks_both_checksums)
{
	struct blob bl = { .n = 0 };
	uint8_t rsdp[64] = { 0 };
	uint8_t *p;

	/* RSDP at offset 16 of its file, after 16 bytes of junk. */
	memcpy(rsdp + 16, "RSD PTR ", 8);
	rsdp[16 + 15] = 2;
	put_le32(rsdp + 16 + 20, 32); /* v2 length below 36: invalid */
	add_file("r", rsdp, sizeof(rsdp), false);
	b_alloc(&bl, "r", 16, LOADER_ZONE_FSEG);
	b_cksum(&bl, "r", 16 + 8, 16, 20);
	cr_assert_eq(run(&bl), 0);
	cr_assert_eq(loader_find_rsdp(&ldr), 0);
	p = ram + LAYOUT_FSEG + 16;
	put_le32(p + 20, 36);
	p[8] = 0;
	p[8] = (uint8_t)-sum8(p, 20);
	cr_assert_eq(loader_find_rsdp(&ldr), 0, "extended checksum still wrong");
	p[32] = (uint8_t)-sum8(p, 36);
	cr_assert_eq(loader_find_rsdp(&ldr), LAYOUT_FSEG + 16);
	/* Revision 0 needs only the first checksum. */
	p[15] = 0;
	p[8] = 0;
	p[8] = (uint8_t)-sum8(p, 20);
	p[32] = 0x55;
	cr_assert_eq(loader_find_rsdp(&ldr), LAYOUT_FSEG + 16);
}
