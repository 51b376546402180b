/* SPDX-License-Identifier: MIT */
/*
 * 32-bit entry points and the switch to long mode.
 *
 * Both boot protocols enter in 32-bit flat protected mode with paging off
 * and interrupts off (Linux boot protocol "32-bit boot protocol"; PVH
 * "xen/arch-x86/hvm/start_info.h"). Nothing about the loader's GDT or stack
 * is trusted: we load our own GDT and stack before touching memory.
 *
 * The identity map built here covers 0-4 GiB with 2 MiB pages (this host
 * has no 1 GiB pages); paging.c extends it over RAM above 4 GiB once the
 * memory map has been read. Every entry has U/S set so CPL3 code can run.
 */
#include "guest-images/testguest/asm.h"

	.section .text.entry32, "ax"
	.code32

/* bzImage: code32_start points at the first byte of the protected-mode
 * payload, which is this label (guest.ld places .text.entry32 first). */
	.globl linux_entry32
linux_entry32:
	cli
	cld
	mov	$BOOT_PROTO_LINUX, %ebp
	jmp	entry32_common

/* PVH: the XEN_ELFNOTE_PHYS32_ENTRY note below points here. */
	.globl pvh_entry32
pvh_entry32:
	cli
	cld
	mov	%ebx, %esi
	mov	$BOOT_PROTO_PVH, %ebp

/* %esi = boot structure, %ebp = protocol; both survive to kmain. */
entry32_common:
	lgdt	gdt_ptr
	ljmp	$SEL_CODE32, $1f
1:	LOAD_DATA_SEGMENTS SEL_DATA
	mov	$boot_stack_top, %esp

	/* PML4 and PDPT start empty. */
	mov	$pml4, %edi
	xor	%eax, %eax
	mov	$2048, %ecx
	rep stosl
	movl	$(pdpt + PTE_P + PTE_RW + PTE_US), pml4

	/* PDPT[0..3] -> the four low page directories. */
	mov	$pd_low + PTE_P + PTE_RW + PTE_US, %eax
	xor	%ecx, %ecx
2:	mov	%eax, pdpt(,%ecx,8)
	add	$4096, %eax
	inc	%ecx
	cmp	$4, %ecx
	jne	2b

	/* 2048 PDEs: 2 MiB each; 3-4 GiB (the MMIO hole) uncached. */
	mov	$PTE_P + PTE_RW + PTE_US + PTE_PS, %eax
	xor	%ecx, %ecx
3:	cmp	$1536, %ecx
	jne	4f
	or	$PTE_PCD + PTE_PWT, %eax
4:	mov	%eax, pd_low(,%ecx,8)
	movl	$0, pd_low+4(,%ecx,8)
	add	$0x200000, %eax
	inc	%ecx
	cmp	$2048, %ecx
	jne	3b

	ENTER_LONG_MODE long_entry

	.code64
long_entry:
	LOAD_DATA_SEGMENTS SEL_DATA
	mov	$boot_stack_top, %esp

	/* A bzImage loader does not clear .bss (Linux clears its own). */
	mov	$__bss_start, %edi
	mov	$__bss_end, %ecx
	sub	%edi, %ecx
	shr	$3, %ecx
	xor	%eax, %eax
	rep stosq

	mov	%ebp, %edi
	/* %esi still holds the boot structure address */
	call	kmain
	ud2

	.section .data
	.balign 16
	.globl gdt
gdt:
	.quad	0
	.quad	0x00cf9a000000ffff	/* SEL_CODE32 */
	.quad	0x00af9a000000ffff	/* SEL_CODE64: L=1 */
	.quad	0x00cf92000000ffff	/* SEL_DATA */
	.quad	0x00cff2000000ffff	/* SEL_UDATA, DPL3 */
	.quad	0x00affa000000ffff	/* SEL_UCODE64, DPL3 */
	.fill	2 * MAX_CPUS, 8, 0	/* SEL_TSS_OF(APIC ID), filled by cpu_init(_ap) */
gdt_end:
	.globl gdt_ptr
gdt_ptr:
	.word	gdt_end - gdt - 1
	.long	gdt

	.section .noinit, "aw", @nobits
	.balign 4096
	.globl pml4
pml4:	.skip	4096
	.globl pdpt
pdpt:	.skip	4096
	.globl pd_low
pd_low:	.skip	4 * 4096
	.balign 16
boot_stack:
	.skip	STACK_SIZE
	.globl boot_stack_top
boot_stack_top:

/* PVH entry note: name "Xen", type XEN_ELFNOTE_PHYS32_ENTRY (18), a 32-bit
 * physical entry address (xen/include/public/elfnote.h). */
	.section .note.Xen, "a", @note
	.balign 4
	.long	4		/* namesz */
	.long	4		/* descsz */
	.long	18		/* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz	"Xen"
	.long	pvh_entry32

	.section .note.GNU-stack, "", @progbits
