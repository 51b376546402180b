/* SPDX-License-Identifier: MIT */
/* Flat image linked at FW_BASE; the VMM loads it there and starts at its first byte. */
#include "firmware/fw_layout.h"

OUTPUT_FORMAT("elf32-i386")
OUTPUT_ARCH(i386)
ENTRY(_start)

SECTIONS
{
	. = FW_BASE;
	.text : { KEEP(*(.text.entry)) *(.text .text.*) }
	.rodata : { *(.rodata .rodata.*) }
	.data : { *(.data .data.*) }
	__image_end = .;
	/* Zeroed by entry.S: RAM survives a VM reset, so nothing here starts as zero. */
	.bss (NOLOAD) : ALIGN(16) { __bss_start = .; *(.bss .bss.* COMMON) . = ALIGN(4); __bss_end = .; }
	/* Large buffers the code fills before reading; not worth zeroing at ~1 us an instruction. */
	.noinit (NOLOAD) : ALIGN(16) { *(.noinit .noinit.*) }
	__fw_end = .;
	/DISCARD/ : { *(.comment) *(.note .note.*) *(.eh_frame .eh_frame_hdr) }
}

ASSERT(__fw_end <= FW_STACK_BOTTOM, "firmware image and buffers overlap the stack")
