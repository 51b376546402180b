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

/* Enabled processors in the MADT (Local APIC and x2APIC entries); -1 if
 * there is no MADT. */
int acpi_madt_cpus(uint64_t rsdp);

#endif
