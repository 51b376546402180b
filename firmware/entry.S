/* SPDX-License-Identifier: MIT */
/*
 * First bytes of the image. The VMM starts the boot vCPU here in 32-bit flat
 * protected mode, paging off, CS 0x10 and DS/ES/SS 0x18 from its GDT at
 * LAYOUT_GDT (shared/DESIGN.md §9); segments are left as they are.
 */
#include "firmware/fw_layout.h"

	.section .text.entry, "ax"
	.code32
	.globl _start
_start:
	cli
	cld
	movl	$FW_STACK_TOP, %esp
	xorl	%ebp, %ebp
	movl	$__bss_start, %edi
	movl	$__bss_end, %ecx
	subl	%edi, %ecx
	shrl	$2, %ecx
	xorl	%eax, %eax
	rep stosl
	call	fw_main
	/* fw_main never returns; if it did, stop where the VMM can see it. */
1:	hlt
	jmp	1b

/*
 * void fw_jump(uint32_t entry, uint32_t esi, uint32_t ebx): enter the kernel.
 * Linux's 32-bit protocol wants ESI = boot_params and EBP/EDI/EBX zero;
 * PVH wants EBX = hvm_start_info. Interrupts stay off.
 */
	.text
	.globl fw_jump
fw_jump:
	movl	4(%esp), %eax
	movl	8(%esp), %esi
	movl	12(%esp), %ebx
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	xorl	%edi, %edi
	xorl	%ebp, %ebp
	jmp	*%eax

	.section .note.GNU-stack, "", @progbits
