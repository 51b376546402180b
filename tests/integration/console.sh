# The guest console on a real terminal: raw mode while the guest runs, the
# terminal restored on every way out (guest exit, signal, Ctrl-A x).

pty_run() { # MODE ARGS...
	command -v python3 >/dev/null || fail "python3 missing (make deps installs it)"
	python3 "$ROOT/tests/integration/console_pty.py" "$@" >"$TMP/out" 2>&1
	pty_rc=$?
}

test_console_restored_after_guest_exit() {
	pty_run exit "$MICROVM" run --debug-exit --cmdline test=hello "$GUEST_ELF"
	expect_output 'status 1$'
	expect_output 'raw mode seen: True'
	expect_output 'termios restored'
	[ $pty_rc = 0 ] || fail "terminal not restored"
}

# cpus=3 on a 2-vCPU VM makes the smp scenario wait ~10 s for a CPU that never comes.
test_console_restored_after_sigterm() {
	pty_run signal "$MICROVM" run --debug-exit --cpus 2 --cmdline "test=smp cpus=3" "$GUEST_ELF"
	expect_output 'status 16$'
	expect_output 'received signal 15'
	expect_output 'termios restored'
	[ $pty_rc = 0 ] || fail "terminal not restored"
}

test_console_escape_quits() {
	pty_run escape "$MICROVM" run --debug-exit --cpus 2 --cmdline "test=smp cpus=3" "$GUEST_ELF"
	expect_output 'status 16$'
	expect_output 'Ctrl-A x: stopping the VM'
	expect_output 'termios restored'
	[ $pty_rc = 0 ] || fail "terminal not restored"
}

# A fault in a vCPU thread (here a SIGSEGV sent to that thread alone) runs the
# restore handler, then kills microvm with the same signal.
test_console_restored_after_vcpu_fault() {
	pty_run vcpu-segv "$MICROVM" run --debug-exit --cpus 2 --cmdline "test=smp cpus=3" "$GUEST_ELF"
	expect_output 'status -11$'
	expect_output 'raw mode seen: True'
	expect_output 'termios restored'
	[ $pty_rc = 0 ] || fail "terminal not restored"
}
