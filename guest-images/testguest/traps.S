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
 * uint64_t user_call(uint64_t (*fn)(uint64_t), uint64_t arg)
 * Runs fn(arg) at CPL3 on the user stack and returns its result. The kernel
 * context is parked in user_saved_rsp; user code ends with UD2 (result in
 * %rdi), taken on the TSS rsp0 stack. Boot CPU only.
 */
	.globl user_call
user_call:
	push	%rbx
	push	%rbp
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rsp, user_saved_rsp(%rip)
	pushq	$SEL_UDATA + 3		/* SS */
	pushq	$user_stack_top		/* RSP */
	pushq	$0x002			/* RFLAGS: IF=0, IOPL=0 */
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

/* void user_resume(uint64_t result): back into user_call's caller, from
 * trap_handler; the exception frame on the rsp0 stack is dropped. */
	.globl user_resume
user_resume:
	mov	$SEL_DATA, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	mov	%rdi, %rax
	mov	user_saved_rsp(%rip), %rsp
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbp
	pop	%rbx
	ret

	.bss
	.balign 8
user_saved_rsp:
	.quad	0

	.section .noinit, "aw", @nobits
	.balign 16
user_stack:
	.skip	STACK_SIZE
user_stack_top:
	.balign 16
	.globl rsp0_stack_top
rsp0_stack:
	.skip	STACK_SIZE
rsp0_stack_top:

	.section .note.GNU-stack, "", @progbits
