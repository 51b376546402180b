/* SPDX-License-Identifier: MIT */
/*
 * Kernel loading: a Linux bzImage through the 32-bit boot protocol, or an ELF
 * with a PVH entry note (shared/DESIGN.md §9). Parsing works on a byte buffer
 * and loading on a struct guest_mem, so both are unit-tested without KVM.
 */
#ifndef MICROVM_BOOT_H
#define MICROVM_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/e820.h"
#include "vmm/err.h"
#include "vmm/guest_mem.h"

enum boot_protocol {
	BOOT_LINUX = 1, /* bzImage, 32-bit entry, ESI = boot_params */
	BOOT_PVH = 2,	/* PVH ELF, 32-bit entry, EBX = hvm_start_info */
};

/* The result of loading: everything the boot vCPU (or the firmware) needs. */
struct boot_image {
	enum boot_protocol proto;
	uint32_t entry;	      /* 32-bit entry point (guest physical) */
	uint32_t boot_struct; /* boot_params or hvm_start_info address */
	uint64_t kernel_start, kernel_end; /* bytes the kernel occupies once loaded */
	uint64_t initrd_addr, initrd_size;
	uint64_t cmdline_addr, cmdline_size; /* size includes the NUL */
	uint32_t rsdp_offset; /* where the firmware stores the RSDP address in boot_struct */
};

/* Files as read from disk. */
struct boot_files {
	const char *kernel_name;
	const uint8_t *kernel;
	size_t kernel_size;
	const char *initrd_name;
	const uint8_t *initrd; /* NULL when there is none */
	size_t initrd_size;
	const char *cmdline; /* never NULL */
};

/* ---- bzImage (vmm/boot_bzimage.c) ---- */

/* Facts from a bzImage setup header, validated against the file size. */
struct bzimage_info {
	uint16_t version;	 /* boot protocol version, e.g. 0x020f */
	uint32_t setup_size;	 /* bytes of real-mode setup (setup_sects + 1) * 512 */
	uint32_t payload_offset; /* == setup_size */
	uint32_t payload_size;	 /* protected-mode code bytes: syssize * 16 */
	uint64_t pref_address;	 /* where the protected-mode code wants to live */
	uint32_t init_size;	 /* memory the kernel needs from its load address */
	uint32_t kernel_alignment;
	uint32_t cmdline_size;	 /* max command line length without NUL */
	uint32_t initrd_addr_max;
	uint8_t relocatable;
	uint16_t xloadflags;
};

/* 1 if the buffer looks like a bzImage at all (HdrS magic), else 0. */
int bzimage_probe(const uint8_t *buf, size_t size);
/* Validate the header; -EINVAL with a message naming the problem. */
int bzimage_parse(const uint8_t *buf, size_t size, struct bzimage_info *info, struct errbuf *err);
int bzimage_load(const struct boot_files *f, const struct guest_mem *gm, const struct e820_map *map,
		 struct boot_image *img, struct errbuf *err);

/* ---- PVH ELF (vmm/boot_pvh.c) ---- */

#define PVH_MAX_SEGMENTS 16

struct pvh_segment {
	uint64_t paddr;
	uint64_t offset; /* in the file */
	uint64_t filesz;
	uint64_t memsz;
};

struct pvh_info {
	uint32_t entry; /* XEN_ELFNOTE_PHYS32_ENTRY */
	unsigned nr_segments;
	struct pvh_segment seg[PVH_MAX_SEGMENTS];
	uint64_t lowest, highest; /* [lowest, highest) covered by the segments */
};

/* 1 if the buffer is an ELF file (any class), else 0. */
int pvh_probe(const uint8_t *buf, size_t size);
int pvh_parse(const uint8_t *buf, size_t size, struct pvh_info *info, struct errbuf *err);
int pvh_load(const struct boot_files *f, const struct guest_mem *gm, const struct e820_map *map,
	     struct boot_image *img, struct errbuf *err);

/*
 * Linux x86's COMMAND_LINE_SIZE (arch/x86/include/asm/setup.h), NUL
 * included: what a Linux booted through PVH keeps. A bzImage says its limit
 * (cmdline_size); PVH has no such field, so a longer line is only warned
 * about (other PVH kernels, like the test guest, take more).
 */
#define PVH_LINUX_CMDLINE_SIZE 2048

/* The command line's length if Linux would cut it (see above), else 0. */
size_t pvh_cmdline_too_long_for_linux(const struct boot_files *f);

/* ---- common (vmm/boot.c) ---- */

/* Detect the format and load it; writes the boot structures too. */
int boot_load(const struct boot_files *f, const struct guest_mem *gm, const struct e820_map *map,
	      struct boot_image *img, struct errbuf *err);

/* Where the initrd goes: highest 4 KiB-aligned spot in e820 RAM below `limit`. */
int boot_place_initrd(const struct e820_map *map, uint64_t size, uint64_t limit, uint64_t avoid_end,
		      uint64_t *addr);

/* The GDT the VMM writes at LAYOUT_GDT for the 32-bit entry state (boot_load writes it too). */
int boot_write_gdt(const struct guest_mem *gm);
/* The 16-byte reset stub at LAYOUT_RESET_STUB (F000:FFF0). */
int boot_write_reset_stub(const struct guest_mem *gm, uint16_t reset_port, uint8_t reset_value);

/* ---- helpers the two loaders share (vmm/boot.c) ---- */

/*
 * 0 if [start, start + len) lies inside one e820 RAM entry and clear of the
 * boot structures in low RAM; else -ENOMEM/-EINVAL with a message naming
 * `name`, `what` and the --mem that would fit.
 */
int boot_check_range(const struct e820_map *map, const char *name, const char *what, uint64_t start,
		     uint64_t len, struct errbuf *err);
/* Check the command line against max_len bytes (without the NUL). */
int boot_check_cmdline(const struct boot_files *f, uint64_t max_len, struct errbuf *err);
/* Write the command line at LAYOUT_CMDLINE (checked before) and fill img->cmdline_*. */
int boot_write_cmdline(const struct boot_files *f, const struct guest_mem *gm,
		       struct boot_image *img);
/* Place the initrd (if any) below `limit` and above `avoid_end`; fills img->initrd_*. */
int boot_plan_initrd(const struct boot_files *f, const struct e820_map *map, uint64_t limit,
		     uint64_t avoid_end, struct boot_image *img, struct errbuf *err);
/* Copy the initrd where boot_plan_initrd put it. */
int boot_write_initrd(const struct boot_files *f, const struct guest_mem *gm,
		      const struct boot_image *img);
/* Smallest "nice" --mem (a power of two in MiB) whose low RAM reaches `end`; 0 if none. */
uint64_t boot_suggest_mem(uint64_t end);

#endif
