/* SPDX-License-Identifier: MIT */
/*
 * acpi: the ACPI tables the firmware placed, as an OS finds them (ACPI 6.4
 * §5.2, shared/DESIGN.md §8).
 *
 * - the RSDP the loader passed (boot_params.acpi_rsdp_addr or
 *   hvm_start_info.rsdp_paddr) is the one a scan of 0xE0000-0xFFFFF finds;
 *   revision 2 with both checksums, in non-RAM memory of the FSEG;
 * - every table the XSDT (and the RSDT, if any) lists has a known-good
 *   signature, length and checksum, and lies in memory the map keeps from
 *   the OS;
 * - the FADT is hardware-reduced and leads to the DSDT (X_DSDT);
 * - the MADT puts the local APICs at 0xFEE00000 and lists one enabled
 *   Local APIC per vCPU (cpus=N, default 1), the boot CPU's among them, and
 *   an IOAPIC at 0xFEC00000.
 *
 * Parameter: acpi=strict adds microvm's own layout (peers differ): the
 * tables sit in the HIGH zone (the reserved top 1 MiB of low RAM), one
 * IOAPIC (ID 0, GSI base 0) and the IRQ0 -> GSI 2 override.
 */
#include "guest-images/testguest/acpi.h"
#include "guest-images/testguest/asm.h"
#include "guest-images/testguest/boot.h"
#include "guest-images/testguest/cpu.h"
#include "guest-images/testguest/guest.h"
#include "guest-images/testguest/scenarios.h"
#include "vmm/layout.h"
#include "vmm/util.h"

#define MAX_TABLES 32

static const uint8_t *phys(uint64_t addr)
{
	return (const uint8_t *)(uintptr_t)addr;
}

/* The memory map entry holding all of [addr, addr + len), or NULL. */
static const struct mem_range *map_entry(const struct boot_info *bi, uint64_t addr, uint64_t len)
{
	for (unsigned i = 0; i < bi->nr_mem; i++) {
		const struct mem_range *m = &bi->mem[i];
		if (addr >= m->addr && addr - m->addr < m->size && len <= m->size - (addr - m->addr))
			return m;
	}
	return NULL;
}

/* Not RAM to the OS: inside a reserved/ACPI/NVS entry, or in no entry. */
static int kept_from_os(const struct boot_info *bi, uint64_t addr, uint64_t len)
{
	for (unsigned i = 0; i < bi->nr_mem; i++) {
		const struct mem_range *m = &bi->mem[i];
		if (m->type == MEM_RAM && m->size && ranges_overlap(addr, len, m->addr, m->size))
			return 0;
	}
	return 1;
}

/* microvm's HIGH zone: one reserved entry of LAYOUT_HIGH_ZONE_SIZE bytes
 * ending the RAM below the MMIO hole (DESIGN §3). */
static int in_high_zone(const struct boot_info *bi, uint64_t addr, uint64_t len)
{
	const struct mem_range *m = map_entry(bi, addr, len);

	return m && m->type == MEM_RESERVED && m->size == LAYOUT_HIGH_ZONE_SIZE &&
	       m->addr >= LAYOUT_KERNEL && m->addr + m->size <= LAYOUT_MMIO_HOLE;
}

/* n bytes of a table's text field as a C string in buf (n + 1 bytes);
 * this printf has no precision for %s. */
static const char *text(char *buf, const uint8_t *p, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		buf[i] = p[i] >= 0x20 && p[i] < 0x7F ? (char)p[i] : '?';
	buf[n] = '\0';
	return buf;
}

static int sig_printable(const uint8_t *s)
{
	for (unsigned i = 0; i < 4; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

/* The RSDP to use: the boot structure's, which the FSEG scan must agree
 * with. A loader may leave the field 0 (QEMU's for a bzImage: Linux then
 * scans); only strict insists on it. */
static uint64_t check_rsdp(const struct boot_info *bi, int strict)
{
	uint64_t rsdp = bi->rsdp, scanned = acpi_scan_fseg();
	const uint8_t *r;

	printf("acpi: RSDP at 0x%lx (from the boot structure), FSEG scan finds 0x%lx\n", rsdp, scanned);
	CHECK(rsdp || !strict, "strict: the loader passed an RSDP address");
	if (!rsdp) {
		printf("acpi: the boot structure has no RSDP address; using the FSEG scan's\n");
		rsdp = scanned;
	}
	CHECK(rsdp, "there is an RSDP");
	CHECK(scanned == rsdp, "the FSEG scan finds the same RSDP (0x%lx)", scanned);
	r = phys(rsdp);
	CHECK(rsdp >= LAYOUT_FSEG && rsdp + 36 <= LAYOUT_FSEG_END, "the RSDP lies in the FSEG");
	CHECK(kept_from_os(bi, rsdp, 36), "the RSDP lies in memory the map does not give as RAM");
	CHECK(!memcmp(r, "RSD PTR ", 8), "the RSDP signature is \"RSD PTR \"");
	CHECK(r[RSDP_REVISION] >= 2, "RSDP revision %u >= 2 (XSDT)", r[RSDP_REVISION]);
	CHECK(get_le32(r + RSDP_LENGTH) >= 36 && get_le32(r + RSDP_LENGTH) <= 4096,
	      "RSDP length %u >= 36", get_le32(r + RSDP_LENGTH));
	uint8_t s1 = 0, s2 = 0;
	for (unsigned i = 0; i < 20; i++)
		s1 = (uint8_t)(s1 + r[i]);
	for (unsigned i = 0; i < get_le32(r + RSDP_LENGTH); i++)
		s2 = (uint8_t)(s2 + r[i]);
	CHECK(!s1, "the RSDP checksum over its first 20 bytes holds");
	CHECK(!s2, "the RSDP extended checksum over %u bytes holds", get_le32(r + RSDP_LENGTH));
	CHECK(get_le64(r + RSDP_XSDT), "the RSDP points at an XSDT (0x%lx)", get_le64(r + RSDP_XSDT));
	return rsdp;
}

/* Validate one table; print its line. */
static void check_table(const struct boot_info *bi, uint64_t t, const char *from, int strict)
{
	const uint8_t *p = phys(t);
	char sig[5], oem[7], oem_table[9];
	uint32_t len;

	CHECK(acpi_table_valid(t), "%s entry 0x%lx: length and checksum hold", from, t);
	len = get_le32(p + 4);
	text(sig, p, 4);
	printf("acpi: %s at 0x%08lx, %5u bytes, rev %u, OEM \"%s\" \"%s\"\n", sig, t, len,
	       p[ACPI_HDR_REVISION], text(oem, p + ACPI_HDR_OEM_ID, 6),
	       text(oem_table, p + ACPI_HDR_OEM_TABLE_ID, 8));
	CHECK(sig_printable(p), "%s entry 0x%lx has a table signature", from, t);
	CHECK(kept_from_os(bi, t, len), "%s lies in memory the map does not give as RAM", sig);
	if (strict)
		CHECK(in_high_zone(bi, t, len), "strict: %s lies in the HIGH zone", sig);
}

static unsigned check_root(const struct boot_info *bi, uint64_t rsdp, int strict, uint64_t *tables)
{
	const uint8_t *r = phys(rsdp);
	uint64_t xsdt = get_le64(r + RSDP_XSDT), t;
	unsigned n = 0;

	check_table(bi, xsdt, "RSDP", strict);
	CHECK(!memcmp(phys(xsdt), "XSDT", 4), "the RSDP's XSDT address holds an XSDT");
	CHECK((get_le32(phys(xsdt) + 4) - ACPI_HDR_LEN) % 8 == 0, "the XSDT holds whole 8-byte entries");
	for (unsigned i = 0; (t = acpi_root_entry(rsdp, i)); i++) {
		CHECK(i < MAX_TABLES, "the XSDT lists at most %u tables", MAX_TABLES);
		check_table(bi, t, "XSDT", strict);
		for (unsigned j = 0; j < n; j++)
			CHECK(tables[j] != t, "the XSDT lists 0x%lx once", t);
		tables[n++] = t;
	}
	CHECK(n >= 2, "the XSDT lists at least the FADT and the MADT (%u tables)", n);
	if (get_le32(r + RSDP_RSDT)) {
		uint64_t rsdt = get_le32(r + RSDP_RSDT);
		check_table(bi, rsdt, "RSDP", strict);
		CHECK(!memcmp(phys(rsdt), "RSDT", 4), "the RSDP's RSDT address holds an RSDT");
		CHECK((get_le32(phys(rsdt) + 4) - ACPI_HDR_LEN) / 4 == n,
		      "the RSDT lists as many tables as the XSDT");
	}
	return n;
}

static unsigned count_sig(const uint64_t *tables, unsigned n, const char *sig)
{
	unsigned c = 0;

	for (unsigned i = 0; i < n; i++)
		c += !memcmp(phys(tables[i]), sig, 4);
	return c;
}

static void check_fadt(const struct boot_info *bi, uint64_t rsdp, int strict)
{
	uint64_t fadt = acpi_find_table(rsdp, "FACP"), dsdt;
	const uint8_t *f = phys(fadt);

	CHECK(fadt, "the XSDT lists a FADT (FACP)");
	CHECK(f[ACPI_HDR_REVISION] >= 5 && get_le32(f + 4) >= FADT_MIN_LEN,
	      "FADT revision %u >= 5, length %u >= %u", f[ACPI_HDR_REVISION], get_le32(f + 4), FADT_MIN_LEN);
	CHECK(get_le32(f + FADT_FLAGS) & FADT_F_HW_REDUCED_ACPI, "FADT flags 0x%x have HW_REDUCED_ACPI",
	      get_le32(f + FADT_FLAGS));
	dsdt = get_le64(f + FADT_X_DSDT);
	CHECK(dsdt, "FADT X_DSDT is set (0x%lx)", dsdt);
	CHECK(!get_le32(f + FADT_DSDT) || get_le32(f + FADT_DSDT) == dsdt,
	      "FADT DSDT (0x%x) is 0 or equals X_DSDT", get_le32(f + FADT_DSDT));
	check_table(bi, dsdt, "X_DSDT", strict);
	CHECK(!memcmp(phys(dsdt), "DSDT", 4), "X_DSDT points at a DSDT");
	CHECK(get_le32(phys(dsdt) + 4) > ACPI_HDR_LEN, "the DSDT has a body");
	printf("acpi: \\_S5 SLP_TYP %d; SLEEP_CONTROL_REG space %u at 0x%lx\n", acpi_s5_slp_typ(dsdt),
	       f[FADT_SLEEP_CONTROL_REG], get_le64(f + FADT_SLEEP_CONTROL_REG + 4));
	CHECK(get_le64(f + FADT_SLEEP_CONTROL_REG + 4), "FADT SLEEP_CONTROL_REG is set (HW-reduced poweroff)");
}

static void check_madt(uint64_t rsdp, uint64_t cpus, int strict)
{
	uint64_t madt = acpi_find_table(rsdp, "APIC");
	const uint8_t *m = phys(madt);
	unsigned ids[MAX_CPUS], nr_lapic = 0, nr_ioapic = 0, bsp = lapic_id();
	int bsp_listed = 0, ioapic_found = 0, iso_irq0 = 0;
	uint32_t len, off;

	CHECK(madt, "the XSDT lists a MADT (APIC)");
	len = get_le32(m + 4);
	CHECK(get_le32(m + MADT_LAPIC_ADDR) == LAYOUT_LAPIC, "MADT local APIC address 0x%x is 0x%llx",
	      get_le32(m + MADT_LAPIC_ADDR), LAYOUT_LAPIC);
	for (off = MADT_ENTRIES; off < len; off += m[off + 1]) {
		const uint8_t *e = m + off;
		CHECK(off + 2 <= len && e[1] >= 2 && off + e[1] <= len,
		      "MADT entry at %u (type %u, length %u) fits the table", off, e[0], e[1]);
		if (e[0] == MADT_T_LAPIC) {
			CHECK(e[1] == 8, "Local APIC entry length 8");
			printf("acpi: MADT Local APIC UID %u APIC ID %u flags 0x%x\n", e[2], e[3],
			       get_le32(e + 4));
			if (!(get_le32(e + 4) & 1))
				continue;
			CHECK(nr_lapic < MAX_CPUS, "at most %u enabled Local APICs", MAX_CPUS);
			for (unsigned i = 0; i < nr_lapic; i++)
				CHECK(ids[i] != e[3], "APIC ID %u is listed once", e[3]);
			ids[nr_lapic++] = e[3];
			bsp_listed |= e[3] == bsp;
		} else if (e[0] == MADT_T_IOAPIC) {
			CHECK(e[1] == 12, "IOAPIC entry length 12");
			printf("acpi: MADT IOAPIC ID %u at 0x%x, GSI base %u\n", e[2], get_le32(e + 4),
			       get_le32(e + 8));
			nr_ioapic++;
			if (get_le32(e + 4) == LAYOUT_IOAPIC)
				ioapic_found = 1 + (e[2] == 0 && get_le32(e + 8) == 0);
		} else if (e[0] == MADT_T_ISO) {
			CHECK(e[1] == 10, "Interrupt Source Override entry length 10");
			printf("acpi: MADT override bus %u IRQ %u -> GSI %u flags 0x%x\n", e[2], e[3],
			       get_le32(e + 4), get_le16(e + 8));
			iso_irq0 |= e[2] == 0 && e[3] == 0 && get_le32(e + 4) == 2;
		} else {
			printf("acpi: MADT entry type %u, %u bytes\n", e[0], e[1]);
		}
	}
	CHECK(nr_lapic == cpus, "the MADT lists %u enabled Local APICs, one per vCPU (%lu)", nr_lapic, cpus);
	CHECK(bsp_listed, "the boot CPU's APIC ID %u is among them", bsp);
	CHECK(ioapic_found, "the MADT has an IOAPIC at 0x%llx", LAYOUT_IOAPIC);
	if (!strict)
		return;
	CHECK(nr_ioapic == 1 && ioapic_found == 2, "strict: one IOAPIC, ID 0, GSI base 0");
	CHECK(iso_irq0, "strict: an override routes ISA IRQ 0 to GSI 2");
}

void scn_acpi(const struct boot_info *bi)
{
	static uint64_t tables[MAX_TABLES];
	uint64_t cpus = 1, rsdp;
	char mode[16];
	int strict = 0;
	unsigned n;

	if (cmdline_get(bi, "acpi", mode, sizeof(mode))) {
		if (strcmp(mode, "strict"))
			fail(GUEST_EXIT_USAGE, "acpi=%s: only acpi=strict is known", mode);
		strict = 1;
	}
	cmdline_size(bi, "cpus", &cpus);
	if (cpus < 1 || cpus > MAX_CPUS)
		fail(GUEST_EXIT_USAGE, "cpus=%lu: 1..%u", cpus, MAX_CPUS);

	rsdp = check_rsdp(bi, strict);
	n = check_root(bi, rsdp, strict, tables);
	CHECK(count_sig(tables, n, "FACP") == 1, "the XSDT lists one FADT");
	CHECK(count_sig(tables, n, "APIC") == 1, "the XSDT lists one MADT");
	CHECK(!count_sig(tables, n, "DSDT"), "the XSDT does not list the DSDT (the FADT does)");
	check_fadt(bi, rsdp, strict);
	check_madt(rsdp, cpus, strict);
}
