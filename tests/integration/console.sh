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

# A guest flooding COM1 into a standard output nobody reads: the vCPU blocks
# in its write, yet SIGTERM and Ctrl-A x end microvm within a few seconds.
blocked_stdout() { # signal|escape
	pty_run "blocked-$1" "$MICROVM" run --debug-exit --cmdline test=flood "$GUEST_ELF"
	expect_output 'status 16$'
	expect_output 'termios restored'
	expect_output 'ended [0-4]\.[0-9] s after the request'
	[ $pty_rc = 0 ] || fail "terminal not restored"
}
test_console_sigterm_with_blocked_stdout() { blocked_stdout signal; }
test_console_escape_with_blocked_stdout() { blocked_stdout escape; }

# The same through a plain pipe into `sleep` (stdin not a terminal).
test_sigterm_with_stdout_into_sleep() {
	local pid reader tid
	mkfifo "$TMP/fifo"
	sleep 60 <"$TMP/fifo" &
	reader=$!
	"$MICROVM" run --debug-exit --cmdline test=flood "$GUEST_ELF" >"$TMP/fifo" 2>"$TMP/out" &
	pid=$!
	# Wait until vCPU 0 sleeps in write(2) (syscall 1): the pipe is full.
	for _ in $(seq 300); do
		tid=$(grep -l '^vcpu0$' /proc/$pid/task/*/comm 2>/dev/null | cut -d/ -f5)
		[ -n "$tid" ] && [ "$(cut -d' ' -f1 /proc/$pid/task/$tid/syscall 2>/dev/null)" = 1 ] && break
		sleep 0.1
	done
	[ "$(cut -d' ' -f1 /proc/$pid/task/$tid/syscall 2>/dev/null)" = 1 ] || fail "vCPU 0 never blocked writing"
	kill -TERM $pid
	for _ in $(seq 50); do
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 $pid 2>/dev/null; then
		kill -KILL $pid $reader
		fail "microvm still running 5 s after SIGTERM"
	fi
	wait $pid
	status=$?
	kill $reader
	expect_status 16
	expect_output 'received signal 15'
}

# Console input and output driven by the UART's interrupts (IRQ 4 through the
# IOAPIC): the guest receives the piped line with RX interrupts and echoes it
# one byte per THRE interrupt. Without the IRQ line the guest times out
# (status 7: its first check).
serial_irq() { # IMAGE
	printf 'hello-irq\n' | "$MICROVM" run --debug-exit --cmdline "test=serial timeout=5000" "$1" \
		>"$TMP/out" 2>&1
	status=$?
	expect_status 1
	expect_output '^hello-irq$'
	expect_output 'serial: [1-9][0-9]* interrupts: [1-9][0-9]* RX, [1-9][0-9]* THRE; line "hello-irq"'
}
test_serial_irq_elf() { serial_irq "$GUEST_ELF"; }
test_serial_irq_bzimage() { serial_irq "$GUEST_BZ"; }
