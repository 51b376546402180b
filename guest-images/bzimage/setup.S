/* SPDX-License-Identifier: MIT */
/*
 * Real-mode setup for the test guest's bzImage: what a BIOS boot loader
 * (QEMU's linuxboot, GRUB's linux16) runs at the 16-bit entry, i.e. the
 * setup segment + 0x20, offset 0 (Documentation/arch/x86/boot.rst, "Running
 * the kernel"). It builds a zero page with the BIOS e820 map, enters 32-bit
 * protected mode and jumps to code32_start with ESI = boot_params, which is
 * exactly the state a 32-bit-protocol loader (microvm) sets up directly.
 *
 * The setup header (0x1F1-0x267) is left zero here; mkbzimage fills it.
 * Assembled at 0 and entered with CS = DS - 0x20, so addresses are file
 * offsets once DS/ES/SS point at the start of the setup.
 */
#define BP 0x1000	/* our zero page, inside the setup's 32 KiB */
#define STACK_TOP 0x3000
#define HDR_START 0x1F1
#define HDR_END 0x268	/* 0x202 + the jump displacement below */
#define E820_ENTRIES 0x1E8
#define E820_TABLE 0x2D0
#define E820_MAX 128
#define CODE32_START 0x214
#define SMAP 0x534d4150	/* "SMAP" */

	.code16
	.text
	.globl _start
_start:
	.org	0x200
	.byte	0xeb, setup_code - 1f	/* header length: 0x202 + this byte */
1:
	.org	HDR_END
setup_code:
	cli
	cld
	mov	%cs, %ax
	sub	$0x20, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	$STACK_TOP, %sp

	/* Zero page: zeroes, then the header the loader filled in. */
	mov	$BP, %di
	xor	%ax, %ax
	mov	$2048, %cx
	rep stosw
	mov	$HDR_START, %si
	mov	$BP + HDR_START, %di
	mov	$HDR_END - HDR_START, %cx
	rep movsb

	call	detect_e820

	/* A20 through the system control port (fast A20). */
	inb	$0x92, %al
	or	$0x02, %al
	and	$0xfe, %al
	outb	%al, $0x92

	/* Linear addresses of our segment's data. */
	xor	%ebx, %ebx
	mov	%ds, %bx
	shl	$4, %ebx
	lea	gdt(%ebx), %eax
	mov	%eax, gdt_ptr + 2
	lgdtl	gdt_ptr
	lea	BP(%ebx), %esi
	lea	pm32(%ebx), %eax

	mov	%cr0, %edx
	or	$1, %dl
	mov	%edx, %cr0
	pushl	$0x10
	pushl	%eax
	lretl

/* INT 15h, AX=E820h (ACPI 6.4 §15.1): 20-byte entries into the zero page. */
detect_e820:
	xor	%ebx, %ebx
	mov	$BP + E820_TABLE, %di
1:	mov	$0xe820, %eax
	mov	$20, %ecx
	mov	$SMAP, %edx
	push	%di
	int	$0x15
	pop	%di
	jc	2f
	cmp	$SMAP, %eax
	jne	2f
	add	$20, %di
	incb	BP + E820_ENTRIES
	cmpb	$E820_MAX, BP + E820_ENTRIES
	jae	2f
	test	%ebx, %ebx
	jnz	1b
2:	ret

	.code32
pm32:
	mov	$0x18, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	mov	%eax, %fs
	mov	%eax, %gs
	jmp	*CODE32_START(%esi)

	.balign 8
gdt:	/* the boot protocol's flat __BOOT_CS 0x10 and __BOOT_DS 0x18 */
	.quad	0
	.quad	0
	.quad	0x00cf9a000000ffff
	.quad	0x00cf93000000ffff
gdt_ptr:
	.word	gdt_ptr - gdt - 1
	.long	0

	.section .note.GNU-stack, "", @progbits
