/* SPDX-License-Identifier: MIT */
/*
 * The VMM -> firmware hand-off, fw_cfg file "etc/microvm/boot" (read-only,
 * little-endian, 32 bytes). The VMM has already loaded the kernel, the
 * initrd, the command line and the boot structure (boot_params or
 * hvm_start_info) into RAM; the firmware runs the ACPI linker/loader, stores
 * the RSDP address into the boot structure and jumps to the entry:
 *
 *   proto MVBOOT_LINUX: *(u64 *)(boot_struct + 0x070) = rsdp;  ESI = boot_struct
 *   proto MVBOOT_PVH:   *(u64 *)(boot_struct + 32)    = rsdp;  EBX = boot_struct
 *
 * in 32-bit flat protected mode, paging off, interrupts off, CS 0x10,
 * DS/ES/SS 0x18 (the GDT at LAYOUT_GDT that the VMM wrote).
 * Freestanding: plain C types only, includable by firmware and VMM.
 */
#ifndef MICROVM_BOOT_ABI_H
#define MICROVM_BOOT_ABI_H

#define MVBOOT_FILE "etc/microvm/boot"
#define MVBOOT_MAGIC 0x544f4f42u /* "BOOT" little-endian */
#define MVBOOT_VERSION 1u

#define MVBOOT_LINUX 1u
#define MVBOOT_PVH 2u

#define MVBOOT_OFF_MAGIC 0	 /* u32 */
#define MVBOOT_OFF_VERSION 4	 /* u32 */
#define MVBOOT_OFF_PROTO 8	 /* u32 MVBOOT_LINUX or MVBOOT_PVH */
#define MVBOOT_OFF_ENTRY 12	 /* u32 32-bit entry point */
#define MVBOOT_OFF_BOOT_STRUCT 16 /* u32 boot_params / hvm_start_info address */
#define MVBOOT_OFF_RSDP_FIELD 20 /* u32 offset of the u64 RSDP field inside it */
#define MVBOOT_OFF_FLAGS 24	 /* u32 MVBOOT_FLAG_* bits */
#define MVBOOT_OFF_RESERVED 28	 /* u32, 0 */
#define MVBOOT_SIZE 32

#define MVBOOT_FLAG_VERBOSE 0x1u /* firmware prints its progress on COM1 */

/*
 * How the firmware reports: it prints on COM1 (0x3F8) and, when it must
 * stop, writes a status byte to this port (the VMM exits with a clear
 * message naming the failure) instead of spinning with HLT, which never
 * exits to the VMM with the in-kernel irqchip.
 */
#define MVBOOT_STATUS_PORT 0x50C
#define MVBOOT_STATUS_OK 0x00	    /* about to jump to the kernel */
#define MVBOOT_STATUS_NO_FWCFG 0x01 /* signature or DMA feature missing */
#define MVBOOT_STATUS_LOADER 0x02   /* a loader command failed (details on COM1) */
#define MVBOOT_STATUS_BOOT 0x03	    /* etc/microvm/boot missing or malformed */

#endif
