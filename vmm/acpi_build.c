/* SPDX-License-Identifier: MIT */
/*
 * Machine description -> "etc/acpi/tables", "etc/acpi/rsdp",
 * "etc/table-loader" (DESIGN.md §5 and §8).
 *
 * Blob layout: the SSDTs devices add (in device order, as they are added),
 * then DSDT, FADT, MADT, XSDT. SSDTs go first so a device learns their final
 * offsets, and so its patch points, while its acpi op runs; the DSDT can only
 * be laid out once every device has contributed to it.
 */
#include "vmm/acpi_build.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acpi/aml.h"
#include "acpi/aml_devices.h"
#include "vmm/device.h"
#include "vmm/err.h"
#include "vmm/layout.h"
#include "vmm/util.h"

struct acpi_ctx {
	struct aml_arena *arena;
	struct aml *dsdt; /* DSDT root term list */
	struct aml *sb;	  /* contents of Scope (\_SB) in the DSDT */
	struct acpi_tables tables;
	struct acpi_loader loader;
	struct errbuf *err;
};

/*
 * No legacy devices the OS must probe for: no 8042 (the i8042 model is only
 * its reset line), no VGA, no MSI (no PCI), no CMOS RTC.
 */
#define ACPI_BUILD_IAPC_BOOT_ARCH                                                                  \
	(ACPI_IAPC_VGA_NOT_PRESENT | ACPI_IAPC_MSI_NOT_SUPPORTED | ACPI_IAPC_CMOS_RTC_NOT_PRESENT)

struct aml_arena *acpi_ctx_arena(struct acpi_ctx *ctx)
{
	return ctx->arena;
}

void acpi_ctx_append_sb(struct acpi_ctx *ctx, struct aml *term)
{
	aml_append(ctx->sb, term);
}

void acpi_ctx_append_root(struct acpi_ctx *ctx, struct aml *term)
{
	aml_append(ctx->dsdt, term);
}

static bool acpi_is_ssdt(const struct acpi_table_info *ti)
{
	return !memcmp(ti->signature, "SSDT", 4);
}

int acpi_ctx_add_ssdt(struct acpi_ctx *ctx, const char *oem_table_id, struct aml *body,
		      uint32_t *table_off)
{
	char padded[9];

	snprintf(padded, sizeof(padded), "%-8.8s", oem_table_id);
	for (unsigned i = 0; i < ctx->tables.nr; i++)
		if (acpi_is_ssdt(&ctx->tables.info[i]) &&
		    !strcmp(ctx->tables.info[i].oem_table_id, padded))
			return errf(ctx->err, -EEXIST, "ACPI: two SSDTs with OEM table id \"%s\"",
				    oem_table_id);
	return acpi_add_aml_table(&ctx->tables, "SSDT", oem_table_id, body, table_off, ctx->err);
}

int acpi_ctx_patch_offset(struct acpi_ctx *ctx, uint32_t table_off, const struct aml *body,
			  const char *label, uint32_t *off)
{
	const struct acpi_table_info *ti = NULL;
	uint32_t rel;
	int r;

	for (unsigned i = 0; i < ctx->tables.nr; i++)
		if (ctx->tables.info[i].offset == table_off && acpi_is_ssdt(&ctx->tables.info[i]))
			ti = &ctx->tables.info[i];
	if (!ti)
		return errf(ctx->err, -EINVAL, "ACPI: no SSDT at offset %u", table_off);
	r = aml_mark_offset(body, label, &rel);
	if (r)
		return errf(ctx->err, r, "ACPI: SSDT %s: patch point %s %s", ti->oem_table_id, label,
			    r == -EEXIST ? "is ambiguous" : "not found");
	if (!range_fits((uint64_t)ACPI_HEADER_SIZE + rel, 4, ti->length))
		return errf(ctx->err, -EINVAL, "ACPI: SSDT %s: patch point %s outside the table",
			    ti->oem_table_id, label);
	*off = table_off + ACPI_HEADER_SIZE + rel;
	return 0;
}

int acpi_ctx_allocate(struct acpi_ctx *ctx, const char *file, uint32_t align, enum acpi_loader_zone zone)
{
	return acpi_loader_allocate(&ctx->loader, file, align, zone, ctx->err);
}

int acpi_ctx_add_pointer(struct acpi_ctx *ctx, const char *dest, const char *src, uint32_t offset,
			 uint8_t size)
{
	return acpi_loader_add_pointer(&ctx->loader, dest, src, offset, size, ctx->err);
}

int acpi_ctx_write_pointer(struct acpi_ctx *ctx, const char *dest, const char *src,
			   uint32_t dst_offset, uint32_t src_offset, uint8_t size)
{
	return acpi_loader_write_pointer(&ctx->loader, dest, src, dst_offset, src_offset, size, ctx->err);
}

void acpi_blobs_free(struct acpi_blobs *b)
{
	free(b->tables);
	free(b->rsdp);
	free(b->loader);
	free(b->info);
	memset(b, 0, sizeof(*b));
}

static int acpi_build_devices(struct acpi_ctx *ctx, const struct acpi_build_cfg *cfg)
{
	for (unsigned i = 0; i < cfg->nr_devices; i++) {
		struct device *dev = &cfg->devices[i];
		const char *name = dev->ops && dev->ops->name ? dev->ops->name : "?";
		int r;

		if (!dev->ops || !dev->ops->acpi)
			continue;
		ctx->err->msg[0] = '\0';
		r = dev->ops->acpi(dev, ctx);
		if (!r && aml_arena_error(ctx->arena, NULL))
			r = aml_arena_error(ctx->arena, ctx->err);
		if (r < 0) {
			char msg[sizeof(ctx->err->msg)];

			snprintf(msg, sizeof(msg), "%s", ctx->err->msg[0] ? ctx->err->msg : strerror(-r));
			return errf(ctx->err, r, "device %s: ACPI: %s", name, msg);
		}
	}
	return 0;
}

/* DSDT, FADT, MADT, XSDT after the devices' SSDTs. */
static int acpi_build_core(struct acpi_ctx *ctx, const struct acpi_build_cfg *cfg,
			   uint32_t *xsdt_off)
{
	const struct acpi_fadt_cfg fadt = {
		.sleep_control_port = cfg->sleep_control_port,
		.sleep_status_port = cfg->sleep_status_port,
		.reset_port = cfg->reset_port,
		.reset_value = cfg->reset_value,
		.iapc_boot_arch = ACPI_BUILD_IAPC_BOOT_ARCH,
	};
	const struct acpi_madt_cfg madt = {
		.nr_cpus = cfg->nr_cpus,
		.lapic_addr = (uint32_t)LAYOUT_LAPIC,
		.ioapic_addr = (uint32_t)LAYOUT_IOAPIC,
		.ioapic_id = 0,
	};
	uint32_t dsdt_off, *xsdt = NULL;
	unsigned n = 0;
	int r;

	aml_append(ctx->dsdt, ctx->sb);
	r = aml_arena_error(ctx->arena, ctx->err);
	if (r)
		return r;
	if (aml_mark_count(ctx->dsdt))
		return errf(ctx->err, -EINVAL,
			    "ACPI: patch points are only supported in SSDTs, the DSDT has %u",
			    aml_mark_count(ctx->dsdt));
	r = acpi_add_aml_table(&ctx->tables, "DSDT", NULL, ctx->dsdt, &dsdt_off, ctx->err);
	if (r)
		return r;
	/* XSDT entries: FADT, MADT, then every SSDT (at most all tables so far + 2). */
	xsdt = calloc(ctx->tables.nr + 2, sizeof(*xsdt));
	if (!xsdt)
		return errf(ctx->err, -ENOMEM, "ACPI: out of memory");
	r = acpi_add_fadt(&ctx->tables, &fadt, dsdt_off, &xsdt[n++], ctx->err);
	if (!r)
		r = acpi_add_madt(&ctx->tables, &madt, &xsdt[n++], ctx->err);
	for (unsigned i = 0; !r && i < ctx->tables.nr; i++)
		if (acpi_is_ssdt(&ctx->tables.info[i]))
			xsdt[n++] = ctx->tables.info[i].offset;
	if (!r)
		r = acpi_add_xsdt(&ctx->tables, xsdt, n, xsdt_off, ctx->err);
	free(xsdt);
	return r;
}

static int acpi_build_ctx(struct acpi_ctx *ctx, const struct acpi_build_cfg *cfg)
{
	struct aml_arena *a = ctx->arena;
	int r;

	/* The firmware loads the tables high (below the MMIO hole) and the RSDP in the F segment. */
	if ((r = acpi_loader_allocate(&ctx->loader, ACPI_TABLES_FILE, ACPI_TABLES_ALIGN, ACPI_LOADER_ZONE_HIGH,
				 ctx->err)) ||
	    (r = acpi_loader_allocate(&ctx->loader, ACPI_RSDP_FILE, ACPI_RSDP_ALIGN, ACPI_LOADER_ZONE_FSEG,
				 ctx->err)))
		return r;
	ctx->dsdt = aml_body(a);
	ctx->sb = aml_scope(a, "\\_SB");
	aml_append(ctx->dsdt, acpi_aml_s5(a));
	aml_append(ctx->sb, acpi_aml_cpus(a, cfg->nr_cpus));
	r = aml_arena_error(a, ctx->err);
	if (r)
		return r;
	return acpi_build_devices(ctx, cfg);
}

int acpi_build(const struct acpi_build_cfg *cfg, struct acpi_blobs *out, struct errbuf *e)
{
	struct errbuf local;
	struct acpi_ctx ctx = { .err = e ? e : &local };
	struct abuf rsdp = { 0 };
	uint32_t xsdt_off;
	int r;

	memset(out, 0, sizeof(*out));
	ctx.err->msg[0] = '\0';
	ctx.tables.loader = &ctx.loader;
	if (cfg->nr_cpus < 1 || cfg->nr_cpus > ACPI_MADT_MAX_CPUS) {
		r = errf(ctx.err, -EINVAL, "ACPI: %u vCPUs (1-%u)", cfg->nr_cpus, ACPI_MADT_MAX_CPUS);
		goto out;
	}
	ctx.arena = aml_arena_new();
	if (!ctx.arena) {
		r = errf(ctx.err, -ENOMEM, "ACPI: out of memory");
		goto out;
	}
	r = acpi_build_ctx(&ctx, cfg);
	if (!r)
		r = acpi_build_core(&ctx, cfg, &xsdt_off);
	if (!r)
		r = acpi_build_rsdp(&rsdp, &ctx.loader, xsdt_off, ctx.err);
	if (r)
		goto out;
	if (ctx.tables.blob.oom || rsdp.oom ||
	    acpi_loader_serialize(&ctx.loader, &out->loader, &out->loader_len)) {
		r = errf(ctx.err, -ENOMEM, "ACPI: out of memory");
		goto out;
	}
	out->tables = abuf_take(&ctx.tables.blob, &out->tables_len);
	out->rsdp = abuf_take(&rsdp, &out->rsdp_len);
	out->info = ctx.tables.info;
	out->nr_info = ctx.tables.nr;
	ctx.tables.info = NULL;
out:
	if (r)
		acpi_blobs_free(out);
	abuf_free(&rsdp);
	acpi_tables_free(&ctx.tables);
	acpi_loader_free(&ctx.loader);
	aml_arena_free(ctx.arena);
	return r;
}

/* ---- acpi_build_write_dir ---- */

/* File-name-safe copy of an ACPI id: keeps [A-Za-z0-9_], drops trailing spaces. */
static void acpi_file_id(char *dst, const char *id, size_t n)
{
	size_t len = strnlen(id, n);

	while (len && id[len - 1] == ' ')
		len--;
	for (size_t i = 0; i < len; i++) {
		char c = id[i];
		bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

		dst[i] = ok ? c : '_';
	}
	dst[len] = '\0';
}

static int acpi_write_file(const char *dir, const char *name, const uint8_t *p, size_t len,
			   struct errbuf *e)
{
	char path[4096], tmp[4096 + 16];
	size_t done = 0;
	int fd, r = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return errf(e, -ENAMETOOLONG, "%s: directory name too long", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0)
		return errf(e, -errno, "%s: cannot create a file there: %s", dir, strerror(errno));
	while (done < len) {
		ssize_t n = write(fd, p + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = errf(e, n < 0 ? -errno : -EIO, "%s: write failed: %s", tmp,
				 n < 0 ? strerror(errno) : "short write");
			break;
		}
		done += (size_t)n;
	}
	if (!r && fchmod(fd, 0644) < 0)
		r = errf(e, -errno, "%s: chmod: %s", tmp, strerror(errno));
	if (close(fd) < 0 && !r)
		r = errf(e, -errno, "%s: close: %s", tmp, strerror(errno));
	if (!r && rename(tmp, path) < 0)
		r = errf(e, -errno, "%s: rename to %s: %s", tmp, path, strerror(errno));
	if (r)
		unlink(tmp);
	return r;
}

int acpi_build_write_dir(const struct acpi_blobs *b, const char *dir, struct errbuf *e)
{
	char name[32], sig[5], id[9];
	int r;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return errf(e, -errno, "%s: cannot create directory: %s", dir, strerror(errno));
	for (unsigned i = 0; i < b->nr_info; i++) {
		const struct acpi_table_info *ti = &b->info[i];

		if (!range_fits(ti->offset, ti->length, b->tables_len))
			return errf(e, -EINVAL, "ACPI: table %s outside the tables blob",
				    ti->signature);
		acpi_file_id(sig, ti->signature, 4);
		acpi_file_id(id, ti->oem_table_id, 8);
		if (acpi_is_ssdt(ti))
			snprintf(name, sizeof(name), "%s-%s.dat", sig, id);
		else
			snprintf(name, sizeof(name), "%s.dat", sig);
		r = acpi_write_file(dir, name, b->tables + ti->offset, ti->length, e);
		if (r)
			return r;
	}
	r = acpi_write_file(dir, "table-loader.bin", b->loader, b->loader_len, e);
	return r ? r : acpi_write_file(dir, "rsdp.bin", b->rsdp, b->rsdp_len, e);
}
