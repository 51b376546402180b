/* SPDX-License-Identifier: MIT */
/*
 * Turns the machine (vCPU count, ordered device table, ACPI PM ports) into
 * the three fw_cfg blobs of QEMU's ACPI guest ABI:
 *
 *   "etc/acpi/tables"   SSDTs of devices, DSDT, FADT, MADT, XSDT (pre-link)
 *   "etc/acpi/rsdp"     the RSDP
 *   "etc/table-loader"  the linker/loader commands the firmware executes
 *
 * Devices contribute through their `acpi` op, which receives a struct
 * acpi_ctx: AML for the DSDT (in \_SB or at the root), SSDTs of their own
 * with patch points, and extra loader commands.
 */
#ifndef MICROVM_ACPI_BUILD_H
#define MICROVM_ACPI_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "acpi/loader.h"
#include "acpi/tables.h"

struct aml;
struct aml_arena;
struct device;
struct errbuf;

struct acpi_build_cfg {
	unsigned nr_cpus;
	struct device *devices; /* the machine table, in order; ops->acpi called when set */
	unsigned nr_devices;
	/* Hardware-reduced power registers (devices/acpi_pm.h). */
	uint16_t sleep_control_port;
	uint16_t sleep_status_port;
	uint16_t reset_port;
	uint8_t reset_value;
};

struct acpi_blobs {
	uint8_t *tables; /* "etc/acpi/tables" */
	size_t tables_len;
	uint8_t *rsdp; /* "etc/acpi/rsdp" */
	size_t rsdp_len;
	uint8_t *loader; /* "etc/table-loader" */
	size_t loader_len;
	struct acpi_table_info *info; /* every table inside tables, in blob order */
	unsigned nr_info;
};

/* Build all three blobs. 0, or -errno with a message in e (out is then empty). */
int acpi_build(const struct acpi_build_cfg *cfg, struct acpi_blobs *out, struct errbuf *e);
void acpi_blobs_free(struct acpi_blobs *b);

/*
 * Write DIR/<SIGNATURE>[-<OEM table id>].dat for each table (the id suffix
 * for SSDTs only, trailing spaces dropped), exactly as the firmware receives
 * them (offsets in pointer fields, zero checksums), and DIR/table-loader.bin
 * and DIR/rsdp.bin. DIR is created if missing; each file is written to a
 * temporary name and renamed.
 */
int acpi_build_write_dir(const struct acpi_blobs *b, const char *dir, struct errbuf *e);

/* ---- for devices' acpi ops ---- */

/* Opaque: what a device's acpi op receives (forward-declared in vmm/device.h). */
struct acpi_ctx;

/* The arena every AML node of this build must come from. */
struct aml_arena *acpi_ctx_arena(struct acpi_ctx *ctx);
/* Append a term (normally a Device) to the DSDT's \_SB scope, or to the DSDT root. */
void acpi_ctx_append_sb(struct acpi_ctx *ctx, struct aml *term);
void acpi_ctx_append_root(struct acpi_ctx *ctx, struct aml *term);

/*
 * Add an SSDT whose definition block is body (1-8 character OEM table id,
 * unique among SSDTs). *table_off receives its offset in "etc/acpi/tables".
 */
int acpi_ctx_add_ssdt(struct acpi_ctx *ctx, const char *oem_table_id, struct aml *body,
		      uint32_t *table_off);
/*
 * Offset inside "etc/acpi/tables" of the patch point `label` of body, an SSDT
 * added at table_off: what an ADD_POINTER into the table needs.
 */
int acpi_ctx_patch_offset(struct acpi_ctx *ctx, uint32_t table_off, const struct aml *body,
			  const char *label, uint32_t *off);

/* Extra loader commands (acpi/loader.h); they are ordered ALLOCATEs first in the blob. */
int acpi_ctx_allocate(struct acpi_ctx *ctx, const char *file, uint32_t align,
		      enum acpi_loader_zone zone);
int acpi_ctx_add_pointer(struct acpi_ctx *ctx, const char *dest, const char *src,
			 uint32_t offset, uint8_t size);
int acpi_ctx_write_pointer(struct acpi_ctx *ctx, const char *dest, const char *src,
			   uint32_t dst_offset, uint32_t src_offset, uint8_t size);

#endif
