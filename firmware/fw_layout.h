/* SPDX-License-Identifier: MIT */
/*
 * Where the firmware lives, for the linker script and entry.S as well as C
 * (hence no ULL suffixes). main.c checks these against vmm/layout.h.
 *
 *   0x90000 .. image, .bss, .noinit buffers   (at most FW_MAX bytes)
 *   0x9C000 .. 0x9F000 stack (grows down from FW_STACK_TOP)
 */
#ifndef MICROVM_FIRMWARE_FW_LAYOUT_H
#define MICROVM_FIRMWARE_FW_LAYOUT_H

#define FW_BASE 0x90000
#define FW_MAX 0xC000
#define FW_STACK_TOP 0x9F000
#define FW_STACK_BOTTOM (FW_BASE + FW_MAX)

#endif
