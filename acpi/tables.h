/* SPDX-License-Identifier: MIT */
/*
 * ACPI table builders (ACPI 6.4 chapter 5). Tables are appended to one blob,
 * the fw_cfg file "etc/acpi/tables"; every pointer between tables and every
 * checksum is left to the firmware as a linker/loader command:
 *
 *   - a pointer field holds the target's offset inside its fw_cfg file and
 *     gets an ADD_POINTER (the firmware adds the file's guest address);
 *   - a checksum byte is zero and gets an ADD_CHECKSUM.
 *
 * So the blobs are the same for every boot and guest address, and nothing
 * here knows where the firmware will put them.
 */
#ifndef MICROVM_ACPI_TABLES_H
#define MICROVM_ACPI_TABLES_H

#include <stdint.h>

#include "acpi/abuf.h"

struct aml;
struct errbuf;
struct acpi_loader;

#define ACPI_TABLES_FILE "etc/acpi/tables"
#define ACPI_RSDP_FILE "etc/acpi/rsdp"
#define ACPI_LOADER_FILE "etc/table-loader"
#define ACPI_TABLES_ALIGN 64
#define ACPI_RSDP_ALIGN 16

/* §5.2.6 System Description Table Header. */
#define ACPI_HEADER_SIZE 36
#define ACPI_HDR_LENGTH 4
#define ACPI_HDR_CHECKSUM 9
#define ACPI_HDR_OEM_TABLE_ID 16
#define ACPI_OEM_ID "MICROV"	 /* 6 characters */
#define ACPI_OEM_TABLE_ID "MICROVM" /* padded with spaces to 8 */
#define ACPI_CREATOR_ID "MVMM"
#define ACPI_OEM_REVISION 1
#define ACPI_CREATOR_REVISION 1

/* §5.2.5.3 RSDP (revision 2): 36 bytes. */
#define ACPI_RSDP_SIZE 36
#define ACPI_RSDP_CHECKSUM 8
#define ACPI_RSDP_XSDT 24
#define ACPI_RSDP_EXT_CHECKSUM 32

/* §5.2.9 FADT, revision 6: field offsets this code fills. */
#define ACPI_FADT_SIZE 276
#define ACPI_FADT_REVISION 6
#define ACPI_FADT_DSDT 40
#define ACPI_FADT_SCI_INT 46
#define ACPI_FADT_IAPC_BOOT_ARCH 109
#define ACPI_FADT_FLAGS 112
#define ACPI_FADT_RESET_REG 116
#define ACPI_FADT_RESET_VALUE 128
#define ACPI_FADT_MINOR_VERSION 131
#define ACPI_FADT_X_DSDT 140
#define ACPI_FADT_SLEEP_CONTROL_REG 244
#define ACPI_FADT_SLEEP_STATUS_REG 256
#define ACPI_FADT_HYPERVISOR_ID 268

/* §5.2.9 Table 5.10 FADT flags. */
#define ACPI_FADT_F_RESET_REG_SUP (1u << 10)
#define ACPI_FADT_F_HW_REDUCED_ACPI (1u << 20)

/* §5.2.9.3 IA-PC Boot Architecture Flags. */
#define ACPI_IAPC_LEGACY_DEVICES (1u << 0)
#define ACPI_IAPC_8042 (1u << 1)
#define ACPI_IAPC_VGA_NOT_PRESENT (1u << 2)
#define ACPI_IAPC_MSI_NOT_SUPPORTED (1u << 3)
#define ACPI_IAPC_CMOS_RTC_NOT_PRESENT (1u << 5)

/* §5.2.3.2 Generic Address Structure. */
#define ACPI_GAS_SIZE 12
#define ACPI_GAS_SYSTEM_IO 1
#define ACPI_GAS_ACCESS_BYTE 1

/* §5.2.12 MADT. */
#define ACPI_MADT_PCAT_COMPAT (1u << 0)
#define ACPI_MADT_LAPIC 0
#define ACPI_MADT_IOAPIC 1
#define ACPI_MADT_ISO 2
#define ACPI_MADT_LAPIC_NMI 4
#define ACPI_MADT_MAX_CPUS 254 /* xAPIC IDs 0..254: 0xFF is the broadcast ID and LAPIC_NMI's "all processors" UID */

/* One table inside "etc/acpi/tables". */
struct acpi_table_info {
	char signature[5];
	char oem_table_id[9]; /* as in the header, trailing spaces kept */
	uint32_t offset;
	uint32_t length;
};

/* "etc/acpi/tables" under construction. Zero-initialise, set loader. */
struct acpi_tables {
	struct abuf blob;
	struct acpi_table_info *info;
	unsigned nr, cap;
	struct acpi_loader *loader; /* receives the ADD_POINTER and ADD_CHECKSUM commands */
};

void acpi_tables_free(struct acpi_tables *t);

/*
 * Start a table: appends a header with this signature, revision and OEM table
 * id (1-8 characters, NULL for ACPI_OEM_TABLE_ID), length and checksum zero.
 * *off receives the table's offset.
 */
int acpi_table_begin(struct acpi_tables *t, const char *signature, uint8_t revision,
		     const char *oem_table_id, uint32_t *off, struct errbuf *e);
/* Finish the table begun at off: fill its length, record it, add its ADD_CHECKSUM. */
int acpi_table_end(struct acpi_tables *t, uint32_t off, struct errbuf *e);
/*
 * Make the size-byte field at field_off (absolute in the blob) point to
 * target_off in the same blob: store target_off there and add an ADD_POINTER.
 */
int acpi_table_link(struct acpi_tables *t, uint32_t field_off, uint8_t size, uint32_t target_off,
		    struct errbuf *e);

/* A DSDT or SSDT (revision 2: 64-bit integers) whose definition block is body's encoding. */
int acpi_add_aml_table(struct acpi_tables *t, const char *signature, const char *oem_table_id,
		       struct aml *body, uint32_t *off, struct errbuf *e);

struct acpi_fadt_cfg {
	uint16_t sleep_control_port; /* SLEEP_CONTROL_REG, SystemIO, 8 bits */
	uint16_t sleep_status_port;  /* SLEEP_STATUS_REG, SystemIO, 8 bits */
	uint16_t reset_port;	     /* RESET_REG, SystemIO, 8 bits */
	uint8_t reset_value;
	uint16_t iapc_boot_arch;     /* ACPI_IAPC_* */
};
/* Hardware-reduced FADT revision 6 with X_DSDT linked to the DSDT at dsdt_off. */
int acpi_add_fadt(struct acpi_tables *t, const struct acpi_fadt_cfg *cfg, uint32_t dsdt_off,
		  uint32_t *off, struct errbuf *e);

struct acpi_madt_cfg {
	unsigned nr_cpus; /* Processor Local APIC entries, APIC ID = UID = index */
	uint32_t lapic_addr;
	uint32_t ioapic_addr;
	uint8_t ioapic_id;
};
int acpi_add_madt(struct acpi_tables *t, const struct acpi_madt_cfg *cfg, uint32_t *off,
		  struct errbuf *e);

/* XSDT listing the tables at offs[0..n) (not the DSDT: the FADT points to it). */
int acpi_add_xsdt(struct acpi_tables *t, const uint32_t *offs, unsigned n, uint32_t *off,
		  struct errbuf *e);

/*
 * The RSDP (revision 2) into rsdp, which must be empty (it is the whole of
 * ACPI_RSDP_FILE), pointing to the XSDT at xsdt_off of ACPI_TABLES_FILE; adds its ADD_POINTER and both ADD_CHECKSUMs to l.
 */
int acpi_build_rsdp(struct abuf *rsdp, struct acpi_loader *l, uint32_t xsdt_off, struct errbuf *e);

/* 8-bit sum of p[0..len) (a correct table sums to 0). */
uint8_t acpi_checksum(const uint8_t *p, size_t len);

#endif
