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
#define MADT_ENTRIES 44	       /* after the header, LAPIC address and flags */
#define MADT_LAPIC 0
#define MADT_X2APIC 9
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

static int rsdp_valid(uint64_t addr)
{
	const uint8_t *p = phys(addr);

	if (memcmp(p, RSDP_SIG, 8) || sum8(p, RSDP_V1_LEN))
		return 0;
	return p[15] < 2 || !sum8(p, RSDP_V2_LEN);
}

uint64_t acpi_find_rsdp(const struct boot_info *bi)
{
	if (bi->rsdp && bi->rsdp < LAYOUT_4G)
		return rsdp_valid(bi->rsdp) ? bi->rsdp : 0;
	/* ACPI 6.4 §5.2.5.1: on a 16-byte boundary in the BIOS area. */
	for (uint64_t a = LAYOUT_FSEG; a < LAYOUT_FSEG_END; a += 16)
		if (rsdp_valid(a))
			return a;
	return 0;
}

/* The table at addr if its length is sane and its checksum holds. */
static int sdt_valid(uint64_t addr)
{
	uint32_t len;

	if (!addr || addr >= LAYOUT_4G)
		return 0;
	len = get_le32(phys(addr) + 4);
	return len >= SDT_HEADER_LEN && len <= SDT_MAX_LEN && addr + len <= LAYOUT_4G &&
	       !sum8(phys(addr), len);
}

uint64_t acpi_find_table(uint64_t rsdp, const char *sig)
{
	const uint8_t *r = phys(rsdp);
	uint64_t root;
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
	if (!sdt_valid(root))
		return 0;
	uint32_t len = get_le32(phys(root) + 4);
	for (uint32_t off = SDT_HEADER_LEN; off + width <= len; off += width) {
		const uint8_t *e = phys(root) + off;
		uint64_t t = width == 8 ? get_le64(e) : get_le32(e);
		if (sdt_valid(t) && !memcmp(phys(t), sig, 4))
			return t;
	}
	return 0;
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
		if (e[0] == MADT_LAPIC && e[1] >= 8 && (get_le32(e + 4) & MADT_ENABLED))
			n++;
		else if (e[0] == MADT_X2APIC && e[1] >= 16 && (get_le32(e + 8) & MADT_ENABLED))
			n++;
	}
	return n;
}
