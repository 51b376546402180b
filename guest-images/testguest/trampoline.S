/* SPDX-License-Identifier: MIT */
/*
 * AP start-up code. smp.c copies [trampoline_start, trampoline_end) to
 * TRAMPOLINE_BASE and sends INIT-SIPI-SIPI with vector TRAMPOLINE_BASE >> 12
 * (SDM Vol. 3A §9.4.4). An AP starts here in real mode with CS =
 * TRAMPOLINE_BASE >> 4, IP = 0, and goes straight to long mode on the boot
 * CPU's GDT and page tables; everything it needs is a link-time constant,
 * so the copy needs no patching.
 */
#include "guest-images/testguest/asm.h"

#define TR(sym) (TRAMPOLINE_BASE + ((sym) - trampoline_start))

	.section .rodata.trampoline, "a"
	.code16
	.globl trampoline_start
trampoline_start:
	cli
	cld
	mov	%cs, %ax
	mov	%ax, %ds
	lgdtl	tr_gdt_ptr - trampoline_start
	mov	%cr0, %eax
	or	$CR0_PE, %eax
	mov	%eax, %cr0
	ljmpl	$SEL_CODE32, $TR(tr_pm32)

	.code32
tr_pm32:
	LOAD_DATA_SEGMENTS SEL_DATA
	ENTER_LONG_MODE TR(tr_lm64)

	.code64
tr_lm64:
	mov	$ap_entry64, %eax
	jmp	*%rax

	.balign 8
tr_gdt_ptr:
	.word	GDT_ENTRIES * 8 - 1
	.long	gdt
	.globl trampoline_end
trampoline_end:

/* Long mode in the kernel image: pick a CPU slot and a stack, enter C. */
	.text
	.code64
ap_entry64:
	LOAD_DATA_SEGMENTS SEL_DATA
	mov	$1, %eax
	lock xadd %eax, ap_next_slot(%rip)
	cmp	$MAX_CPUS - 1, %eax
	jae	ap_park
	mov	%eax, %edi		/* slot 0 is the first AP */
	inc	%eax
	imul	$AP_STACK_SIZE, %eax
	lea	ap_stacks(%rip), %rsp
	add	%rax, %rsp
	call	ap_main
ap_park:
	cli
	hlt
	jmp	ap_park

	.bss
	.balign 4
	.globl ap_next_slot
ap_next_slot:
	.long	0

	.section .noinit, "aw", @nobits
	.balign 16
ap_stacks:
	.skip	AP_STACK_SIZE * (MAX_CPUS - 1)

	.section .note.GNU-stack, "", @progbits
