# Guest faults the VMM cannot continue from end the run with a clear report
# (reason, suberror, RIP, mode, instruction bytes, registers) and status 4 —
# never a silent hang. The guest is a few instructions assembled here: it
# executes an SSE instruction in kernel mode, which a KVM that emulates guest
# CPL0 (this kind of host) cannot execute.

build_sse_guest() {
	cat >"$TMP/sse.S" <<'ASM'
	.code32
	.globl _start
_start:
	mov $0x3f8, %dx
	mov $'S', %al
	out %al, %dx
	mov %cr4, %eax
	or $0x600, %eax              /* OSFXSR | OSXMMEXCPT: SSE enabled, as any kernel does */
	mov %eax, %cr4
	mov $0x12345678, %eax
	addps %xmm0, %xmm1           /* 0f 58 c8: SSE arithmetic the emulator lacks */
	mov $0x501, %dx
	mov $0x3f, %al               /* reached only if SSE ran: debug-exit status 0x7f */
	out %al, %dx
1:	jmp 1b
	.section .note.Xen, "a"
	.p2align 2
	.long 4, 4, 18               /* name size, desc size, XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long _start
ASM
	gcc -m32 -c "$TMP/sse.S" -o "$TMP/sse.o" || fail "cannot assemble the fault guest"
	ld -m elf_i386 -N -Ttext=0x100000 --no-warn-rwx-segments -o "$TMP/sse.elf" "$TMP/sse.o" ||
		fail "cannot link the fault guest"
}

test_internal_error_is_reported() {
	build_sse_guest
	run_microvm run -v --debug-exit --no-reboot "$TMP/sse.elf"
	if ! grep -q 'host KVM emulates guest kernel mode' "$TMP/out"; then
		skip "this host's KVM runs guest kernel code natively, so SSE cannot fault here"
	fi
	expect_status 4
	expect_output 'vCPU 0: KVM_EXIT_INTERNAL_ERROR, suberror [0-9]+ \(.*\) at RIP 0x10001[0-9a-f] \(CS 0x10, 32-bit protected mode\); instruction bytes: 0f 58 c8'
	expect_output 'vCPU 0: rax=0000000012345678'
	expect_output 'cannot execute some instructions'
}

# Without the emulation gap (forced native CPUID), the same report path must
# still never hang: the run ends by itself within the harness timeout.
test_fault_never_hangs() {
	build_sse_guest
	timeout 20 "$MICROVM" run --debug-exit --no-reboot "$TMP/sse.elf" </dev/null >"$TMP/out" 2>&1
	status=$?
	[ $status != 124 ] || fail "microvm hung on a faulting guest"
}
