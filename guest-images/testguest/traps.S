/* SPDX-License-Identifier: MIT */
/*
 * Interrupt entry stubs and the CPL3 round trip.
 *
 * Every vector gets a 16-byte stub at trap_stubs + 16 * vector that pushes
 * a uniform frame (a zero error code where the CPU pushes none; SDM Vol. 3A
 * §6.13 lists the vectors with one) and calls trap_handler, which reports
 * and fails the test, or, for a vector a scenario handles
 * (cpu_set_irq_handler), returns here to resume the interrupted code.
 *
 * User code comes back with an exception: UD2 at user_exit_ud2, which
 * trap_handler recognises and turns into user_resume. On this host's PVM
 * (paravirtualised KVM) neither usual way works: INT 0x80 at CPL3 never
 * reaches the guest IDT (execution continues after it), and SYSCALL jumps
 * to LSTAR but stays at CPL3. Exceptions at CPL3 are delivered everywhere.
 */
#include "guest-images/testguest/asm.h"

	.text
	.code64

	.balign 16
	.globl trap_stubs
trap_stubs:
	vec = 0
	.rept 256
	.balign 16
	.if vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || vec == 29 || vec == 30
	.else
	pushq	$0
	.endif
	pushq	$vec
	jmp	trap_common
	vec = vec + 1
	.endr

/* Frame layout: struct trap_frame in cpu.h. The CPU aligned %rsp to 16
 * before pushing its 5 words; 2 + 15 pushes keep it aligned for the call. */
trap_common:
	push	%rax
	push	%rbx
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi
	push	%rbp
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rsp, %rdi
	call	trap_handler
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rbp
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rcx
	pop	%rbx
	pop	%rax
	add	$16, %rsp		/* vector and error code */
	iretq

/*
 * uint64_t user_enter(fn, arg, rflags, void *rsp0, user_rsp)
 * Runs fn(arg) at CPL3 on the stack at user_rsp with the given RFLAGS and
 * returns its result (cpu.c's user_call wraps it). The kernel context stays
 * on this stack; its 16-aligned top goes to rsp0 (this CPU's TSS field), so
 * an interrupt or exception at CPL3 pushes its frame right below it (SDM
 * Vol. 3A §6.14.2: the CPU aligns rsp0 to 16 first; aligned already, the
 * frame ends exactly at rsp0). User code ends with UD2 (result in %rdi);
 * trap_handler then calls user_resume with the frame's end, which is rsp0.
 */
	.globl user_enter
user_enter:
	push	%rbx
	push	%rbp
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rsp, %rax
	and	$-16, %rsp
	push	%rax			/* padding */
	push	%rax			/* the unaligned %rsp, for user_resume */
	mov	%rsp, (%rcx)
	pushq	$SEL_UDATA + 3		/* SS */
	push	%r8			/* RSP */
	push	%rdx			/* RFLAGS */
	pushq	$SEL_UCODE64 + 3	/* CS */
	lea	user_entry(%rip), %rax
	push	%rax			/* RIP */
	iretq

/* CPL3 from here on: %rdi = fn, %rsi = arg. */
user_entry:
	mov	%rdi, %rax
	mov	%rsi, %rdi
	call	*%rax
	mov	%rax, %rdi
	.globl user_exit_ud2
user_exit_ud2:
	ud2

/* void user_resume(uint64_t result, uint64_t rsp0): back into user_enter's
 * caller, from trap_handler; the exception frame below rsp0 is dropped. */
	.globl user_resume
user_resume:
	mov	$SEL_DATA, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	mov	%rdi, %rax
	mov	(%rsi), %rsp
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbp
	pop	%rbx
	ret

/* User-mode stacks: the boot CPU's, and one per APIC ID for the APs
 * (cpu.c; the boot CPU's slot there is unused). */
	.section .noinit, "aw", @nobits
	.balign 16
user_stack:
	.skip	STACK_SIZE
	.globl user_stack_top
user_stack_top:
	.balign 16
	.globl ap_user_stacks
ap_user_stacks:
	.skip	AP_USER_STACK_SIZE * MAX_CPUS

	.section .note.GNU-stack, "", @progbits
