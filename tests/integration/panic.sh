# pvpanic and the --on-panic policy (devices/pvpanic.c, vmm/panic.c,
# docs/usage.md "After a guest panic"): what each action does, that a run
# which panicked never exits like a clean poweroff, one dump per boot,
# CRASH_LOADED, -q, and --dump-dir checked before the guest starts.
#
# The guest side is the vmcoreinfo scenario's pvpanic=WHAT knob
# (guest-images/testguest/scn_vmcoreinfo.c, docs/testguest.md).

need_guest() {
	[ -f "$GUEST_ELF" ] || fail "test guest not built (make all)"
	mkdir -p "$TMP/dumps"
}

# run_panic PVPANIC-KNOB MICROVM-ARGS...: the vmcoreinfo scenario, dumps into $TMP/dumps.
run_panic() {
	local knob=$1
	shift
	need_guest
	run_guest "$GUEST_ELF" vmcoreinfo "pvpanic=$knob" -- --vmcoreinfo --dump-dir "$TMP/dumps" "$@"
}

expect_dumps() { # N
	local n
	n=$(find "$TMP/dumps" -name 'microvm-core-*.elf' | wc -l)
	[ "$n" = "$1" ] || { ls -la "$TMP/dumps"; fail "expected $1 dump(s) in dumps/, found $n"; }
	[ -z "$(find "$TMP/dumps" -name '.*')" ] || fail "temporary files left: $(ls -A "$TMP/dumps")"
}

# The bug: dump,reset with --no-reboot ended a panicked run with status 0.
test_no_reboot_after_panic_is_status_8() {
	run_panic panic --no-reboot --on-panic dump,reset -v
	expect_status 8
	expect_output 'reset with --no-reboot'
	expect_dumps 1
}

# reset without --no-reboot: the VM reboots, the second boot passes (the
# guest's own debug-exit decides the status after a reset).
test_reset_reboots() {
	run_panic reset --on-panic reset -v
	expect_status 1
	expect_output 'vmcoreinfo: panicking'
	expect_output 'resetting the VM'
	expect_output 'vmcoreinfo: second boot after the panic.s reset'
	expect_dumps 0
}

test_dump_reset_dumps_and_reboots() {
	run_panic reset --on-panic dump,reset
	expect_status 1
	expect_output 'dump: wrote '
	expect_output 'vmcoreinfo: second boot after the panic.s reset'
	expect_dumps 1
}

# dump alone: the guest runs on after the dump and ends through debug-exit;
# that status is the guest's own.
test_dump_alone_continues() {
	run_panic continue --on-panic dump
	expect_status 1
	expect_output 'dump: wrote '
	expect_output 'vmcoreinfo: running again after PANICKED #1'
	expect_output 'testguest: vmcoreinfo passed'
	expect_dumps 1
}

# dump alone, then the guest powers off: a poweroff after a panic is 8, not 0.
test_poweroff_after_panic_is_status_8() {
	run_panic poweroff --on-panic dump
	expect_status 8
	expect_output 'vmcoreinfo: running again after PANICKED #1'
	expect_output 'poweroff: writing 0x'
	expect_dumps 1
}

# One dump per boot: a second PANICKED before a reset is logged and ignored.
test_second_panic_not_dumped() {
	run_panic twice --on-panic dump
	expect_status 1
	expect_output 'running again after PANICKED #2'
	expect_output 'another panic before a reset; ignored'
	[ "$(grep -c 'dump: wrote ' "$TMP/out")" = 1 ] || fail "expected one 'dump: wrote' line"
	expect_dumps 1
}

test_exit_alone_no_dump() {
	run_panic panic --on-panic exit
	expect_status 8
	expect_output 'pvpanic: the guest reported a kernel panic'
	expect_no_output 'dump: '
	expect_dumps 0
}

# CRASH_LOADED: the guest's own kdump takes over; logged, no policy, no dump.
test_crash_loaded_only_logs() {
	run_panic crash-loaded
	expect_status 1
	expect_output 'PASS: pvpanic at 0x505 offers exactly PANICKED and CRASH_LOADED \(events 0x3\)'
	expect_output 'starting its own kdump kernel; no dump by microvm'
	expect_output 'vmcoreinfo: wrote CRASH_LOADED; running on'
	expect_dumps 0
}

test_crash_loaded_then_panic() {
	run_panic crash-loaded-panic
	expect_status 8
	expect_output 'starting its own kdump kernel'
	expect_output 'dump: wrote '
	expect_dumps 1
}

# -q: errors only, but where the dump went is always printed.
test_quiet_prints_the_dump_path() {
	run_panic panic -q
	expect_status 8
	expect_output "^microvm: dump: wrote $TMP/dumps/microvm-core-[0-9-]+\\.elf"
	expect_no_output 'pvpanic: the guest reported'
	expect_dumps 1
}

# pause: the VM stays stopped (the guest never runs on) until SIGTERM; the
# dump is written first; the status still says "panic".
TIMEOUT_test_pause_holds_until_sigterm=60
test_pause_holds_until_sigterm() {
	local pid i
	need_guest
	"$MICROVM" run --debug-exit --vmcoreinfo --dump-dir "$TMP/dumps" --on-panic dump,pause \
		--cmdline "test=vmcoreinfo pvpanic=continue" "$GUEST_ELF" </dev/null >"$TMP/out" 2>&1 &
	pid=$!
	for i in $(seq 100); do
		grep -q 'paused after the panic' "$TMP/out" && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	expect_output 'paused after the panic'
	sleep 2
	kill -0 $pid 2>/dev/null || { cat "$TMP/out"; fail "microvm ended while paused"; }
	expect_output 'dump: wrote '
	expect_dumps 1
	expect_no_output 'running again after PANICKED'
	kill -TERM $pid
	wait $pid
	status=$?
	expect_status 8
	expect_output 'received signal 15'
	expect_no_output 'running again after PANICKED'
}

# --dump-dir is checked before the guest starts, when the policy dumps.
test_dump_dir_missing() {
	need_guest
	run_guest "$GUEST_ELF" vmcoreinfo "" -- --vmcoreinfo --dump-dir /nonexistent/x
	expect_status 2
	expect_one_error_line '^microvm: --dump-dir /nonexistent/x: No such file or directory'
	expect_no_output 'testguest'
}

test_dump_dir_not_a_directory() {
	need_guest
	: >"$TMP/file"
	run_guest "$GUEST_ELF" vmcoreinfo "" -- --vmcoreinfo --dump-dir "$TMP/file"
	expect_status 2
	expect_one_error_line "--dump-dir $TMP/file: not a directory"
}

# The default directory (the current one) only warns: a boot from a place
# where no file can be created still runs.
test_default_dump_dir_unwritable_only_warns() {
	need_guest
	mkdir -p "$TMP/ro"
	mount -t tmpfs -o ro,size=1m microvm-ro "$TMP/ro" 2>"$TMP/mount.err" ||
		skip "cannot mount a read-only tmpfs here: $(cat "$TMP/mount.err")"
	trap "umount '$TMP/ro'" EXIT
	(cd "$TMP/ro" && "$MICROVM" run --debug-exit --cmdline test=hello "$GUEST_ELF") </dev/null >"$TMP/out" 2>&1
	status=$?
	expect_status 1
	expect_output '^microvm: --dump-dir \.: .*; a guest panic could not be dumped: give --dump-dir DIR$'
	expect_output 'testguest: exit code 0 \(pass\)'
	(cd "$TMP/ro" && "$MICROVM" run --debug-exit --dump-dir . --cmdline test=hello "$GUEST_ELF") </dev/null >"$TMP/out" 2>&1
	status=$?
	expect_status 2
}

# A policy without dump does not need the directory.
test_dump_dir_unused_without_dump() {
	need_guest
	run_guest "$GUEST_ELF" vmcoreinfo "" -- --vmcoreinfo --on-panic exit --dump-dir /nonexistent/x
	expect_status 8
}
