/* SPDX-License-Identifier: MIT */
/*
 * Reading the loader's boot structure into struct boot_info.
 *
 * PVH: struct hvm_start_info (xen/include/public/arch-x86/hvm/start_info.h),
 * version >= 1 for the memory map; memmap entries are 24 bytes
 * {u64 addr, u64 size, u32 type, u32 reserved}.
 * Linux: boot_params ("zero page", Documentation/arch/x86/zero-page.rst)
 * with the setup header copied at 0x1F1; e820 entries are 20 bytes.
 * All guest-physical addresses below 4 GiB are identity-mapped.
 */
#include "guest-images/testguest/boot.h"

#include "guest-images/testguest/asm.h"
#include "guest-images/testguest/guest.h"
#include "vmm/layout.h"
#include "vmm/util.h"

#define PVH_MAGIC 0x336ec578u
#define PVH_OFF_MAGIC 0
#define PVH_OFF_VERSION 4
#define PVH_OFF_NR_MODULES 12
#define PVH_OFF_MODLIST 16
#define PVH_OFF_CMDLINE 24
#define PVH_OFF_RSDP 32
#define PVH_OFF_MEMMAP 40
#define PVH_OFF_MEMMAP_ENTRIES 48
#define PVH_MEMMAP_ENTRY 24
#define PVH_MODLIST_ENTRY 32

#define BP_OFF_ACPI_RSDP 0x070
#define BP_OFF_E820_ENTRIES 0x1E8
#define BP_OFF_HDR_MAGIC 0x202
#define BP_OFF_RAMDISK_IMAGE 0x218
#define BP_OFF_RAMDISK_SIZE 0x21C
#define BP_OFF_CMD_LINE_PTR 0x228
#define BP_OFF_E820_TABLE 0x2D0
#define BP_E820_ENTRY 20
#define BP_E820_MAX 128
#define HDRS_MAGIC 0x53726448u /* "HdrS" */

static const uint8_t *phys(uint64_t addr)
{
	return (const uint8_t *)(uintptr_t)addr;
}

static void copy_cmdline(struct boot_info *bi, uint64_t addr)
{
	bi->cmdline[0] = '\0';
	if (!addr)
		return;
	if (addr >= LAYOUT_4G)
		fail(GUEST_EXIT_BOOT, "command line at 0x%lx is above 4 GiB", addr);
	bi->cmdline_addr = (uint32_t)addr;
	for (unsigned i = 0; i < sizeof(bi->cmdline) - 1; i++) {
		bi->cmdline[i] = (char)phys(addr)[i];
		bi->cmdline[i + 1] = '\0';
		if (!bi->cmdline[i])
			break;
	}
}

static void add_mem(struct boot_info *bi, uint64_t addr, uint64_t size, uint32_t type)
{
	if (bi->nr_mem >= BOOT_MEM_MAX)
		return;
	bi->mem[bi->nr_mem].addr = addr;
	bi->mem[bi->nr_mem].size = size;
	bi->mem[bi->nr_mem].type = type;
	bi->nr_mem++;
}

static void read_pvh(struct boot_info *bi, const uint8_t *si)
{
	uint32_t version = get_le32(si + PVH_OFF_VERSION);
	uint64_t memmap = get_le64(si + PVH_OFF_MEMMAP);
	uint32_t entries = get_le32(si + PVH_OFF_MEMMAP_ENTRIES);

	if (get_le32(si + PVH_OFF_MAGIC) != PVH_MAGIC)
		fail(GUEST_EXIT_BOOT, "hvm_start_info at %p: magic 0x%x, want 0x%x", (const void *)si,
		     get_le32(si + PVH_OFF_MAGIC), PVH_MAGIC);
	copy_cmdline(bi, get_le64(si + PVH_OFF_CMDLINE));
	bi->rsdp = get_le64(si + PVH_OFF_RSDP);
	if (get_le32(si + PVH_OFF_NR_MODULES)) {
		const uint8_t *mod = phys(get_le64(si + PVH_OFF_MODLIST));
		bi->initrd_addr = get_le64(mod);
		bi->initrd_size = get_le64(mod + 8);
	}
	if (version < 1 || !memmap)
		return; /* no memory map: the memmap scenario reports it */
	if (memmap >= LAYOUT_4G)
		fail(GUEST_EXIT_BOOT, "PVH memmap at 0x%lx is above 4 GiB", memmap);
	for (uint32_t i = 0; i < entries && i < BOOT_MEM_MAX; i++) {
		const uint8_t *e = phys(memmap) + (uint64_t)i * PVH_MEMMAP_ENTRY;
		add_mem(bi, get_le64(e), get_le64(e + 8), get_le32(e + 16));
	}
	bi->nr_mem_reported = entries;
}

static void read_linux(struct boot_info *bi, const uint8_t *bp)
{
	unsigned entries = bp[BP_OFF_E820_ENTRIES];

	if (get_le32(bp + BP_OFF_HDR_MAGIC) != HDRS_MAGIC)
		fail(GUEST_EXIT_BOOT, "boot_params at %p: no setup header (HdrS) at 0x%x",
		     (const void *)bp, BP_OFF_HDR_MAGIC);
	copy_cmdline(bi, get_le32(bp + BP_OFF_CMD_LINE_PTR));
	bi->rsdp = get_le64(bp + BP_OFF_ACPI_RSDP);
	bi->initrd_addr = get_le32(bp + BP_OFF_RAMDISK_IMAGE);
	bi->initrd_size = get_le32(bp + BP_OFF_RAMDISK_SIZE);
	for (unsigned i = 0; i < entries && i < BP_E820_MAX; i++) {
		const uint8_t *e = bp + BP_OFF_E820_TABLE + i * BP_E820_ENTRY;
		add_mem(bi, get_le64(e), get_le64(e + 8), get_le32(e + 16));
	}
	bi->nr_mem_reported = entries;
}

void boot_info_read(struct boot_info *bi, unsigned proto, uint32_t addr)
{
	memset(bi, 0, sizeof(*bi));
	bi->proto = proto;
	bi->boot_struct = addr;
	if (!addr)
		fail(GUEST_EXIT_BOOT, "%s entry without a boot structure", boot_proto_name(proto));
	if (proto == BOOT_PROTO_PVH)
		read_pvh(bi, phys(addr));
	else
		read_linux(bi, phys(addr));
}

const char *boot_proto_name(unsigned proto)
{
	return proto == BOOT_PROTO_PVH ? "PVH" : "Linux 32-bit";
}

const char *mem_type_name(uint32_t type)
{
	static const char *const names[] = { "?", "RAM", "reserved", "ACPI", "NVS", "unusable" };

	return type < ARRAY_SIZE(names) ? names[type] : "other";
}

/* ---- command line ---- */

/* Start of the value of `key` in cmdline, or NULL. */
static const char *find_key(const char *s, const char *key)
{
	size_t klen = strlen(key);

	while (*s) {
		while (*s == ' ')
			s++;
		if (!strncmp(s, key, klen) && (s[klen] == '=' || s[klen] == ' ' || !s[klen]))
			return s[klen] == '=' ? s + klen + 1 : s + klen;
		while (*s && *s != ' ')
			s++;
	}
	return NULL;
}

int cmdline_get(const struct boot_info *bi, const char *key, char *val, unsigned size)
{
	const char *v = find_key(bi->cmdline, key);
	unsigned n = 0;

	if (!v)
		return 0;
	while (v[n] && v[n] != ' ' && n + 1 < size) {
		val[n] = v[n];
		n++;
	}
	if (size)
		val[n] = '\0';
	return 1;
}

int cmdline_size(const struct boot_info *bi, const char *key, uint64_t *val)
{
	char buf[32];

	if (!cmdline_get(bi, key, buf, sizeof(buf)))
		return 0;
	if (parse_size(buf, val) < 0)
		fail(GUEST_EXIT_USAGE, "cmdline: %s=%s is not a number (decimal or 0x hex, K/M/G/T)",
		     key, buf);
	return 1;
}

int ram_covers(const struct boot_info *bi, uint64_t addr, uint64_t len)
{
	for (unsigned i = 0; i < bi->nr_mem; i++) {
		const struct mem_range *m = &bi->mem[i];
		if (m->type == MEM_RAM && addr >= m->addr && addr - m->addr < m->size &&
		    len <= m->size - (addr - m->addr))
			return 1;
	}
	return 0;
}

int ram_total_matches(const struct boot_info *bi, uint64_t mem, uint64_t *total)
{
	const uint64_t hidden = LAYOUT_FSEG_END - LAYOUT_LOWMEM_END + LAYOUT_HIGH_ZONE_SIZE;
	uint64_t ram = 0;

	for (unsigned i = 0; i < bi->nr_mem; i++)
		if (bi->mem[i].type == MEM_RAM)
			ram += bi->mem[i].size;
	*total = ram;
	return ram <= mem && ram + hidden >= mem;
}
