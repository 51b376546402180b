/* SPDX-License-Identifier: MIT */
/*
 * firmware/loader_exec.c on the host. The executor's
 * ops go through the real fw_cfg model and its DMA engine, the way the
 * firmware drives them, so these tests cover both ends of the ABI.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/acpi_pm.h"
#include "devices/fw_cfg.h"
#include "firmware/loader_exec.h"
#include "vmm/acpi_build.h"
#include "vmm/device.h"
#include "vmm/err.h"
#include "vmm/guest_mem.h"
#include "vmm/layout.h"
#include "vmm/util.h"

#define RAM_SIZE (2 * MiB)
#define HIGH_START 0x180000
#define HIGH_END 0x200000
#define SCRATCH 0x10000 /* DMA descriptor, directory and write buffers */
#define SCRATCH_END 0x20000

static struct guest_mem gm;
static uint8_t *ram;
static struct fwcfg *fw;
static struct loader ldr;
static unsigned skipped[8], nr_skipped;

/* ---- ops: what the firmware does, over fwcfg's ports and DMA ---- */

static int dma(uint32_t control, uint32_t length, uint64_t addr)
{
	uint8_t *d = ram + SCRATCH;

	put_be32(d, control);
	put_be32(d + 4, length);
	put_be64(d + 8, addr);
	fwcfg_port_write(fw, FWCFG_OFF_DMA_HIGH, 4, 0);
	fwcfg_port_write(fw, FWCFG_OFF_DMA_LOW, 4, __builtin_bswap32(SCRATCH));
	return get_be32(d) ? -1 : 0;
}

static int op_find(void *ctx, const char *name, uint16_t *key, uint32_t *size)
{
	uint8_t *dir = ram + SCRATCH + 0x100;
	uint32_t n;

	if (dma((FWCFG_KEY_FILE_DIR << 16) | FWCFG_DMA_SELECT | FWCFG_DMA_READ, 4, SCRATCH + 0x100))
		return -1;
	n = get_be32(dir);
	cr_assert_leq(n, 64);
	if (dma(FWCFG_DMA_READ, n * 64, SCRATCH + 0x104))
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = dir + 4 + i * 64;
		if (strncmp((const char *)e + 8, name, 56) == 0) {
			*size = get_be32(e);
			*key = get_be16(e + 4);
			return 0;
		}
	}
	return -1;
}

static int op_load(void *ctx, uint16_t key, uint64_t addr, uint32_t size)
{
	cr_assert(addr >= LAYOUT_FSEG && addr + size <= HIGH_END, "load inside a zone");
	return dma(((uint32_t)key << 16) | FWCFG_DMA_SELECT | FWCFG_DMA_READ, size, addr);
}

static int op_write(void *ctx, uint16_t key, uint32_t offset, const void *src, uint32_t len)
{
	uint32_t sel = ((uint32_t)key << 16) | FWCFG_DMA_SELECT;

	cr_assert_leq(len, 8);
	memcpy(ram + SCRATCH + 0x8000, src, len);
	if (offset) {
		if (dma(sel | FWCFG_DMA_SKIP, offset, 0))
			return -1;
		sel = 0;
	}
	return dma(sel | FWCFG_DMA_WRITE, len, SCRATCH + 0x8000);
}

static void *op_mem(void *ctx, uint64_t addr, uint64_t len)
{
	return gm_ptr(&gm, addr, len);
}

static void op_skipped(void *ctx, unsigned index, uint32_t command)
{
	if (nr_skipped < ARRAY_SIZE(skipped))
		skipped[nr_skipped] = index;
	nr_skipped++;
}

static const struct loader_ops ops = {
	.find = op_find,
	.load = op_load,
	.write = op_write,
	.mem = op_mem,
	.skipped = op_skipped,
};

static void setup(void)
{
	memset(&gm, 0, sizeof(gm));
	ram = calloc(1, RAM_SIZE);
	cr_assert(ram);
	cr_assert_eq(gm_add_region(&gm, 0, RAM_SIZE, ram), 0);
	fw = fwcfg_new(&gm);
	cr_assert(fw);
	nr_skipped = 0;
	loader_init(&ldr, &ops, NULL, HIGH_START, HIGH_END, LAYOUT_FSEG, LAYOUT_FSEG_END);
}

static void teardown(void)
{
	fwcfg_free(fw);
	free(ram);
}

TestSuite(loader_exec, .init = setup, .fini = teardown);

/* ---- blob builder (QEMU's 128-byte entries) ---- */

struct blob {
	uint8_t b[64 * LOADER_ENTRY_SIZE];
	uint32_t n;
};

static uint8_t *entry(struct blob *bl, uint32_t cmd)
{
	uint8_t *e;

	cr_assert_lt(bl->n, 64);
	e = bl->b + bl->n++ * LOADER_ENTRY_SIZE;
	memset(e, 0, LOADER_ENTRY_SIZE);
	put_le32(e, cmd);
	return e;
}

static void name_at(uint8_t *field, const char *name)
{
	strncpy((char *)field, name, LOADER_NAME_LEN);
}

static void b_alloc(struct blob *bl, const char *file, uint32_t align, uint8_t zone)
{
	uint8_t *e = entry(bl, LOADER_CMD_ALLOCATE);

	name_at(e + LOADER_ALLOC_FILE, file);
	put_le32(e + LOADER_ALLOC_ALIGN, align);
	e[LOADER_ALLOC_ZONE] = zone;
}

static void b_ptr(struct blob *bl, const char *dst, const char *src, uint32_t off, uint8_t size)
{
	uint8_t *e = entry(bl, LOADER_CMD_ADD_POINTER);

	name_at(e + LOADER_PTR_DEST, dst);
	name_at(e + LOADER_PTR_SRC, src);
	put_le32(e + LOADER_PTR_OFFSET, off);
	e[LOADER_PTR_SIZE] = size;
}

static void b_cksum(struct blob *bl, const char *file, uint32_t off, uint32_t start, uint32_t len)
{
	uint8_t *e = entry(bl, LOADER_CMD_ADD_CHECKSUM);

	name_at(e + LOADER_CKSUM_FILE, file);
	put_le32(e + LOADER_CKSUM_OFFSET, off);
	put_le32(e + LOADER_CKSUM_START, start);
	put_le32(e + LOADER_CKSUM_LENGTH, len);
}

static void b_wptr(struct blob *bl, const char *dst, const char *src, uint32_t dst_off,
		   uint32_t src_off, uint8_t size)
{
	uint8_t *e = entry(bl, LOADER_CMD_WRITE_POINTER);

	name_at(e + LOADER_WPTR_DEST, dst);
	name_at(e + LOADER_WPTR_SRC, src);
	put_le32(e + LOADER_WPTR_DST_OFFSET, dst_off);
	put_le32(e + LOADER_WPTR_SRC_OFFSET, src_off);
	e[LOADER_WPTR_SIZE] = size;
}

/* Forget earlier allocations (as a new boot would). */
static void fresh(void)
{
	loader_init(&ldr, &ops, NULL, HIGH_START, HIGH_END, LAYOUT_FSEG, LAYOUT_FSEG_END);
}

static int run(struct blob *bl)
{
	return loader_run(&ldr, bl->b, bl->n * LOADER_ENTRY_SIZE);
}

static void add_file(const char *name, const void *data, uint32_t size, bool writable)
{
	cr_assert_eq(fwcfg_add_file(fw, name, data, size, writable, NULL, NULL), 0);
}

static uint8_t sum8(const uint8_t *p, uint32_t len)
{
	uint8_t s = 0;

	while (len--)
		s = (uint8_t)(s + *p++);
	return s;
}

/* ---- a realistic table set: DSDT + XSDT in tables, RSDP v2, the vmcoreinfo page ---- */

#define DSDT_OFF 0
#define DSDT_LEN 40
#define XSDT_OFF 64
#define XSDT_LEN 44

static void acpi_header(uint8_t *t, const char *sig, uint32_t len)
{
	memcpy(t, sig, 4);
	put_le32(t + 4, len);
	t[8] = 1;
	memcpy(t + 10, "MICROV", 6);
}

static void add_acpi_files(void)
{
	uint8_t tables[XSDT_OFF + XSDT_LEN] = { 0 };
	uint8_t rsdp[36] = { 0 };

	acpi_header(tables + DSDT_OFF, "DSDT", DSDT_LEN);
	acpi_header(tables + XSDT_OFF, "XSDT", XSDT_LEN);
	put_le64(tables + XSDT_OFF + 36, DSDT_OFF); /* offset, patched to an address */
	memcpy(rsdp, "RSD PTR ", 8);
	rsdp[15] = 2;
	put_le32(rsdp + 20, 36);
	put_le64(rsdp + 24, XSDT_OFF);
	add_file("etc/acpi/tables", tables, sizeof(tables), false);
	add_file("etc/acpi/rsdp", rsdp, sizeof(rsdp), false);
	add_file("etc/vmcoreinfo", NULL, 4096, false);
	add_file("etc/vmcoreinfo-addr", NULL, 8, true);
}

static void acpi_blob(struct blob *bl)
{
	b_alloc(bl, "etc/acpi/tables", 64, LOADER_ZONE_HIGH);
	b_alloc(bl, "etc/acpi/rsdp", 16, LOADER_ZONE_FSEG);
	b_alloc(bl, "etc/vmcoreinfo", 4096, LOADER_ZONE_HIGH);
	b_ptr(bl, "etc/acpi/tables", "etc/acpi/tables", XSDT_OFF + 36, 8);
	b_cksum(bl, "etc/acpi/tables", DSDT_OFF + 9, DSDT_OFF, DSDT_LEN);
	b_cksum(bl, "etc/acpi/tables", XSDT_OFF + 9, XSDT_OFF, XSDT_LEN);
	b_ptr(bl, "etc/acpi/rsdp", "etc/acpi/tables", 24, 8);
	b_cksum(bl, "etc/acpi/rsdp", 8, 0, 20);
	b_cksum(bl, "etc/acpi/rsdp", 32, 0, 36);
	b_wptr(bl, "etc/vmcoreinfo-addr", "etc/vmcoreinfo", 0, 40, 8);
}

Test(loader_exec, builds_linked_checksummed_tables)
{
	struct blob bl = { .n = 0 };
	const struct loader_alloc *t, *r, *v;
	uint8_t *tables, *rsdp;

	add_acpi_files();
	acpi_blob(&bl);
	cr_assert_eq(run(&bl), 0, "%s", loader_strerror(ldr.err));
	t = loader_find_alloc(&ldr, "etc/acpi/tables");
	r = loader_find_alloc(&ldr, "etc/acpi/rsdp");
	v = loader_find_alloc(&ldr, "etc/vmcoreinfo");
	cr_assert(t && r && v);
	cr_assert_eq(t->addr, HIGH_START);
	cr_assert_eq(r->addr, LAYOUT_FSEG);
	cr_assert_eq(v->addr, HIGH_START + 4096, "next 4 KiB boundary after the tables");
	tables = ram + t->addr;
	rsdp = ram + r->addr;

	cr_assert_arr_eq(tables + DSDT_OFF, "DSDT", 4);
	cr_assert_eq(get_le64(tables + XSDT_OFF + 36), t->addr + DSDT_OFF);
	cr_assert_eq(sum8(tables + DSDT_OFF, DSDT_LEN), 0);
	cr_assert_eq(sum8(tables + XSDT_OFF, XSDT_LEN), 0);
	cr_assert_eq(get_le64(rsdp + 24), t->addr + XSDT_OFF);
	cr_assert_eq(sum8(rsdp, 20), 0);
	cr_assert_eq(sum8(rsdp, 36), 0);
	cr_assert_eq(loader_find_rsdp(&ldr), LAYOUT_FSEG);
	cr_assert_eq(get_le64(fwcfg_file_data(fw, "etc/vmcoreinfo-addr", NULL)), v->addr + 40);
	cr_assert_eq(nr_skipped, 0);
}

Test(loader_exec, unknown_commands_are_skipped_and_reported)
{
	struct blob bl = { .n = 0 };

	add_acpi_files();
	entry(&bl, 0);
	acpi_blob(&bl);
	entry(&bl, 0x77);
	cr_assert_eq(run(&bl), 0);
	cr_assert_eq(nr_skipped, 2);
	cr_assert_eq(skipped[0], 0);
	cr_assert_eq(skipped[1], 11);
	cr_assert_eq(loader_find_rsdp(&ldr), LAYOUT_FSEG);
}

/* An ACPI table at addr, inside the HIGH zone, with a correct checksum; returns its length. */
static uint32_t check_table(uint64_t addr, const char *sig)
{
	uint32_t len;

	cr_assert(addr >= HIGH_START && addr + 36 <= HIGH_END, "%s at 0x%llx", sig,
		  (unsigned long long)addr);
	cr_assert_arr_eq(ram + addr, sig, 4);
	len = get_le32(ram + addr + 4);
	cr_assert(len >= 36 && addr + len <= HIGH_END);
	cr_assert_eq(sum8(ram + addr, len), 0, "%s checksum", sig);
	return len;
}

/* The real thing: what vmm/acpi_build.c produces, run by the firmware's executor. */
Test(loader_exec, runs_the_acpi_build_output)
{
	struct device devs[1] = { { .ops = &fwcfg_device_ops } };
	struct acpi_build_cfg cfg = {
		.nr_cpus = 2,
		.devices = devs,
		.nr_devices = 1,
		.sleep_control_port = ACPI_PM_SLEEP_CONTROL,
		.sleep_status_port = ACPI_PM_SLEEP_STATUS,
		.reset_port = ACPI_PM_RESET,
		.reset_value = ACPI_PM_RESET_VALUE,
	};
	struct acpi_blobs b;
	struct errbuf err = { { 0 } };
	uint64_t rsdp, xsdt, fadt = 0, dsdt;
	uint32_t xlen, dlen;
	bool madt = false;

	cr_assert_eq(acpi_build(&cfg, &b, &err), 0, "%s", err.msg);
	add_file("etc/acpi/tables", b.tables, (uint32_t)b.tables_len, false);
	add_file("etc/acpi/rsdp", b.rsdp, (uint32_t)b.rsdp_len, false);
	cr_assert_eq(loader_run(&ldr, b.loader, (uint32_t)b.loader_len), 0, "command %u: %s",
		     ldr.err_index, loader_strerror(ldr.err));
	cr_assert_eq(nr_skipped, 0);

	rsdp = loader_find_rsdp(&ldr);
	cr_assert_eq(rsdp, LAYOUT_FSEG);
	xsdt = get_le64(ram + rsdp + 24);
	xlen = check_table(xsdt, "XSDT");
	cr_assert_eq((xlen - 36) % 8, 0);
	for (uint32_t off = 36; off < xlen; off += 8) {
		uint64_t t = get_le64(ram + xsdt + off);
		cr_assert(t >= HIGH_START && t + 4 <= HIGH_END);
		if (memcmp(ram + t, "FACP", 4) == 0)
			fadt = t;
		if (memcmp(ram + t, "APIC", 4) == 0)
			madt = true;
		check_table(t, (const char *)ram + t);
	}
	cr_assert(fadt && madt, "XSDT lists the FADT and the MADT");
	dsdt = get_le64(ram + fadt + 140); /* X_DSDT */
	dlen = check_table(dsdt, "DSDT");
	cr_assert(memmem(ram + dsdt, dlen, "QEMU0002", 8), "the fw_cfg device is in the DSDT");
	acpi_blobs_free(&b);
}

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

Test(loader_exec, refuses_unknown_file)
{
	struct blob bl = { .n = 0 };

	b_alloc(&bl, "etc/none", 64, LOADER_ZONE_HIGH);
	expect_fail(&bl, LOADER_E_NO_FILE, 0, "etc/none");
}

Test(loader_exec, refuses_bad_alignment)
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

Test(loader_exec, refuses_bad_zone)
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

Test(loader_exec, refuses_oversized_and_zone_full)
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

Test(loader_exec, refuses_empty_file_and_too_many)
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

Test(loader_exec, refuses_names_without_nul)
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

Test(loader_exec, refuses_truncated_blob_before_running_anything)
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

Test(loader_exec, refuses_pointers_that_do_not_fit)
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

Test(loader_exec, refuses_pointer_fields_outside_the_file)
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

Test(loader_exec, refuses_use_before_allocate)
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

Test(loader_exec, refuses_checksum_outside_the_file)
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

Test(loader_exec, write_pointer_checks)
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

Test(loader_exec, rsdp_search_checks_both_checksums)
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

static uint32_t rv(unsigned *seed)
{
	uint32_t v = (uint32_t)rand_r(seed) << 1 ^ (uint32_t)rand_r(seed);

	return v % 4 == 0 ? v : (v >> 2) % 80; /* small values mostly, sometimes anything */
}

/* Random commands over real files: never a crash, never a byte outside the zones. */
Test(loader_exec, random_blobs_stay_inside_the_zones)
{
	static const char *names[] = { "etc/acpi/tables", "etc/acpi/tables", "etc/acpi/rsdp",
				       "etc/vmcoreinfo", "etc/vmcoreinfo-addr", "nofile" };
	const unsigned rounds = 400;
	uint8_t *before = malloc(RAM_SIZE);
	unsigned seed = 12345, ok = 0, executed = 0;
	struct blob bl;

	cr_assert(before);
	add_acpi_files();
	for (unsigned i = 0; i < RAM_SIZE; i++)
		ram[i] = (uint8_t)(i * 7);
	memcpy(before, ram, RAM_SIZE);
	for (unsigned iter = 0; iter < rounds; iter++) {
		fresh();
		bl.n = 0;
		/* Usually start from real allocations so later commands get somewhere. */
		if (iter % 4) {
			b_alloc(&bl, "etc/acpi/tables", 64, LOADER_ZONE_HIGH);
			b_alloc(&bl, "etc/acpi/rsdp", 16, LOADER_ZONE_FSEG);
			b_alloc(&bl, "etc/vmcoreinfo", 4096, LOADER_ZONE_HIGH);
		}
		for (unsigned c = 0; c < 1 + iter % 8; c++) {
			/* After the real ALLOCATEs, more of them would only fail. */
			uint32_t cmd = iter % 4 ? 2 + rand_r(&seed) % 4 : 1 + rand_r(&seed) % 5;
			uint8_t *e = entry(&bl, cmd);

			name_at(e + 4, names[rand_r(&seed) % ARRAY_SIZE(names)]);
			if (cmd == LOADER_CMD_ALLOCATE) {
				put_le32(e + LOADER_ALLOC_ALIGN, 1u << rand_r(&seed) % 14);
				e[LOADER_ALLOC_ZONE] = (uint8_t)(rand_r(&seed) % 4);
				continue;
			}
			name_at(e + 60, names[rand_r(&seed) % ARRAY_SIZE(names)]);
			if (cmd == LOADER_CMD_ADD_CHECKSUM) {
				put_le32(e + LOADER_CKSUM_OFFSET, rv(&seed));
				put_le32(e + LOADER_CKSUM_START, rv(&seed));
				put_le32(e + LOADER_CKSUM_LENGTH, rv(&seed));
			} else {
				put_le32(e + 116, rv(&seed));
				put_le32(e + 120, rv(&seed));
				e[cmd == LOADER_CMD_ADD_POINTER ? 120 : 124] = (uint8_t)(rand_r(&seed) % 9);
			}
		}
		if (run(&bl) == 0)
			ok++;
		else
			executed += ldr.err_index;
		cr_assert_eq(memcmp(ram, before, SCRATCH), 0, "low RAM changed");
		cr_assert_eq(memcmp(ram + SCRATCH_END, before + SCRATCH_END, LAYOUT_FSEG - SCRATCH_END),
			     0, "low RAM changed");
		cr_assert_eq(memcmp(ram + LAYOUT_FSEG_END, before + LAYOUT_FSEG_END,
				    HIGH_START - LAYOUT_FSEG_END), 0, "RAM between the zones changed");
	}
	cr_log_info("%u of %u random blobs ran to completion; the others failed after %u commands",
		    ok, rounds, executed);
	cr_assert_gt(ok, rounds / 20, "the generator should produce some valid blobs");
	free(before);
}
