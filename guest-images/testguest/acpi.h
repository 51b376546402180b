/* SPDX-License-Identifier: MIT */
/* Just enough ACPI to find tables: RSDP -> XSDT/RSDT -> table by signature. */
#ifndef TESTGUEST_ACPI_H
#define TESTGUEST_ACPI_H

#include <stdint.h>

#include "guest-images/testguest/boot.h"

/* The RSDP the loader gave, else one found in 0xE0000-0xFFFFF; 0 if none.
 * Checksums (ACPI 6.4 §5.2.5.3) are verified. */
uint64_t acpi_find_rsdp(const struct boot_info *bi);

/* Physical address of the first table with `sig` (4 chars) whose checksum
 * holds, or 0. */
uint64_t acpi_find_table(uint64_t rsdp, const char *sig);

/* Table layouts (ACPI 6.4 §5.2): byte offsets. */
#define ACPI_HDR_LEN 36
#define ACPI_HDR_REVISION 8
#define ACPI_HDR_OEM_ID 10
#define ACPI_HDR_OEM_TABLE_ID 16
#define RSDP_REVISION 15
#define RSDP_RSDT 16
#define RSDP_LENGTH 20
#define RSDP_XSDT 24
#define FADT_DSDT 40
#define FADT_FLAGS 112
#define FADT_RESET_REG 116
#define FADT_RESET_VALUE 128
#define FADT_X_DSDT 140
#define FADT_SLEEP_CONTROL_REG 244
#define FADT_SLEEP_STATUS_REG 256
#define FADT_MIN_LEN 268 /* through SLEEP_STATUS_REG (FADT 5.0) */
#define FADT_F_RESET_REG_SUP (1u << 10)
#define FADT_F_HW_REDUCED_ACPI (1u << 20)
#define MADT_LAPIC_ADDR 36
#define MADT_ENTRIES 44
#define MADT_T_LAPIC 0
#define MADT_T_IOAPIC 1
#define MADT_T_ISO 2
#define MADT_T_X2APIC 9
#define ACPI_SLP_EN 0x20 /* sleep control register (§4.8.3.7) */
#define ACPI_SLP_TYP_SHIFT 2

/* The RSDP found by scanning 0xE0000-0xFFFFF on 16-byte boundaries (valid
 * checksums), ignoring what the loader said; 0 if none. */
uint64_t acpi_scan_fseg(void);

/* 1 if an RSDP with valid checksums (v1, and v2's extended one) is at addr. */
int acpi_rsdp_valid(uint64_t addr);

/* 1 if a table at addr (below 4 GiB) has a sane length (36 bytes .. 1 MiB)
 * and a zero checksum. */
int acpi_table_valid(uint64_t addr);

/* Entry i of the XSDT (else the RSDT), 0 past the end or if the root table
 * is invalid. The entry is not validated. */
uint64_t acpi_root_entry(uint64_t rsdp, unsigned i);

/* Generic Address Structure (ACPI 6.4 §5.2.3.2), 12 bytes. */
#define ACPI_GAS_MEMORY 0
#define ACPI_GAS_IO 1
/* Write v to the register a GAS describes (SystemMemory below 4 GiB or
 * SystemIO; 8, 16 or 32 bits); -1 if the GAS is something else. */
int acpi_gas_write(const uint8_t *gas, uint32_t v);

/* SLP_TYP for S5 from the DSDT's Name(_S5, Package{typ, ...}), or -1 if the
 * DSDT has no such simple declaration. */
int acpi_s5_slp_typ(uint64_t dsdt);

/* Enabled processors in the MADT (Local APIC and x2APIC entries); -1 if
 * there is no MADT. */
int acpi_madt_cpus(uint64_t rsdp);

#endif
