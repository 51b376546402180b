/* SPDX-License-Identifier: MIT */
/*
 * Kernel loading, the common part: format detection, the checks both loaders
 * share (RAM ranges, command line, initrd placement) and the GDT for the
 * 32-bit entry state. The formats themselves live in boot_bzimage.c and
 * boot_pvh.c.
 *
 * Everything here writes guest RAM only through gm_ptr()/gm_write(), and only
 * after every check has passed, so a refused file leaves RAM untouched and
 * loading the same files again (after a reset) gives the same bytes.
 */
#include "vmm/boot.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vmm/layout.h"
#include "vmm/util.h"

/* Boot structures and the firmware in low RAM: no kernel byte may land here. */
static const struct boot_area {
	uint64_t start, end;
	const char *what;
} boot_areas[] = {
	{ LAYOUT_GDT, LAYOUT_GDT + 32, "boot GDT" },
	{ LAYOUT_START_INFO, LAYOUT_START_INFO + 0x1000, "PVH start info, module list and memory map" },
	{ LAYOUT_BOOT_PARAMS, LAYOUT_BOOT_PARAMS + 0x1000, "Linux boot_params" },
	{ LAYOUT_CMDLINE, LAYOUT_CMDLINE + LAYOUT_CMDLINE_MAX, "kernel command line" },
	{ LAYOUT_FIRMWARE, LAYOUT_LOWMEM_END, "firmware and its stack" },
};

/* The start info page holds the module list and the memory map too. */
_Static_assert(LAYOUT_MODLIST >= LAYOUT_START_INFO + 56, "start info overlaps the module list");
_Static_assert(LAYOUT_MEMMAP >= LAYOUT_MODLIST + 32, "module list overlaps the memmap");
_Static_assert(LAYOUT_MEMMAP + LAYOUT_MEMMAP_MAX * 24 <= LAYOUT_START_INFO + 0x1000,
	       "memmap runs past the start info page");

/* Whole MiB, rounded up, as uint64_t for PRIu64. */
static uint64_t mib_up(uint64_t bytes)
{
	return (bytes >> 20) + ((bytes & (MiB - 1)) != 0);
}

uint64_t boot_suggest_mem(uint64_t end)
{
	uint64_t need, mem;

	/* Low RAM ends LAYOUT_HIGH_ZONE_SIZE below min(--mem, 3 GiB) (e820.c). */
	if (end > LAYOUT_MMIO_HOLE - LAYOUT_HIGH_ZONE_SIZE)
		return 0;
	need = end + LAYOUT_HIGH_ZONE_SIZE;
	for (mem = LAYOUT_MEM_MIN; mem < need; mem <<= 1)
		;
	return mem;
}

/* The e820 entry containing addr, or NULL. */
static const struct e820_entry *entry_of(const struct e820_map *map, uint64_t addr)
{
	for (unsigned i = 0; i < map->nr; i++) {
		const struct e820_entry *e = &map->e[i];
		if (addr >= e->addr && addr - e->addr < e->size)
			return e;
	}
	return NULL;
}

static int range_error(const struct e820_map *map, const char *name, const char *what,
		       uint64_t start, uint64_t len, struct errbuf *err)
{
	const struct e820_entry *e = entry_of(map, start);
	uint64_t mem = start + len >= start ? boot_suggest_mem(start + len) : 0;
	char there[96];

	if (e && e->type == E820_RAM)
		snprintf(there, sizeof(there), "only %" PRIu64 " MiB of RAM there",
			 (e->addr + e->size - start) >> 20);
	else
		snprintf(there, sizeof(there), "which is not RAM");
	if (mem)
		return errf(err, -ENOMEM, "%s: %s needs %" PRIu64 " MiB from 0x%" PRIx64
			    ", %s; use --mem %" PRIu64 "M", name, what, mib_up(len), start, there,
			    mem >> 20);
	return errf(err, -ENOMEM, "%s: %s needs %" PRIu64 " MiB from 0x%" PRIx64
		    ", %s; it cannot fit below the 3 GiB MMIO hole", name, what, mib_up(len), start,
		    there);
}

int boot_check_range(const struct e820_map *map, const char *name, const char *what, uint64_t start,
		     uint64_t len, struct errbuf *err)
{
	if (len == 0)
		return 0;
	if (start + len < start)
		return errf(err, -EINVAL, "%s: %s at 0x%" PRIx64 " + 0x%" PRIx64
			    " wraps around the address space", name, what, start, len);
	for (size_t i = 0; i < ARRAY_SIZE(boot_areas); i++) {
		const struct boot_area *a = &boot_areas[i];
		if (ranges_overlap(start, len, a->start, a->end - a->start))
			return errf(err, -EINVAL, "%s: %s at 0x%" PRIx64 "-0x%" PRIx64
				    " overlaps the %s at 0x%" PRIx64 "-0x%" PRIx64
				    "; link the kernel at 1 MiB or above", name, what, start,
				    start + len, a->what, a->start, a->end);
	}
	if (e820_type_of(map, start, len) != E820_RAM)
		return range_error(map, name, what, start, len, err);
	return 0;
}

int boot_check_cmdline(const struct boot_files *f, uint64_t max_len, struct errbuf *err)
{
	size_t len = strnlen(f->cmdline, LAYOUT_CMDLINE_MAX);

	if (max_len > LAYOUT_CMDLINE_MAX - 1)
		max_len = LAYOUT_CMDLINE_MAX - 1;
	if (len > max_len)
		return errf(err, -E2BIG, "%s: the command line is %s%zu bytes, the kernel accepts at most %" PRIu64,
			    f->kernel_name, len == LAYOUT_CMDLINE_MAX ? "at least " : "", len, max_len);
	return 0;
}

int boot_write_cmdline(const struct boot_files *f, const struct guest_mem *gm,
		       struct boot_image *img)
{
	size_t len = strnlen(f->cmdline, LAYOUT_CMDLINE_MAX - 1);
	uint8_t *p = gm_ptr(gm, LAYOUT_CMDLINE, LAYOUT_CMDLINE_MAX);

	if (!p)
		return -EFAULT;
	/* The whole area, so a reload leaves no tail of a longer earlier line. */
	memset(p, 0, LAYOUT_CMDLINE_MAX);
	memcpy(p, f->cmdline, len);
	img->cmdline_addr = LAYOUT_CMDLINE;
	img->cmdline_size = len + 1;
	return 0;
}

int boot_place_initrd(const struct e820_map *map, uint64_t size, uint64_t limit, uint64_t avoid_end,
		      uint64_t *addr)
{
	uint64_t best = 0;
	int found = 0;

	if (size == 0)
		return -EINVAL;
	/* Low RAM below 1 MiB holds the boot structures and the firmware. */
	if (avoid_end < LAYOUT_KERNEL)
		avoid_end = LAYOUT_KERNEL;
	for (unsigned i = 0; i < map->nr; i++) {
		const struct e820_entry *e = &map->e[i];
		uint64_t top = e->addr + e->size, at;

		if (e->type != E820_RAM)
			continue;
		if (top > limit)
			top = limit;
		if (top < size)
			continue;
		at = align_down(top - size, 4 * KiB);
		if (at < e->addr || at < avoid_end)
			continue;
		if (!found || at > best)
			best = at;
		found = 1;
	}
	if (!found)
		return -ENOSPC;
	*addr = best;
	return 0;
}

int boot_plan_initrd(const struct boot_files *f, const struct e820_map *map, uint64_t limit,
		     uint64_t avoid_end, struct boot_image *img, struct errbuf *err)
{
	uint64_t addr, mem;

	img->initrd_addr = img->initrd_size = 0;
	if (!f->initrd)
		return 0;
	if (f->initrd_size == 0)
		return errf(err, -EINVAL, "%s: the initrd is empty", f->initrd_name);
	if (boot_place_initrd(map, f->initrd_size, limit, avoid_end, &addr) == 0) {
		img->initrd_addr = addr;
		img->initrd_size = f->initrd_size;
		return 0;
	}
	if (avoid_end < LAYOUT_KERNEL)
		avoid_end = LAYOUT_KERNEL;
	mem = 0;
	if (f->initrd_size <= LAYOUT_MMIO_HOLE && avoid_end + f->initrd_size + 4 * KiB <= limit)
		mem = boot_suggest_mem(avoid_end + f->initrd_size + 4 * KiB);
	if (mem)
		return errf(err, -ENOMEM, "%s: the %" PRIu64 " MiB initrd does not fit in RAM above the kernel's end at 0x%" PRIx64 "; use --mem %" PRIu64 "M",
			    f->initrd_name, mib_up(f->initrd_size), avoid_end, mem >> 20);
	return errf(err, -ENOMEM, "%s: the %" PRIu64 " MiB initrd does not fit between the kernel's end at 0x%" PRIx64 " and its limit 0x%" PRIx64,
		    f->initrd_name, mib_up(f->initrd_size), avoid_end, limit);
}

int boot_write_initrd(const struct boot_files *f, const struct guest_mem *gm,
		      const struct boot_image *img)
{
	if (!img->initrd_size)
		return 0;
	return gm_write(gm, img->initrd_addr, f->initrd, img->initrd_size);
}

int boot_write_gdt(const struct guest_mem *gm)
{
	/* Flat 4 GiB segments: G=1, D/B=1, P=1, DPL0; type 0xA code r/x, 0x2 data r/w. */
	static const uint64_t gdt[4] = { 0, 0, 0x00CF9A000000FFFFULL, 0x00CF92000000FFFFULL };
	uint8_t *p = gm_ptr(gm, LAYOUT_GDT, sizeof(gdt));

	if (!p)
		return -EFAULT;
	for (size_t i = 0; i < ARRAY_SIZE(gdt); i++)
		put_le64(p + 8 * i, gdt[i]);
	return 0;
}

int boot_write_reset_stub(const struct guest_mem *gm, uint16_t reset_port, uint8_t reset_value)
{
	/* Real mode: out reset_port, reset_value; out 0x64, 0xFE; then cli; hlt forever. */
	const uint8_t stub[16] = {
		0xB0, reset_value,			     /* mov al, reset_value */
		0xBA, reset_port & 0xFF, reset_port >> 8, /* mov dx, reset_port */
		0xEE,					     /* out dx, al */
		0xB0, 0xFE,				     /* mov al, 0xFE */
		0xE6, 0x64,				     /* out 0x64, al */
		0xFA,					     /* cli */
		0xF4,					     /* hlt */
		0xEB, 0xFD,				     /* jmp short hlt */
		0x90, 0x90,
	};

	return gm_write(gm, LAYOUT_RESET_STUB, stub, sizeof(stub));
}

int boot_load(const struct boot_files *f, const struct guest_mem *gm, const struct e820_map *map,
	      struct boot_image *img, struct errbuf *err)
{
	int rc;

	memset(img, 0, sizeof(*img));
	if (f->kernel_size == 0)
		return errf(err, -EINVAL, "%s: the kernel file is empty", f->kernel_name);
	if (pvh_probe(f->kernel, f->kernel_size))
		rc = pvh_load(f, gm, map, img, err);
	else if (bzimage_probe(f->kernel, f->kernel_size))
		rc = bzimage_load(f, gm, map, img, err);
	else if (f->kernel_size < 0x206)
		return errf(err, -EINVAL, "%s: truncated file (%zu bytes): not a bzImage (no HdrS) nor a PVH ELF",
			    f->kernel_name, f->kernel_size);
	else
		return errf(err, -EINVAL, "%s: not a bzImage (no HdrS) nor a PVH ELF", f->kernel_name);
	if (rc < 0)
		return rc;
	rc = boot_write_gdt(gm);
	if (rc < 0)
		return errf(err, rc, "%s: guest RAM does not cover the boot GDT at 0x%llx",
			    f->kernel_name, LAYOUT_GDT);
	return 0;
}
