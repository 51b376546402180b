/* SPDX-License-Identifier: MIT */
/*
 * Guest physical memory layout (shared/DESIGN.md §3). Plain #defines only, so
 * the freestanding firmware and test guests can include it too.
 */
#ifndef MICROVM_LAYOUT_H
#define MICROVM_LAYOUT_H

/* Low RAM: boot structures the VMM writes before the first instruction. */
#define LAYOUT_GDT 0x500ULL		/* 4 descriptors: null, null, code32 0x10, data 0x18 */
#define LAYOUT_START_INFO 0x1000ULL	/* PVH hvm_start_info */
#define LAYOUT_MODLIST 0x1100ULL	/* PVH module list (initrd = module 0) */
#define LAYOUT_MEMMAP 0x1200ULL	/* PVH memmap / scratch, up to 0x2000 */
#define LAYOUT_MEMMAP_MAX 128		/* entries */
#define LAYOUT_BOOT_PARAMS 0x7000ULL	/* Linux zero page */
#define LAYOUT_CMDLINE 0x20000ULL	/* kernel command line */
#define LAYOUT_CMDLINE_MAX 0x10000ULL	/* bytes including the NUL */
#define LAYOUT_FIRMWARE 0x90000ULL	/* firmware image; its stack grows down from the top */
#define LAYOUT_FIRMWARE_MAX 0xC000ULL
#define LAYOUT_FIRMWARE_STACK 0x9F000ULL
#define LAYOUT_LOWMEM_END 0xA0000ULL	/* end of e820 low RAM */

/* Legacy hole 0xA0000-0xDFFFF: backed by RAM but absent from e820. */
#define LAYOUT_FSEG 0xE0000ULL		/* linker/loader FSEG zone (RSDP), e820 reserved */
#define LAYOUT_FSEG_END 0x100000ULL
/*
 * F000:FFF0, where a real-mode reboot jumps (Linux's machine_real_restart,
 * its last resort and its choice on an ACPI hardware-reduced platform
 * without EFI): 16 bytes that reset the machine through the ACPI reset
 * register, then the 8042. The firmware's FSEG zone stops below it.
 */
#define LAYOUT_RESET_STUB 0xFFFF0ULL

#define LAYOUT_KERNEL 0x100000ULL	/* 1 MiB: protected-mode kernel */

/* The top LAYOUT_HIGH_ZONE_SIZE bytes of low RAM are the HIGH zone, e820 reserved. */
#define LAYOUT_HIGH_ZONE_SIZE 0x100000ULL

#define LAYOUT_MMIO_HOLE 0xC0000000ULL	/* 3 GiB: RAM stops here and resumes at 4 GiB */
#define LAYOUT_4G 0x100000000ULL
#define LAYOUT_IOAPIC 0xFEC00000ULL
#define LAYOUT_LAPIC 0xFEE00000ULL

/* Smallest and largest --mem accepted. */
#define LAYOUT_MEM_MIN (32ULL << 20)
#define LAYOUT_MEM_MAX (1ULL << 40)

#endif
