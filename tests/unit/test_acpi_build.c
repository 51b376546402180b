/* SPDX-License-Identifier: MIT */
/*
 * vmm/acpi_build.c end to end: a machine of stand-in devices contributes
 * AML, an SSDT with a patch point and loader commands; the blobs are then
 * run through the firmware's own linker/loader executor
 * (firmware/loader_exec.c) over a fake RAM, and the linked result is
 * checked the way a guest OS would walk it: RSDP -> XSDT -> tables, every
 * checksum valid, X_DSDT to the DSDT, the vmcoreinfo pointers in place.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acpi/aml.h"
#include "acpi/aml_devices.h"
#include "acpi/tables.h"
#include "firmware/loader_exec.h"
#include "vmm/acpi_build.h"
#include "vmm/device.h"
#include "vmm/err.h"
#include "vmm/layout.h"
#include "vmm/util.h"

#define RAM_SIZE (2 * MiB)
#define HIGH_START 0x180000
#define HIGH_END 0x200000

/* ---- stand-in devices: what serial, fw_cfg, pvpanic and vmcoreinfo contribute ---- */

static int serial_acpi(struct device *dev, struct acpi_ctx *ctx)
{
	acpi_ctx_append_sb(ctx, acpi_aml_serial(acpi_ctx_arena(ctx), 0, 0x3F8, 4));
	return 0;
}

static int fwcfg_acpi(struct device *dev, struct acpi_ctx *ctx)
{
	acpi_ctx_append_sb(ctx, acpi_aml_fwcfg(acpi_ctx_arena(ctx), 0x510, 0x0C));
	return 0;
}

static int pvpanic_acpi(struct device *dev, struct acpi_ctx *ctx)
{
	acpi_ctx_append_sb(ctx, acpi_aml_pvpanic(acpi_ctx_arena(ctx), 0x505));
	return 0;
}

/* DESIGN.md §6, exactly as the vmcoreinfo device is expected to do it. */
static int vmcoreinfo_acpi(struct device *dev, struct acpi_ctx *ctx)
{
	struct aml *body = acpi_aml_vmcoreinfo(acpi_ctx_arena(ctx));
	uint32_t table, vcia;
	int r;

	if ((r = acpi_ctx_add_ssdt(ctx, ACPI_VMCOREINFO_OEM_TABLE_ID, body, &table)) ||
	    (r = acpi_ctx_patch_offset(ctx, table, body, ACPI_VMCOREINFO_LABEL, &vcia)) ||
	    (r = acpi_ctx_allocate(ctx, "etc/vmcoreinfo", 4096, ACPI_LOADER_ZONE_HIGH)) ||
	    (r = acpi_ctx_add_pointer(ctx, ACPI_TABLES_FILE, "etc/vmcoreinfo", vcia, 4)) ||
	    (r = acpi_ctx_write_pointer(ctx, "etc/vmcoreinfo-addr", "etc/vmcoreinfo", 0,
					ACPI_VMCOREINFO_ADDR_OFFSET, 8)))
		return r;
	return 0;
}

static const struct device_ops serial_ops = { .name = "serial", .acpi = serial_acpi };
static const struct device_ops fwcfg_ops = { .name = "fw_cfg", .acpi = fwcfg_acpi };
static const struct device_ops pvpanic_ops = { .name = "pvpanic", .acpi = pvpanic_acpi };
static const struct device_ops vmcoreinfo_ops = { .name = "vmcoreinfo", .acpi = vmcoreinfo_acpi };
static const struct device_ops plain_ops = { .name = "debug-exit" }; /* no acpi op */

static struct device machine[] = {
	{ .ops = &fwcfg_ops }, { .ops = &plain_ops },	{ .ops = &serial_ops },
	{ .ops = &pvpanic_ops }, { .ops = &vmcoreinfo_ops },
};

static struct acpi_build_cfg config(unsigned nr_cpus, struct device *devs, unsigned n)
{
	return (struct acpi_build_cfg){
		.nr_cpus = nr_cpus,
		.devices = devs,
		.nr_devices = n,
		.sleep_control_port = 0x600,
		.sleep_status_port = 0x601,
		.reset_port = 0x604,
		.reset_value = 0x42,
	};
}

/* ---- a fake firmware environment for the executor ---- */

struct fake_file {
	const char *name;
	uint8_t *data;
	uint32_t size;
	bool writable;
};

struct fake_env {
	uint8_t *ram;
	struct fake_file files[8];
	unsigned nr;
};

static int env_find(void *ctx, const char *name, uint16_t *key, uint32_t *size)
{
	struct fake_env *env = ctx;

	for (unsigned i = 0; i < env->nr; i++) {
		if (!strcmp(env->files[i].name, name)) {
			*key = (uint16_t)(0x20 + i);
			*size = env->files[i].size;
			return 0;
		}
	}
	return -1;
}

static int env_load(void *ctx, uint16_t key, uint64_t addr, uint32_t size)
{
	struct fake_env *env = ctx;
	struct fake_file *f = &env->files[key - 0x20];

	cr_assert(addr + size <= RAM_SIZE);
	memcpy(env->ram + addr, f->data, size);
	return 0;
}

static int env_write(void *ctx, uint16_t key, uint32_t offset, const void *src, uint32_t len)
{
	struct fake_env *env = ctx;
	struct fake_file *f = &env->files[key - 0x20];

	if (!f->writable || !range_fits(offset, len, f->size))
		return -1;
	memcpy(f->data + offset, src, len);
	return 0;
}

static void *env_mem(void *ctx, uint64_t addr, uint64_t len)
{
	struct fake_env *env = ctx;

	return range_fits(addr, len, RAM_SIZE) ? env->ram + addr : NULL;
}

static const struct loader_ops env_ops = {
	.find = env_find, .load = env_load, .write = env_write, .mem = env_mem
};

static struct acpi_blobs blobs;
static struct fake_env env;
static struct loader ldr;
static uint8_t vmci_page[4096], vmci_addr[8];

static void add_file(const char *name, uint8_t *data, size_t size, bool writable)
{
	env.files[env.nr++] = (struct fake_file){ name, data, (uint32_t)size, writable };
}

static void teardown(void)
{
	acpi_blobs_free(&blobs);
	free(env.ram);
	memset(&env, 0, sizeof(env));
}

TestSuite(acpi_build, .fini = teardown);

/* Build, then link as the firmware would. */
static void build_and_link(unsigned nr_cpus, struct device *devs, unsigned n)
{
	struct acpi_build_cfg cfg = config(nr_cpus, devs, n);
	struct errbuf e;
	int r;

	cr_assert_eq(acpi_build(&cfg, &blobs, &e), 0, "%s", e.msg);
	env.ram = calloc(1, RAM_SIZE);
	cr_assert(env.ram);
	add_file(ACPI_TABLES_FILE, blobs.tables, blobs.tables_len, false);
	add_file(ACPI_RSDP_FILE, blobs.rsdp, blobs.rsdp_len, false);
	add_file("etc/vmcoreinfo", vmci_page, sizeof(vmci_page), false);
	memset(vmci_addr, 0, sizeof(vmci_addr));
	add_file("etc/vmcoreinfo-addr", vmci_addr, sizeof(vmci_addr), true);
	loader_init(&ldr, &env_ops, &env, HIGH_START, HIGH_END, LAYOUT_FSEG, LAYOUT_FSEG_END);
	r = loader_run(&ldr, blobs.loader, (uint32_t)blobs.loader_len);
	cr_assert_eq(r, 0, "loader: %s at command %u (%s)", loader_strerror(ldr.err),
		     ldr.err_index, ldr.err_name ? ldr.err_name : "-");
}

/* A linked table at guest address gpa: its signature, a valid checksum; returns it. */
static const uint8_t *table_at(uint64_t gpa, const char *sig)
{
	const uint8_t *p = env.ram + gpa;
	uint32_t len;

	cr_assert(gpa >= HIGH_START && gpa + 36 <= HIGH_END, "%s at 0x%llx", sig,
		  (unsigned long long)gpa);
	len = get_le32(p + 4);
	cr_assert(gpa + len <= HIGH_END);
	cr_assert_eq(memcmp(p, sig, 4), 0, "want %s, found %.4s", sig, (const char *)p);
	cr_assert_eq(acpi_checksum(p, len), 0, "%s checksum", sig);
	return p;
}

Test(acpi_build, linked_tables_walk_from_the_rsdp)
{
	const uint8_t *rsdp, *xsdt, *fadt, *dsdt, *madt = NULL, *ssdt = NULL;
	const struct loader_alloc *vmci;
	uint64_t rsdp_gpa;
	unsigned n;

	build_and_link(2, machine, ARRAY_SIZE(machine));
	rsdp_gpa = loader_find_rsdp(&ldr);
	cr_assert(rsdp_gpa >= LAYOUT_FSEG && rsdp_gpa < LAYOUT_FSEG_END, "RSDP in the F segment");
	cr_assert_eq(rsdp_gpa % 16, 0);
	rsdp = env.ram + rsdp_gpa;
	cr_assert_eq(acpi_checksum(rsdp, 20), 0);
	cr_assert_eq(acpi_checksum(rsdp, 36), 0);
	cr_assert_eq(loader_find_alloc(&ldr, ACPI_TABLES_FILE)->addr % 64, 0);

	xsdt = table_at(get_le64(rsdp + 24), "XSDT");
	n = (get_le32(xsdt + 4) - 36) / 8;
	cr_assert_eq(n, 3, "FADT, MADT, one SSDT");
	fadt = table_at(get_le64(xsdt + 36), "FACP");
	for (unsigned i = 1; i < n; i++) {
		uint64_t gpa = get_le64(xsdt + 36 + 8 * i);

		if (!memcmp(env.ram + gpa, "APIC", 4))
			madt = table_at(gpa, "APIC");
		else
			ssdt = table_at(gpa, "SSDT");
	}
	cr_assert(madt && ssdt);
	dsdt = table_at(get_le64(fadt + 140), "DSDT");
	cr_assert_eq(get_le32(fadt + 40), 0);
	cr_assert_eq(get_le32(madt + 4), 36 + 8 + 2 * 8 + 12 + 10 + 6);

	/* The DSDT holds every device's AML, the CPUs and _S5. */
	for (const char *const *s = (const char *const[]){ "COM1", "FWCF", "PEVT", "_S5_", "C000",
							  "C001", NULL };
	     *s; s++)
		cr_assert(memmem(dsdt, get_le32(dsdt + 4), *s, 4), "DSDT lacks %s", *s);
	cr_assert_null(memmem(dsdt, get_le32(dsdt + 4), "C002", 4));

	/* vmcoreinfo: VCIA holds the page address, etc/vmcoreinfo-addr the page + 40. */
	vmci = loader_find_alloc(&ldr, "etc/vmcoreinfo");
	cr_assert(vmci);
	cr_assert_eq(vmci->addr % 4096, 0);
	{
		const uint8_t *vcia = memmem(ssdt, get_le32(ssdt + 4), "VCIA\x0c", 5);

		cr_assert(vcia);
		cr_assert_eq(get_le32(vcia + 5), vmci->addr);
	}
	cr_assert_eq(get_le64(vmci_addr), vmci->addr + 40);
	cr_assert(memmem(ssdt, get_le32(ssdt + 4), "QEMUVMCI", 8));
	cr_assert_eq(memcmp(ssdt + 16, "VMCOREIN", 8), 0);
}

Test(acpi_build, blob_layout_and_table_list)
{
	static const char *const sig[] = { "SSDT", "DSDT", "FACP", "APIC", "XSDT" };
	uint32_t end = 0;

	build_and_link(1, machine, ARRAY_SIZE(machine));
	cr_assert_eq(blobs.nr_info, 5);
	for (unsigned i = 0; i < 5; i++) {
		const struct acpi_table_info *ti = &blobs.info[i];

		cr_assert_str_eq(ti->signature, sig[i]);
		cr_assert_eq(ti->offset, end, "tables are back to back");
		cr_assert_eq(get_le32(blobs.tables + ti->offset + 4), ti->length);
		cr_assert_eq(blobs.tables[ti->offset + 9], 0, "pre-link checksum is 0");
		end += ti->length;
	}
	cr_assert_eq(end, blobs.tables_len);
	cr_assert_str_eq(blobs.info[0].oem_table_id, "VMCOREIN");
	cr_assert_str_eq(blobs.info[1].oem_table_id, "MICROVM ");
	cr_assert_eq(blobs.rsdp_len, 36);
	cr_assert_eq(blobs.loader_len % 128, 0);
	/* Three ALLOCATEs first: tables, rsdp, then the device's page. */
	cr_assert_eq(get_le32(blobs.loader), 1);
	cr_assert_str_eq((const char *)blobs.loader + 4, ACPI_TABLES_FILE);
	cr_assert_eq(get_le32(blobs.loader + 60), 64);
	cr_assert_eq(blobs.loader[64], 1);
	cr_assert_eq(get_le32(blobs.loader + 128), 1);
	cr_assert_str_eq((const char *)blobs.loader + 128 + 4, ACPI_RSDP_FILE);
	cr_assert_eq(get_le32(blobs.loader + 128 + 60), 16);
	cr_assert_eq(blobs.loader[128 + 64], 2);
	cr_assert_eq(get_le32(blobs.loader + 256), 1);
	for (size_t off = 384; off < blobs.loader_len; off += 128)
		cr_assert_neq(get_le32(blobs.loader + off), 1, "ALLOCATE after other commands");
}

Test(acpi_build, minimal_machine_without_devices)
{
	build_and_link(1, NULL, 0);
	cr_assert_eq(blobs.nr_info, 4, "DSDT, FADT, MADT, XSDT");
	cr_assert_eq(get_le64(env.ram + loader_find_rsdp(&ldr) + 24) % 1, 0);
}

Test(acpi_build, many_cpus)
{
	const uint8_t *madt;

	build_and_link(254, machine, 1);
	madt = blobs.tables + blobs.info[2].offset;
	cr_assert_eq(memcmp(madt, "APIC", 4), 0);
	cr_assert_eq(get_le32(madt + 4), 36 + 8 + 254 * 8 + 12 + 10 + 6);
	cr_assert(memmem(blobs.tables + blobs.info[0].offset, blobs.info[0].length, "C0FD", 4));
}

static int failing_acpi(struct device *dev, struct acpi_ctx *ctx)
{
	return -EIO;
}

static int bad_aml_acpi(struct device *dev, struct acpi_ctx *ctx)
{
	acpi_ctx_append_sb(ctx, aml_device(acpi_ctx_arena(ctx), "bad"));
	return 0;
}

static int dsdt_patch_acpi(struct device *dev, struct acpi_ctx *ctx)
{
	struct aml_arena *a = acpi_ctx_arena(ctx);

	acpi_ctx_append_root(ctx, aml_name_decl(a, "PTCH", aml_patch_dword(a, 0, "PTCH")));
	return 0;
}

static int bad_loader_acpi(struct device *dev, struct acpi_ctx *ctx)
{
	return acpi_ctx_allocate(ctx, "etc/x", 3, ACPI_LOADER_ZONE_HIGH);
}

static void expect_build_error(const struct device_ops *ops, int code, const char *part)
{
	struct device devs[] = { { .ops = &serial_ops }, { .ops = ops } };
	struct acpi_build_cfg cfg = config(1, devs, 2);
	struct errbuf e;

	cr_assert_eq(acpi_build(&cfg, &blobs, &e), code, "%s", e.msg);
	cr_assert(strstr(e.msg, part), "message \"%s\" lacks \"%s\"", e.msg, part);
	cr_assert_null(blobs.tables);
	cr_assert_null(blobs.loader);
	cr_assert_eq(blobs.nr_info, 0);
}

Test(acpi_build, device_errors_name_the_device)
{
	static const struct device_ops failing = { .name = "broken", .acpi = failing_acpi };
	static const struct device_ops bad_aml = { .name = "badaml", .acpi = bad_aml_acpi };
	static const struct device_ops bad_loader = { .name = "badldr", .acpi = bad_loader_acpi };

	expect_build_error(&failing, -EIO, "device broken: ACPI: ");
	expect_build_error(&bad_aml, -EINVAL, "device badaml: ACPI: AML: bad name \"bad\"");
	expect_build_error(&bad_loader, -EINVAL, "device badldr: ACPI: table-loader: ALLOCATE etc/x");
}

Test(acpi_build, patch_points_only_in_ssdts)
{
	static const struct device_ops ops = { .name = "p", .acpi = dsdt_patch_acpi };

	expect_build_error(&ops, -EINVAL, "only supported in SSDTs");
}

Test(acpi_build, duplicate_ssdt_ids_are_refused)
{
	struct device devs[] = { { .ops = &vmcoreinfo_ops }, { .ops = &vmcoreinfo_ops } };
	struct acpi_build_cfg cfg = config(1, devs, 2);
	struct errbuf e;

	cr_assert_eq(acpi_build(&cfg, &blobs, &e), -EEXIST);
	cr_assert(strstr(e.msg, "two SSDTs with OEM table id \"VMCOREIN\""), "%s", e.msg);
}

Test(acpi_build, cpu_count_is_checked)
{
	struct acpi_build_cfg cfg = config(0, NULL, 0);
	struct errbuf e;

	cr_assert_eq(acpi_build(&cfg, &blobs, &e), -EINVAL);
	cfg.nr_cpus = 256;
	cr_assert_eq(acpi_build(&cfg, &blobs, &e), -EINVAL);
	cr_assert(strstr(e.msg, "256 vCPUs"), "%s", e.msg);
}

static void expect_file(const char *dir, const char *name, const uint8_t *data, size_t len)
{
	char path[512];
	uint8_t buf[8192];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	cr_assert(f, "%s missing", path);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	cr_assert_eq(n, len, "%s: %zu bytes, want %zu", name, n, len);
	cr_assert_eq(memcmp(buf, data, len), 0, "%s differs", name);
	unlink(path);
}

Test(acpi_build, write_dir_one_file_per_table)
{
	char dir[] = "/tmp/microvm-acpi-XXXXXX", sub[64];
	struct errbuf e;
	struct dirent *d;
	DIR *dh;

	build_and_link(2, machine, ARRAY_SIZE(machine));
	cr_assert(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/out", dir);
	cr_assert_eq(acpi_build_write_dir(&blobs, sub, &e), 0, "%s", e.msg);
	cr_assert_eq(acpi_build_write_dir(&blobs, sub, &e), 0, "rewriting replaces the files");
	expect_file(sub, "SSDT-VMCOREIN.dat", blobs.tables + blobs.info[0].offset,
		    blobs.info[0].length);
	expect_file(sub, "DSDT.dat", blobs.tables + blobs.info[1].offset, blobs.info[1].length);
	expect_file(sub, "FACP.dat", blobs.tables + blobs.info[2].offset, blobs.info[2].length);
	expect_file(sub, "APIC.dat", blobs.tables + blobs.info[3].offset, blobs.info[3].length);
	expect_file(sub, "XSDT.dat", blobs.tables + blobs.info[4].offset, blobs.info[4].length);
	expect_file(sub, "table-loader.bin", blobs.loader, blobs.loader_len);
	expect_file(sub, "rsdp.bin", blobs.rsdp, blobs.rsdp_len);
	dh = opendir(sub);
	cr_assert(dh);
	while ((d = readdir(dh)))
		cr_assert(d->d_name[0] == '.', "leftover file %s", d->d_name);
	closedir(dh);
	cr_assert_eq(rmdir(sub), 0);

	/* A path that cannot be a directory is reported, not crashed on. */
	snprintf(sub, sizeof(sub), "%s/missing/deeper", dir);
	cr_assert_lt(acpi_build_write_dir(&blobs, sub, &e), 0);
	cr_assert(strstr(e.msg, "cannot create directory"), "%s", e.msg);
	cr_assert_eq(rmdir(dir), 0);
}
