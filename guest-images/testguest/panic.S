/* SPDX-License-Identifier: MIT */
/*
 * panic_with_known_regs: report a panic to pvpanic with every general
 * register holding a value the tests look for in the crash dump's
 * NT_PRSTATUS note, on a stack of our own (rsp = panic_stack_top), and
 * never return. The values are listed in docs/testguest.md; %al and %dx
 * double as the port write's operands (PANICKED = 1 to port 0x505), so rax
 * ends in 01 and rdx in 0505.
 *
 * After the write the CPU spins at CPL0: the VMM stops the VM on the
 * panic. Which RIP the dump shows (the out instruction or the one after it)
 * depends on when the VMM reads the registers; both are exported.
 */
	.section .text
	.code64

	.globl panic_with_known_regs
panic_with_known_regs:
	cli
	mov	$panic_stack_top, %rsp
	movabs	$0x1111111111111101, %rax
	movabs	$0x2222222222222222, %rbx
	movabs	$0x3333333333333333, %rcx
	movabs	$0x4444444444440505, %rdx
	movabs	$0x5555555555555555, %rsi
	movabs	$0x6666666666666666, %rdi
	movabs	$0x7777777777777777, %rbp
	movabs	$0x8888888888888888, %r8
	movabs	$0x9999999999999999, %r9
	movabs	$0xaaaaaaaaaaaaaaaa, %r10
	movabs	$0xbbbbbbbbbbbbbbbb, %r11
	movabs	$0xcccccccccccccccc, %r12
	movabs	$0xdddddddddddddddd, %r13
	movabs	$0xeeeeeeeeeeeeeeee, %r14
	movabs	$0xf0f0f0f0f0f0f0f0, %r15
	.globl panic_out_insn
panic_out_insn:
	outb	%al, %dx
	.globl panic_after_out
panic_after_out:
1:	pause
	jmp	1b

/*
 * ap_loop_with_markers(apic_id): an AP of vmcoreinfo cpus=N. Loads r12..r15
 * with VMCI_AP_MARKER(apic_id, 12..15) (vmci.h: 0x4150 << 48 | id << 16 |
 * register number), counts itself in vmci_aps_looping, and loops reading
 * pvpanic's port at CPL0, so the VMM finds it in (or right after) a
 * port-IO exit when it stops the VM for the dump. Never returns.
 */
	.globl ap_loop_with_markers
ap_loop_with_markers:
	cli
	mov	%edi, %eax
	shl	$16, %rax
	movabs	$0x4150000000000000, %rcx
	or	%rcx, %rax
	lea	12(%rax), %r12
	lea	13(%rax), %r13
	lea	14(%rax), %r14
	lea	15(%rax), %r15
	lock incl vmci_aps_looping(%rip)
	mov	$0x505, %dx
2:	inb	%dx, %al
	jmp	2b

	.section .noinit, "aw", @nobits
	.balign	16
panic_stack:
	.skip	4096
	.globl panic_stack_top
panic_stack_top:
