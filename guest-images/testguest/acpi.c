/* SPDX-License-Identifier: MIT */
/*
 * Finding ACPI tables (ACPI 6.4 §5.2). Table addresses come from the VMM;
 * lengths are bounded before anything is summed or walked.
 */
#include "guest-images/testguest/acpi.h"

#include "guest-images/testguest/guest.h"
#include "vmm/layout.h"
#include "vmm/util.h"

#define RSDP_SIG "RSD PTR "
#define RSDP_V1_LEN 20
#define RSDP_V2_LEN 36
#define SDT_HEADER_LEN 36
#define SDT_MAX_LEN (1u << 20) /* no table of ours comes near this */
#define MADT_ENABLED 1u

static const uint8_t *phys(uint64_t addr)
{
	return (const uint8_t *)(uintptr_t)addr;
}

static uint8_t sum8(const uint8_t *p, uint32_t len)
{
	uint8_t s = 0;

	while (len--)
		s = (uint8_t)(s + *p++);
	return s;
}

int acpi_rsdp_valid(uint64_t addr)
{
	const uint8_t *p = phys(addr);

	if (memcmp(p, RSDP_SIG, 8) || sum8(p, RSDP_V1_LEN))
		return 0;
	return p[15] < 2 || !sum8(p, RSDP_V2_LEN);
}

uint64_t acpi_find_rsdp(const struct boot_info *bi)
{
	if (bi->rsdp && bi->rsdp < LAYOUT_4G)
		return acpi_rsdp_valid(bi->rsdp) ? bi->rsdp : 0;
	return acpi_scan_fseg();
}

uint64_t acpi_scan_fseg(void)
{
	/* ACPI 6.4 §5.2.5.1: on a 16-byte boundary in the BIOS area. */
	for (uint64_t a = LAYOUT_FSEG; a < LAYOUT_FSEG_END; a += 16)
		if (acpi_rsdp_valid(a))
			return a;
	return 0;
}

int acpi_table_valid(uint64_t addr)
{
	uint32_t len;

	if (!addr || addr >= LAYOUT_4G)
		return 0;
	len = get_le32(phys(addr) + 4);
	return len >= SDT_HEADER_LEN && len <= SDT_MAX_LEN && addr + len <= LAYOUT_4G &&
	       !sum8(phys(addr), len);
}

uint64_t acpi_root_entry(uint64_t rsdp, unsigned i)
{
	const uint8_t *r = phys(rsdp);
	uint64_t root, off;
	unsigned width;

	if (!rsdp)
		return 0;
	if (r[15] >= 2 && get_le64(r + 24)) {
		root = get_le64(r + 24);
		width = 8;
	} else {
		root = get_le32(r + 16);
		width = 4;
	}
	if (!acpi_table_valid(root))
		return 0;
	off = SDT_HEADER_LEN + (uint64_t)i * width;
	if (off + width > get_le32(phys(root) + 4))
		return 0;
	return width == 8 ? get_le64(phys(root) + off) : get_le32(phys(root) + off);
}

uint64_t acpi_find_table(uint64_t rsdp, const char *sig)
{
	uint64_t t;

	for (unsigned i = 0; (t = acpi_root_entry(rsdp, i)); i++)
		if (acpi_table_valid(t) && !memcmp(phys(t), sig, 4))
			return t;
	return 0;
}

int acpi_gas_write(const uint8_t *gas, uint32_t v)
{
	/* Access size 1..3 = byte, word, dword; 0 = take the bit width. */
	static const unsigned bits_of_access[] = { 0, 8, 16, 32 };
	unsigned bits = gas[3] && gas[3] < 4 ? bits_of_access[gas[3]] : gas[1];
	uint64_t addr = get_le64(gas + 4);

	if (bits != 8 && bits != 16 && bits != 32)
		return -1;
	if (gas[0] == ACPI_GAS_IO && addr <= 0xFFFF - bits / 8 + 1) {
		if (bits == 8)
			outb((uint16_t)addr, (uint8_t)v);
		else if (bits == 16)
			outw((uint16_t)addr, (uint16_t)v);
		else
			outl((uint16_t)addr, v);
		return 0;
	}
	if (gas[0] == ACPI_GAS_MEMORY && addr && addr + bits / 8 <= LAYOUT_4G) {
		if (bits == 8)
			*(volatile uint8_t *)(uintptr_t)addr = (uint8_t)v;
		else if (bits == 16)
			*(volatile uint16_t *)(uintptr_t)addr = (uint16_t)v;
		else
			*(volatile uint32_t *)(uintptr_t)addr = v;
		return 0;
	}
	return -1;
}

/* AML (ACPI 6.4 §20.2): NameOp [RootChar] "_S5_" PackageOp PkgLength NumElements
 * then the first element, a ZeroOp, OneOp or BytePrefix constant. */
#define AML_NAME_OP 0x08
#define AML_ROOT_CHAR '\\'
#define AML_PACKAGE_OP 0x12
#define AML_ZERO_OP 0x00
#define AML_ONE_OP 0x01
#define AML_BYTE_PREFIX 0x0A

int acpi_s5_slp_typ(uint64_t dsdt)
{
	const uint8_t *t = phys(dsdt);
	uint32_t len;

	if (!acpi_table_valid(dsdt))
		return -1;
	len = get_le32(t + 4);
	for (uint32_t i = SDT_HEADER_LEN; i + 6 <= len; i++) {
		uint32_t p = i + 1, pkg_bytes;

		if (t[i] != AML_NAME_OP)
			continue;
		if (t[p] == AML_ROOT_CHAR)
			p++;
		if (p + 5 > len || memcmp(t + p, "_S5_", 4) || t[p + 4] != AML_PACKAGE_OP)
			continue;
		p += 5;
		pkg_bytes = t[p] >> 6; /* PkgLength: bits 7:6 count the bytes that follow */
		p += 1 + pkg_bytes + 1; /* the PkgLength, then NumElements */
		if (p + 2 > len)
			return -1;
		if (t[p] == AML_ZERO_OP || t[p] == AML_ONE_OP)
			return t[p];
		if (t[p] == AML_BYTE_PREFIX)
			return t[p + 1];
		return -1;
	}
	return -1;
}

int acpi_madt_cpus(uint64_t rsdp)
{
	uint64_t madt = acpi_find_table(rsdp, "APIC");
	uint32_t len, off;
	int n = 0;

	if (!madt)
		return -1;
	len = get_le32(phys(madt) + 4);
	for (off = MADT_ENTRIES; off + 2 <= len; off += phys(madt)[off + 1]) {
		const uint8_t *e = phys(madt) + off;
		if (e[1] < 2 || off + e[1] > len)
			break;
		if (e[0] == MADT_T_LAPIC && e[1] >= 8 && (get_le32(e + 4) & MADT_ENABLED))
			n++;
		else if (e[0] == MADT_T_X2APIC && e[1] >= 16 && (get_le32(e + 8) & MADT_ENABLED))
			n++;
	}
	return n;
}
