/* SPDX-License-Identifier: MIT */
/*
 * Constants shared by the test guest's assembly and C: GDT selectors, page
 * table bits and fixed low-memory addresses. Plain #defines only.
 */
#ifndef TESTGUEST_ASM_H
#define TESTGUEST_ASM_H

/* GDT layout (gdt in entry.S). The AP trampoline uses the same table. */
#define SEL_CODE32 0x08
#define SEL_CODE64 0x10
#define SEL_DATA 0x18
#define SEL_UDATA 0x20 /* DPL3; used as 0x23 */
#define SEL_UCODE64 0x28 /* DPL3; used as 0x2B */
#define SEL_TSS 0x30	 /* 16-byte system descriptors, one per APIC ID: SEL_TSS_OF(id) */
#define SEL_TSS_OF(apic_id) (SEL_TSS + 16 * (apic_id))
#define GDT_ENTRIES (6 + 2 * MAX_CPUS)

/* How the guest was entered (the register holding the boot structure). */
#define BOOT_PROTO_LINUX 1 /* ESI = boot_params */
#define BOOT_PROTO_PVH 2   /* EBX = hvm_start_info */

/* Page table entry bits (SDM Vol. 3A §4.5, table 4-15..4-19). */
#define PTE_P 0x001
#define PTE_RW 0x002
#define PTE_US 0x004 /* on everywhere: CPL3 code runs on the identity map */
#define PTE_PWT 0x008
#define PTE_PCD 0x010
#define PTE_PS 0x080 /* 2 MiB page in a PD entry */

/* CR/MSR bits used by the mode switches. */
#define CR0_PE 0x00000001
#define CR0_PG 0x80000000
#define CR4_PAE 0x00000020
#define MSR_EFER 0xC0000080
#define EFER_LME 0x00000100

/*
 * The AP start-up page. Below 1 MiB and clear of every boot structure the
 * loaders use: hvm_start_info 0x1000-0x2000, boot_params 0x7000, the
 * bzImage setup at 0x10000, the command line at 0x20000, firmware
 * 0x90000-0x9FFFF.
 */
#define TRAMPOLINE_BASE 0x8000
#define TRAMPOLINE_SIPI_VECTOR (TRAMPOLINE_BASE >> 12)

/* Stacks: boot CPU and its user mode; each AP (which reports, then parks or
 * runs a little code) gets smaller ones. CPL3 -> CPL0 entries use the
 * kernel stack user_call left (cpu.c). */
#define STACK_SIZE 16384
#define AP_STACK_SIZE 4096
#define AP_USER_STACK_SIZE 2048
#define MAX_CPUS 32 /* also: APIC IDs below this */

#ifdef __ASSEMBLER__
/* Point every data segment register at selector \sel (through %eax). */
.macro LOAD_DATA_SEGMENTS sel
	mov	$\sel, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	mov	%eax, %fs
	mov	%eax, %gs
.endm

/* From 32-bit protected mode to long mode on the page tables at pml4
 * (SDM Vol. 3A §10.8.5: PAE, CR3, EFER.LME, then CR0.PG), then a far jump
 * to the 64-bit code at \target. Clobbers %eax, %ecx, %edx. */
.macro ENTER_LONG_MODE target
	mov	%cr4, %eax
	or	$CR4_PAE, %eax
	mov	%eax, %cr4
	mov	$pml4, %eax
	mov	%eax, %cr3
	mov	$MSR_EFER, %ecx
	rdmsr
	or	$EFER_LME, %eax
	wrmsr
	mov	%cr0, %eax
	or	$CR0_PG + CR0_PE, %eax
	mov	%eax, %cr0
	ljmp	$SEL_CODE64, $\target
.endm
#endif

#endif
