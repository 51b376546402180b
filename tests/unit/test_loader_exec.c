/* SPDX-License-Identifier: MIT */
/*
 * firmware/loader_exec.c on the host. The executor's
 * ops go through the real fw_cfg model and its DMA engine, the way the
 * firmware drives them, so these tests cover both ends of the ABI. Blobs the
 * executor must refuse: test_loader_exec_refusals.c.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/unit/loader_exec_fixture.h"

TestSuite(loader_exec, .init = setup, .fini = teardown);

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
