/* SPDX-License-Identifier: MIT */
/*
 * ACPI table builders: header, DSDT/SSDT, FADT, MADT, XSDT and RSDP
 * (section numbers are ACPI 6.4). See tables.h for the pointer and checksum
 * convention.
 */
#include "acpi/tables.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acpi/aml.h"
#include "acpi/loader.h"
#include "vmm/err.h"
#include "vmm/util.h"

#define ACPI_DSDT_REVISION 2 /* 2 and up: integers are 64 bits (§19.6.28 DefinitionBlock) */
#define ACPI_MADT_REVISION 5
#define ACPI_XSDT_REVISION 1
#define ACPI_RSDP_REVISION 2

void acpi_tables_free(struct acpi_tables *t)
{
	abuf_free(&t->blob);
	free(t->info);
	t->info = NULL;
	t->nr = t->cap = 0;
}

uint8_t acpi_checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum = (uint8_t)(sum + *p++);
	return sum;
}

static bool acpi_id_ok(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);

	if (n < min || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7E)
			return false;
	return true;
}

/* Host pointer to [off, off + len) of the blob; callers only pass ranges they appended. */
static uint8_t *acpi_at(struct acpi_tables *t, uint32_t off, size_t len)
{
	if (t->blob.oom || !range_fits(off, len, t->blob.len))
		return NULL;
	return t->blob.data + off;
}

static int acpi_oom(struct errbuf *e)
{
	return errf(e, -ENOMEM, "ACPI tables: out of memory or larger than %u bytes", ABUF_MAX);
}

/* §5.2.6 System Description Table Header */
int acpi_table_begin(struct acpi_tables *t, const char *signature, uint8_t revision,
		     const char *oem_table_id, uint32_t *off, struct errbuf *e)
{
	uint8_t h[ACPI_HEADER_SIZE];
	long at;

	if (!oem_table_id)
		oem_table_id = ACPI_OEM_TABLE_ID;
	if (strlen(signature) != 4 || !acpi_id_ok(signature, 4, 4))
		return errf(e, -EINVAL, "ACPI: bad table signature \"%.8s\"", signature);
	if (!acpi_id_ok(oem_table_id, 1, 8))
		return errf(e, -EINVAL, "ACPI %s: OEM table id \"%.16s\" must be 1-8 printable characters",
			    signature, oem_table_id);
	memset(h, 0, sizeof(h));
	memcpy(h, signature, 4);
	h[8] = revision;
	memcpy(h + 10, ACPI_OEM_ID, 6);
	memset(h + ACPI_HDR_OEM_TABLE_ID, ' ', 8);
	memcpy(h + ACPI_HDR_OEM_TABLE_ID, oem_table_id, strlen(oem_table_id));
	put_le32(h + 24, ACPI_OEM_REVISION);
	memcpy(h + 28, ACPI_CREATOR_ID, 4);
	put_le32(h + 32, ACPI_CREATOR_REVISION);
	at = abuf_append(&t->blob, h, sizeof(h));
	if (at < 0)
		return acpi_oom(e);
	*off = (uint32_t)at;
	return 0;
}

int acpi_table_end(struct acpi_tables *t, uint32_t off, struct errbuf *e)
{
	struct acpi_table_info *info;
	uint8_t *h = acpi_at(t, off, ACPI_HEADER_SIZE);
	uint32_t len;

	if (!h)
		return acpi_oom(e);
	len = (uint32_t)(t->blob.len - off);
	put_le32(h + ACPI_HDR_LENGTH, len);
	if (t->nr == t->cap) {
		unsigned cap = t->cap ? 2 * t->cap : 8;

		info = realloc(t->info, cap * sizeof(*info));
		if (!info)
			return acpi_oom(e);
		t->info = info;
		t->cap = cap;
	}
	info = &t->info[t->nr++];
	memset(info, 0, sizeof(*info));
	memcpy(info->signature, h, 4);
	memcpy(info->oem_table_id, h + ACPI_HDR_OEM_TABLE_ID, 8);
	info->offset = off;
	info->length = len;
	return acpi_loader_add_checksum(t->loader, ACPI_TABLES_FILE, off + ACPI_HDR_CHECKSUM, off, len, e);
}

int acpi_table_link(struct acpi_tables *t, uint32_t field_off, uint8_t size, uint32_t target_off,
		    struct errbuf *e)
{
	uint8_t *p = acpi_at(t, field_off, size);

	if (!p)
		return errf(e, -EINVAL, "ACPI: pointer field at %u outside the tables", field_off);
	if (size < 4 && target_off >> (8 * size))
		return errf(e, -EINVAL, "ACPI: offset %u does not fit a %u-byte pointer", target_off,
			    size);
	memset(p, 0, size);
	for (unsigned i = 0; i < size && i < 4; i++)
		p[i] = (uint8_t)(target_off >> (8 * i));
	return acpi_loader_add_pointer(t->loader, ACPI_TABLES_FILE, ACPI_TABLES_FILE, field_off, size, e);
}

/* §5.2.11.1 DSDT, §5.2.11.2 SSDT: header + definition block. */
int acpi_add_aml_table(struct acpi_tables *t, const char *signature, const char *oem_table_id,
		       struct aml *body, uint32_t *off, struct errbuf *e)
{
	const uint8_t *aml;
	size_t len;
	int r;

	aml = aml_bytes(body, &len);
	if (!aml) {
		r = aml_error(body, e);
		return r ? r : errf(e, -EINVAL, "ACPI %s: its AML could not be built", signature);
	}
	r = acpi_table_begin(t, signature, ACPI_DSDT_REVISION, oem_table_id, off, e);
	if (r)
		return r;
	if (abuf_append(&t->blob, aml, len) < 0)
		return acpi_oom(e);
	return acpi_table_end(t, *off, e);
}

/* §5.2.3.2 Generic Address Structure: an 8-bit SystemIO register accessed bytewise. */
static void acpi_gas_io8(uint8_t *p, uint16_t port)
{
	p[0] = ACPI_GAS_SYSTEM_IO;
	p[1] = 8; /* register bit width */
	p[2] = 0; /* bit offset */
	p[3] = ACPI_GAS_ACCESS_BYTE;
	put_le64(p + 4, port);
}

/* §5.2.9 FADT, hardware-reduced (§4.1): no PM1/GPE blocks, no FACS, no SCI. */
int acpi_add_fadt(struct acpi_tables *t, const struct acpi_fadt_cfg *cfg, uint32_t dsdt_off,
		  uint32_t *off, struct errbuf *e)
{
	uint8_t *f;
	int r;

	r = acpi_table_begin(t, "FACP", ACPI_FADT_REVISION, NULL, off, e);
	if (r)
		return r;
	if (abuf_zeros(&t->blob, ACPI_FADT_SIZE - ACPI_HEADER_SIZE) < 0)
		return acpi_oom(e);
	f = acpi_at(t, *off, ACPI_FADT_SIZE);
	if (!f)
		return acpi_oom(e);
	put_le16(f + ACPI_FADT_IAPC_BOOT_ARCH, cfg->iapc_boot_arch);
	put_le32(f + ACPI_FADT_FLAGS, ACPI_FADT_F_HW_REDUCED_ACPI | ACPI_FADT_F_RESET_REG_SUP);
	acpi_gas_io8(f + ACPI_FADT_RESET_REG, cfg->reset_port);
	f[ACPI_FADT_RESET_VALUE] = cfg->reset_value;
	f[ACPI_FADT_MINOR_VERSION] = 0; /* FADT 6.0 */
	acpi_gas_io8(f + ACPI_FADT_SLEEP_CONTROL_REG, cfg->sleep_control_port);
	acpi_gas_io8(f + ACPI_FADT_SLEEP_STATUS_REG, cfg->sleep_status_port);
	/* The 32-bit DSDT field stays 0: OSPM uses X_DSDT when it is non-zero. */
	r = acpi_table_link(t, *off + ACPI_FADT_X_DSDT, 8, dsdt_off, e);
	return r ? r : acpi_table_end(t, *off, e);
}

static int acpi_madt_entry(struct acpi_tables *t, const uint8_t *p, size_t len, struct errbuf *e)
{
	return abuf_append(&t->blob, p, len) < 0 ? acpi_oom(e) : 0;
}

/* §5.2.12 Multiple APIC Description Table. */
int acpi_add_madt(struct acpi_tables *t, const struct acpi_madt_cfg *cfg, uint32_t *off,
		  struct errbuf *e)
{
	uint8_t hdr[8], lapic[8], ioapic[12], iso[10], nmi[6];
	int r;

	if (cfg->nr_cpus < 1 || cfg->nr_cpus > ACPI_MADT_MAX_CPUS)
		return errf(e, -EINVAL, "ACPI MADT: %u vCPUs (1-%u)", cfg->nr_cpus,
			    ACPI_MADT_MAX_CPUS);
	r = acpi_table_begin(t, "APIC", ACPI_MADT_REVISION, NULL, off, e);
	if (r)
		return r;
	put_le32(hdr, cfg->lapic_addr);
	put_le32(hdr + 4, ACPI_MADT_PCAT_COMPAT); /* KVM's in-kernel irqchip has the 8259s */
	r = acpi_madt_entry(t, hdr, sizeof(hdr), e);

	/* §5.2.12.2 Processor Local APIC: UID and APIC ID = index, flags bit 0 Enabled. */
	for (unsigned i = 0; i < cfg->nr_cpus && !r; i++) {
		lapic[0] = ACPI_MADT_LAPIC;
		lapic[1] = sizeof(lapic);
		lapic[2] = (uint8_t)i;
		lapic[3] = (uint8_t)i;
		put_le32(lapic + 4, 1);
		r = acpi_madt_entry(t, lapic, sizeof(lapic), e);
	}

	/* §5.2.12.3 I/O APIC: id, reserved, address, GSI base 0. */
	ioapic[0] = ACPI_MADT_IOAPIC;
	ioapic[1] = sizeof(ioapic);
	ioapic[2] = cfg->ioapic_id;
	ioapic[3] = 0;
	put_le32(ioapic + 4, cfg->ioapic_addr);
	put_le32(ioapic + 8, 0);
	r = r ? r : acpi_madt_entry(t, ioapic, sizeof(ioapic), e);

	/*
	 * §5.2.12.5 Interrupt Source Override: ISA IRQ 0 (the PIT) is wired to
	 * IOAPIC pin 2, flags 0 = conforms to the ISA bus (edge, active high).
	 */
	iso[0] = ACPI_MADT_ISO;
	iso[1] = sizeof(iso);
	iso[2] = 0; /* bus: ISA */
	iso[3] = 0; /* source IRQ */
	put_le32(iso + 4, 2);
	put_le16(iso + 8, 0);
	r = r ? r : acpi_madt_entry(t, iso, sizeof(iso), e);

	/* §5.2.12.7 Local APIC NMI: every processor (UID 0xFF), LINT1, as QEMU does. */
	nmi[0] = ACPI_MADT_LAPIC_NMI;
	nmi[1] = sizeof(nmi);
	nmi[2] = 0xFF;
	put_le16(nmi + 3, 0);
	nmi[5] = 1;
	r = r ? r : acpi_madt_entry(t, nmi, sizeof(nmi), e);
	return r ? r : acpi_table_end(t, *off, e);
}

/* §5.2.8 Extended System Description Table: header + 64-bit table addresses. */
int acpi_add_xsdt(struct acpi_tables *t, const uint32_t *offs, unsigned n, uint32_t *off,
		  struct errbuf *e)
{
	long entries;
	int r;

	r = acpi_table_begin(t, "XSDT", ACPI_XSDT_REVISION, NULL, off, e);
	if (r)
		return r;
	entries = abuf_zeros(&t->blob, 8 * (size_t)n);
	if (entries < 0)
		return acpi_oom(e);
	for (unsigned i = 0; i < n && !r; i++)
		r = acpi_table_link(t, (uint32_t)entries + 8 * i, 8, offs[i], e);
	return r ? r : acpi_table_end(t, *off, e);
}

/* §5.2.5.3 Root System Description Pointer, revision 2 (no RSDT: XSDT only). */
int acpi_build_rsdp(struct abuf *rsdp, struct acpi_loader *l, uint32_t xsdt_off, struct errbuf *e)
{
	uint8_t p[ACPI_RSDP_SIZE];
	int r;

	if (rsdp->len)
		return errf(e, -EINVAL, "ACPI: the RSDP must start its own file");
	memset(p, 0, sizeof(p));
	memcpy(p, "RSD PTR ", 8);
	memcpy(p + 9, ACPI_OEM_ID, 6);
	p[15] = ACPI_RSDP_REVISION;
	put_le32(p + 16, 0); /* RsdtAddress */
	put_le32(p + 20, ACPI_RSDP_SIZE);
	put_le64(p + ACPI_RSDP_XSDT, xsdt_off);
	if (abuf_append(rsdp, p, sizeof(p)) < 0)
		return acpi_oom(e);
	/* The first checksum covers the ACPI 1.0 part (20 bytes) and comes first:
	 * the extended checksum covers it too. */
	if ((r = acpi_loader_add_pointer(l, ACPI_RSDP_FILE, ACPI_TABLES_FILE, ACPI_RSDP_XSDT, 8, e)) ||
	    (r = acpi_loader_add_checksum(l, ACPI_RSDP_FILE, ACPI_RSDP_CHECKSUM, 0, 20, e)) ||
	    (r = acpi_loader_add_checksum(l, ACPI_RSDP_FILE, ACPI_RSDP_EXT_CHECKSUM, 0, ACPI_RSDP_SIZE,
				     e)))
		return r;
	return 0;
}
