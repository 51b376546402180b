/* SPDX-License-Identifier: MIT */
/*
 * Linux bzImage through the 32-bit boot protocol (Documentation/arch/x86/
 * boot.rst, zero-page.rst). Only the protected-mode code is loaded; the
 * real-mode setup never runs, so the VMM fills boot_params itself and the
 * firmware enters code32 with ESI pointing at it (shared/DESIGN.md §9).
 */
#include "vmm/boot.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "vmm/layout.h"
#include "vmm/util.h"

/* Setup header fields: offsets in the file and in boot_params alike (boot.rst). */
#define HDR_START 0x1F1
#define HDR_SETUP_SECTS 0x1F1
#define HDR_SYSSIZE 0x1F4 /* protected-mode code size in 16-byte paragraphs */
#define HDR_JUMP_OFFSET 0x201 /* second byte of the 2-byte jump at 0x200 */
#define HDR_MAGIC 0x202	      /* "HdrS" */
#define HDR_VERSION 0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS 0x211
#define HDR_CODE32_START 0x214
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE 0x21C
#define HDR_HEAP_END_PTR 0x224
#define HDR_CMD_LINE_PTR 0x228
#define HDR_INITRD_ADDR_MAX 0x22C
#define HDR_KERNEL_ALIGNMENT 0x230
#define HDR_RELOCATABLE 0x234
#define HDR_XLOADFLAGS 0x236
#define HDR_CMDLINE_SIZE 0x238
#define HDR_SETUP_DATA 0x250
#define HDR_PREF_ADDRESS 0x258
#define HDR_INIT_SIZE 0x260
#define HDR_LIMIT 0x290 /* edd_mbr_sig_buffer: the header never reaches it */

#define LOADFLAG_LOADED_HIGH 0x01
#define LOADFLAG_CAN_USE_HEAP 0x80
#define TYPE_OF_LOADER_UNDEFINED 0xFF
/* Real-mode code + heap take one 64 KiB segment; heap_end_ptr is its end - 0x200. */
#define HEAP_END_PTR 0xFE00
#define CODE32_DEFAULT 0x100000u /* what code32_start holds when loaded at 1 MiB */

/* boot_params (zero page) fields outside the setup header (zero-page.rst). */
#define BP_SIZE 0x1000
#define BP_EXT_RAMDISK_IMAGE 0x0C0
#define BP_EXT_RAMDISK_SIZE 0x0C4
#define BP_EXT_CMD_LINE_PTR 0x0C8
#define BP_ACPI_RSDP_ADDR 0x070
#define BP_E820_ENTRIES 0x1E8
#define BP_SENTINEL 0x1EF
#define BP_E820_TABLE 0x2D0
#define BP_E820_MAX 128
#define BP_E820_ENTRY_SIZE 20

_Static_assert(BP_E820_TABLE + BP_E820_MAX * BP_E820_ENTRY_SIZE <= BP_SIZE, "e820_table size");
_Static_assert(HDR_LIMIT <= BP_E820_TABLE, "setup header runs into e820_table");

int bzimage_probe(const uint8_t *buf, size_t size)
{
	return size >= HDR_VERSION + 2 && memcmp(buf + HDR_MAGIC, "HdrS", 4) == 0;
}

int bzimage_parse(const uint8_t *buf, size_t size, struct bzimage_info *info, struct errbuf *err)
{
	unsigned sects;
	uint64_t payload;

	memset(info, 0, sizeof(*info));
	if (!bzimage_probe(buf, size))
		return errf(err, -EINVAL, "not a bzImage (no HdrS) nor a PVH ELF");
	info->version = get_le16(buf + HDR_VERSION);
	if (info->version < 0x0206)
		return errf(err, -EINVAL, "boot protocol %u.%02u is too old: 2.06 or later is needed",
			    info->version >> 8, info->version & 0xFF);
	/* 2.06 headers reach cmdline_size (0x23C); later fields are read only for later versions. */
	if (size < HDR_CMDLINE_SIZE + 4)
		return errf(err, -EINVAL, "truncated file (%zu bytes): the setup header is cut short",
			    size);
	sects = buf[HDR_SETUP_SECTS] ? buf[HDR_SETUP_SECTS] : 4;
	info->setup_size = (sects + 1) * 512;
	info->payload_offset = info->setup_size;
	if (size <= info->setup_size)
		return errf(err, -EINVAL, "truncated file (%zu bytes): the %u-byte real-mode setup leaves no protected-mode code",
			    size, info->setup_size);
	/*
	 * syssize, not the file size, says where the code ends: a file cut short
	 * would otherwise boot into zeros and hang, and bytes after the code (a
	 * signature appended by sbsign) are no part of the kernel.
	 */
	payload = (uint64_t)get_le32(buf + HDR_SYSSIZE) * 16;
	if (payload == 0)
		return errf(err, -EINVAL, "syssize is 0: the header declares no protected-mode code");
	if (size - info->setup_size < payload)
		return errf(err, -EINVAL, "truncated bzImage: header says %" PRIu64 " bytes of kernel code, file has %zu",
			    payload, size - info->setup_size);
	if (payload > UINT32_MAX)
		return errf(err, -EFBIG, "protected-mode code of %" PRIu64 " bytes is over 4 GiB",
			    payload);
	info->payload_size = (uint32_t)payload;
	if (!(buf[HDR_LOADFLAGS] & LOADFLAG_LOADED_HIGH))
		return errf(err, -EINVAL, "a zImage (not LOADED_HIGH) cannot be loaded; use a bzImage");
	if (get_le32(buf + HDR_CODE32_START) != CODE32_DEFAULT)
		return errf(err, -EINVAL, "code32_start 0x%" PRIx32 " is not 1 MiB; such kernels are not supported",
			    get_le32(buf + HDR_CODE32_START));
	info->initrd_addr_max = get_le32(buf + HDR_INITRD_ADDR_MAX);
	info->kernel_alignment = get_le32(buf + HDR_KERNEL_ALIGNMENT);
	info->relocatable = buf[HDR_RELOCATABLE];
	info->cmdline_size = get_le32(buf + HDR_CMDLINE_SIZE);
	if (info->relocatable && !is_pow2(info->kernel_alignment))
		return errf(err, -EINVAL, "relocatable kernel with kernel_alignment 0x%" PRIx32 ", not a power of two",
			    info->kernel_alignment);
	if (info->version >= 0x020A) {
		if (size < HDR_INIT_SIZE + 4)
			return errf(err, -EINVAL, "truncated file (%zu bytes): the setup header is cut short",
				    size);
		info->xloadflags = get_le16(buf + HDR_XLOADFLAGS);
		info->pref_address = get_le64(buf + HDR_PREF_ADDRESS);
		info->init_size = get_le32(buf + HDR_INIT_SIZE);
	}
	return 0;
}

/* Where the protected-mode code goes and where the kernel will run from. */
struct bz_place {
	uint64_t load;	/* the protected-mode code, also the 32-bit entry */
	uint64_t run;	/* the kernel's runtime start, needing `need` bytes */
	uint64_t need;
};

static int fits_at(const struct e820_map *map, uint64_t at, uint64_t len)
{
	return boot_check_range(map, "", "", at, len, NULL) == 0;
}

/*
 * The decompressor runs the kernel at LOAD_PHYSICAL_ADDR (= pref_address) or,
 * if relocatable, at the load address aligned up to kernel_alignment when that
 * is higher (arch/x86/boot/compressed/head_64.S). It needs init_size bytes
 * there before it has looked at the memory map.
 */
static void bz_plan(const struct bzimage_info *bi, const struct e820_map *map, struct bz_place *pl)
{
	uint64_t pref = bi->version >= 0x020A && bi->pref_address >= LAYOUT_KERNEL ? bi->pref_address : 0;
	uint64_t need = bi->init_size > bi->payload_size ? bi->init_size : bi->payload_size;

	pl->load = LAYOUT_KERNEL;
	/* The 32-bit entry (and code32_start) must reach the code: below 4 GiB only. */
	if (pref && pref < LAYOUT_4G && need <= LAYOUT_4G - pref && fits_at(map, pref, need))
		pl->load = pref;
	pl->run = pl->load;
	if (bi->relocatable)
		pl->run = align_up(pl->load, bi->kernel_alignment);
	if (pref && (pref > pl->run || !bi->relocatable))
		pl->run = pref;
	pl->need = bi->init_size ? bi->init_size : bi->payload_size;
}

static void bp_put_e820(uint8_t *bp, const struct e820_map *map)
{
	unsigned n = map->nr < BP_E820_MAX ? map->nr : BP_E820_MAX;

	for (unsigned i = 0; i < n; i++) {
		uint8_t *e = bp + BP_E820_TABLE + i * BP_E820_ENTRY_SIZE;
		put_le64(e, map->e[i].addr);
		put_le64(e + 8, map->e[i].size);
		put_le32(e + 16, map->e[i].type);
	}
	bp[BP_E820_ENTRIES] = (uint8_t)n;
}

static void bp_fill(uint8_t *bp, const uint8_t *kernel, const struct e820_map *map,
		    const struct boot_image *img)
{
	size_t hdr_end = HDR_MAGIC + kernel[HDR_JUMP_OFFSET];

	memset(bp, 0, BP_SIZE);
	if (hdr_end > HDR_LIMIT)
		hdr_end = HDR_LIMIT;
	/* parse checked the file is larger than the setup, which is >= 2560 bytes. */
	memcpy(bp + HDR_START, kernel + HDR_START, hdr_end - HDR_START);
	bp[HDR_TYPE_OF_LOADER] = TYPE_OF_LOADER_UNDEFINED;
	bp[HDR_LOADFLAGS] |= LOADFLAG_CAN_USE_HEAP;
	put_le16(bp + HDR_HEAP_END_PTR, HEAP_END_PTR);
	put_le32(bp + HDR_CODE32_START, img->entry);
	put_le32(bp + HDR_CMD_LINE_PTR, (uint32_t)img->cmdline_addr);
	put_le32(bp + BP_EXT_CMD_LINE_PTR, (uint32_t)(img->cmdline_addr >> 32));
	put_le32(bp + HDR_RAMDISK_IMAGE, (uint32_t)img->initrd_addr);
	put_le32(bp + HDR_RAMDISK_SIZE, (uint32_t)img->initrd_size);
	put_le32(bp + BP_EXT_RAMDISK_IMAGE, (uint32_t)(img->initrd_addr >> 32));
	put_le32(bp + BP_EXT_RAMDISK_SIZE, (uint32_t)(img->initrd_size >> 32));
	/* A setup_data chain from the file would point at nothing we loaded. */
	if (hdr_end >= HDR_SETUP_DATA + 8)
		put_le64(bp + HDR_SETUP_DATA, 0);
	/* Left 0: the firmware stores the RSDP here (firmware/boot_abi.h). */
	put_le64(bp + BP_ACPI_RSDP_ADDR, 0);
	bp_put_e820(bp, map);
	/* 0x1EF must stay 0, or the kernel thinks boot_params is stale and clears fields. */
	bp[BP_SENTINEL] = 0;
}

int bzimage_load(const struct boot_files *f, const struct guest_mem *gm, const struct e820_map *map,
		 struct boot_image *img, struct errbuf *err)
{
	struct bzimage_info bi;
	struct bz_place pl;
	struct errbuf perr;
	uint64_t limit;
	uint8_t bp[BP_SIZE];
	int rc;

	memset(img, 0, sizeof(*img));
	rc = bzimage_parse(f->kernel, f->kernel_size, &bi, &perr);
	if (rc < 0)
		return errf(err, rc, "%s: %s", f->kernel_name, perr.msg);
	rc = boot_check_cmdline(f, bi.cmdline_size, err);
	if (rc < 0)
		return rc;
	bz_plan(&bi, map, &pl);
	rc = boot_check_range(map, f->kernel_name, "the kernel", pl.run, pl.need, err);
	/* What is written, always: init_size may be smaller than the code itself. */
	if (rc == 0)
		rc = boot_check_range(map, f->kernel_name,
				      pl.load != pl.run ? "the compressed kernel" : "the kernel code",
				      pl.load, bi.payload_size, err);
	if (rc < 0)
		return rc;
	if (pl.run + pl.need > LAYOUT_4G)
		return errf(err, -EINVAL, "%s: the kernel wants to run at 0x%" PRIx64 "-0x%" PRIx64
			    ", above 4 GiB: the 32-bit boot protocol cannot start it there",
			    f->kernel_name, pl.run, pl.run + pl.need);

	img->proto = BOOT_LINUX;
	img->entry = (uint32_t)pl.load;
	img->boot_struct = LAYOUT_BOOT_PARAMS;
	img->rsdp_offset = BP_ACPI_RSDP_ADDR;
	img->kernel_start = pl.load < pl.run ? pl.load : pl.run;
	img->kernel_end = pl.run + pl.need;
	if (pl.load + bi.payload_size > img->kernel_end)
		img->kernel_end = pl.load + bi.payload_size;

	/* initrd_addr_max is the highest address the initrd's last byte may use. */
	limit = (uint64_t)bi.initrd_addr_max + 1;
	if (limit > LAYOUT_MMIO_HOLE)
		limit = LAYOUT_MMIO_HOLE;
	rc = boot_plan_initrd(f, map, limit, img->kernel_end, img, err);
	if (rc < 0)
		return rc;

	/* Every check passed: now write. */
	if (gm_write(gm, pl.load, f->kernel + bi.setup_size, bi.payload_size) < 0 ||
	    boot_write_initrd(f, gm, img) < 0 || boot_write_cmdline(f, gm, img) < 0)
		return errf(err, -EFAULT, "%s: guest RAM does not back the e820 RAM map",
			    f->kernel_name);
	bp_fill(bp, f->kernel, map, img);
	if (gm_write(gm, LAYOUT_BOOT_PARAMS, bp, sizeof(bp)) < 0)
		return errf(err, -EFAULT, "%s: guest RAM does not cover boot_params at 0x%llx",
			    f->kernel_name, LAYOUT_BOOT_PARAMS);
	return 0;
}
