# Issue 11: the QMP control socket (--api-sock) and `microvm ctl`. The guest
# is the test guest's flood scenario (prints for ever), so the VM is busy
# while commands arrive; every test ends microvm through the socket.

# start_vm [MICROVM-ARGS...]: a flooding guest with --api-sock $TMP/qmp; $vm_pid.
start_vm() {
	"$MICROVM" run --debug-exit --api-sock "$TMP/qmp" --cmdline "test=flood" "$@" "$GUEST_ELF" \
		</dev/null >"$TMP/out" 2>"$TMP/err" &
	vm_pid=$!
	for _ in $(seq 100); do
		[ -S "$TMP/qmp" ] && return 0
		kill -0 "$vm_pid" 2>/dev/null || break
		sleep 0.1
	done
	cat "$TMP/err"
	fail "microvm did not create its control socket"
}

# stop_vm EXPECTED-STATUS: wait for microvm to end (quit was sent) and check its status.
stop_vm() {
	local i st
	for i in $(seq 100); do
		kill -0 "$vm_pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$vm_pid" 2>/dev/null; then
		kill -9 "$vm_pid"
		fail "microvm did not end"
	fi
	wait "$vm_pid"
	st=$?
	[ "$st" = "$1" ] || { tail -5 "$TMP/err"; fail "exit status $st, expected $1"; }
	[ ! -e "$TMP/qmp" ] || fail "the socket was not removed on exit"
}

qmp() { python3 "$ROOT/tests/integration/qmp_client.py" "$TMP/qmp" "$@"; }

# A whole session through socat, as a user would type it.
test_qmp_socat_session() {
	command -v socat >/dev/null || skip "socat is not installed (make deps installs it)"
	start_vm
	{
		echo '{"execute": "qmp_capabilities"}'
		sleep 0.3
		echo '{"execute": "query-status", "id": 1}'
		sleep 0.3
		echo '{"execute": "stop"}'
		sleep 0.5
		echo '{"execute": "query-status", "id": 2}'
		sleep 0.3
		echo '{"execute": "cont"}'
		sleep 0.3
		echo '{"execute": "no-such-command"}'
		sleep 0.3
		echo '{"execute": "quit"}'
		sleep 1
	} | socat - UNIX-CONNECT:"$TMP/qmp" >"$TMP/session" 2>&1
	stop_vm 0
	cat "$TMP/session"
	grep -q '"QMP": {"version": {"qemu": {"major"' "$TMP/session" || fail "no greeting"
	grep -q '"return": {"running": true, "singlestep": false, "status": "running"}, "id": 1' \
		"$TMP/session" || fail "no running status"
	grep -q '"event": "STOP"' "$TMP/session" || fail "no STOP event"
	grep -q '"status": "paused"}, "id": 2' "$TMP/session" || fail "no paused status"
	grep -q '"event": "RESUME"' "$TMP/session" || fail "no RESUME event"
	grep -q '"class": "CommandNotFound"' "$TMP/session" || fail "no CommandNotFound"
	grep -q '"event": "SHUTDOWN".*"reason": "host-qmp-quit"' "$TMP/session" || fail "no SHUTDOWN"
}

# While paused the guest prints nothing; after cont it goes on.
test_qmp_pause_stops_the_guest() {
	local a b c
	start_vm
	qmp cmd stop >/dev/null || fail "stop failed"
	a=$(wc -c <"$TMP/out")
	sleep 1
	b=$(wc -c <"$TMP/out")
	[ "$a" = "$b" ] || fail "the guest printed while paused ($a -> $b bytes)"
	qmp cmd cont >/dev/null || fail "cont failed"
	sleep 1
	c=$(wc -c <"$TMP/out")
	[ "$c" -gt "$b" ] || fail "the guest did not go on after cont"
	qmp cmd quit >/dev/null
	stop_vm 0
}

test_qmp_errors_flood_and_clients() {
	start_vm
	qmp errors || fail "protocol errors"
	qmp cmd quit >/dev/null
	stop_vm 0
}

test_qmp_lifecycle_events_and_dump() {
	start_vm
	qmp lifecycle "$TMP/core.elf" || fail "lifecycle"
	stop_vm 0
	readelf -h "$TMP/core.elf" | grep -q 'CORE' || fail "the QMP dump is not an ELF core"
}

test_qmp_socket_is_owner_only() {
	start_vm
	[ "$(stat -c %a "$TMP/qmp")" = 600 ] || fail "socket mode $(stat -c %a "$TMP/qmp"), expected 600"
	qmp cmd quit >/dev/null
	stop_vm 0
}

# Another file at the path is never clobbered; a live socket is refused; a stale one replaced.
test_qmp_socket_path_rules() {
	echo keep >"$TMP/qmp"
	run_microvm run --debug-exit --api-sock "$TMP/qmp" --cmdline test=hello "$GUEST_ELF"
	expect_status 2
	expect_one_error_line "exists and is not a socket"
	[ "$(cat "$TMP/qmp")" = keep ] || fail "the file was changed"
	rm "$TMP/qmp"
	python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$TMP/qmp"
	[ -S "$TMP/qmp" ] || fail "could not make a stale socket"
	start_vm
	for _ in $(seq 50); do qmp cmd query-status >/dev/null 2>&1 && break; sleep 0.1; done
	"$MICROVM" run --debug-exit --api-sock "$TMP/qmp" --cmdline test=hello "$GUEST_ELF" \
		</dev/null >"$TMP/out2" 2>&1
	[ $? = 2 ] || fail "a second microvm on a live socket did not fail with 2"
	grep -q "another process is listening" "$TMP/out2" || { cat "$TMP/out2"; fail "no clear message"; }
	qmp cmd quit >/dev/null
	stop_vm 0
	run_microvm run --debug-exit --api-sock "$TMP/no/such/dir/qmp" --cmdline test=hello "$GUEST_ELF"
	expect_status 2
	expect_one_error_line "api-sock"
}

# microvm ctl: every subcommand, human output, exit statuses.
test_ctl_commands() {
	local out
	start_vm
	[ "$("$MICROVM" ctl "$TMP/qmp" status)" = running ] || fail "ctl status"
	"$MICROVM" ctl "$TMP/qmp" pause || fail "ctl pause"
	[ "$("$MICROVM" ctl "$TMP/qmp" status)" = paused ] || fail "ctl status after pause"
	"$MICROVM" ctl "$TMP/qmp" resume || fail "ctl resume"
	out=$("$MICROVM" ctl "$TMP/qmp" vmcoreinfo) || fail "ctl vmcoreinfo"
	echo "$out" | grep -q "protocol: none" || fail "ctl vmcoreinfo: $out"
	(cd / && "$MICROVM" ctl "$TMP/qmp" dump "$TMP/ctl.elf") || fail "ctl dump"
	readelf -h "$TMP/ctl.elf" | grep -q CORE || fail "ctl dump: not a core"
	"$MICROVM" ctl "$TMP/qmp" dump "$TMP/no/such/dir/x.elf" 2>"$TMP/e"
	[ $? = 1 ] || fail "ctl dump into a missing directory: expected status 1"
	grep -q "No such file" "$TMP/e" || { cat "$TMP/e"; fail "ctl dump: no reason given"; }
	out=$("$MICROVM" ctl "$TMP/qmp" qmp query-status) || fail "ctl qmp"
	echo "$out" | grep -q '"status": "running"' || fail "ctl qmp: $out"
	"$MICROVM" ctl "$TMP/qmp" frobnicate 2>/dev/null
	[ $? = 2 ] || fail "ctl with an unknown command: expected status 2"
	"$MICROVM" ctl "$TMP/qmp" quit || fail "ctl quit"
	stop_vm 0
	"$MICROVM" ctl "$TMP/qmp" status 2>"$TMP/e"
	[ $? = 2 ] || fail "ctl on a missing socket: expected status 2"
	grep -q "cannot connect" "$TMP/e" || fail "ctl: no clear message for a missing socket"
}
