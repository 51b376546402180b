# tests/nested/watchdog.py against a fake QEMU monitor (HMP over a Unix
# socket) that plays a vCPU in the state QEMU's TCG can lose: halted, IF=1,
# the timer vector pending in IRR and deliverable. The watchdog must send a
# key press once the state shows in two samples (three with IF=0), log it,
# leave a healthy vCPU alone, and end when the monitor closes.

# fake_monitor SOCKET STATE SECONDS: serve HMP for SECONDS, then close.
# STATE: stuck (IRR 236, ISR none, IF=1), masked (the same with IF=0),
# busy (236 in service as well as pending), healthy (nothing pending).
# Every command received is appended to $TMP/commands.
fake_monitor() {
	python3 - "$@" "$TMP/commands" <<'PY' &
import socket, sys, time
path, state, secs, log = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
srv = socket.socket(socket.AF_UNIX)
srv.bind(path)
srv.listen(1)
srv.settimeout(secs)
rfl = "00000046" if state == "masked" else "00000246"
irr = "(none)" if state == "healthy" else "236 "
isr = "236 " if state == "busy" else "(none)"
answers = {
    "info cpus": "* CPU #0: thread_id=1\r\n",
    "info registers": "RIP=ffffffff81c592eb RFL=%s [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=1\r\n" % rfl,
    "info lapic": "ISR\t %s\r\nIRR\t %s\r\n\r\nAPR 0x00 TPR 0x10 DFR 0x0f LDR 0x01 PPR 0x10\r\n" % (isr, irr),
}
try:
    c, _ = srv.accept()
except OSError:
    sys.exit(0)
c.settimeout(0.2)
c.sendall(b"QEMU 7.2.0 monitor - type 'help' for more information\r\n(qemu) ")
end, buf = time.time() + secs, b""
with open(log, "a") as out:
    while time.time() < end:
        try:
            data = c.recv(4096)
        except socket.timeout:
            continue
        if not data:
            break
        buf += data
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            cmd = line.decode().strip()
            out.write(cmd + "\n")
            out.flush()
            c.sendall((cmd + "\r\n" + answers.get(cmd, "") + "(qemu) ").encode())
c.close()
PY
	fake_pid=$!
}

# watch STATE SECONDS: the watchdog, sampling once a second, against a fake monitor in STATE.
watch() {
	: >"$TMP/commands"
	rm -f "$TMP/mon" "$TMP/watchdog.log"
	fake_monitor "$TMP/mon" "$1" "$2"
	WITH_KVM_WATCHDOG_PERIOD=1 timeout 30 python3 "$ROOT/tests/nested/watchdog.py" "$TMP/mon" "$TMP/watchdog.log"
	status=$?
	wait $fake_pid
}

test_watchdog_wakes_a_stuck_cpu() {
	watch stuck 3.5
	expect_status 0
	grep -qx 'sendkey shift' "$TMP/commands" || { cat "$TMP/commands"; fail "no key press sent"; }
	[ -s "$TMP/watchdog.log" ] || fail "nothing logged"
	grep -q 'vCPU 0: vector 236 pending and deliverable in 2 samples .*(RFLAGS.IF=1)' "$TMP/watchdog.log" ||
		{ cat "$TMP/watchdog.log"; fail "the log line does not say what happened"; }
	# Two samples per wake-up: at most one key press per two seconds.
	[ "$(grep -cx 'sendkey shift' "$TMP/commands")" -le 2 ] || fail "key presses on every sample"
}

# RFLAGS.IF=0 is what the monitor shows while the vCPU runs a nested guest
# with its interrupts off; the VM's own vector is still deliverable there.
# The watchdog wakes it after three samples, not two.
test_watchdog_wakes_a_masked_cpu_later() {
	watch masked 2.5
	expect_status 0
	! grep -q sendkey "$TMP/commands" || fail "a key press after two samples with IF=0"
	watch masked 4.5
	expect_status 0
	grep -qx 'sendkey shift' "$TMP/commands" || { cat "$TMP/commands"; fail "no key press sent"; }
	grep -q 'vCPU 0: vector 236 pending and deliverable in 3 samples .*(RFLAGS.IF=0)' "$TMP/watchdog.log" ||
		{ cat "$TMP/watchdog.log"; fail "the log line does not say what happened"; }
}

test_watchdog_leaves_other_states_alone() {
	local state
	for state in healthy busy; do
		watch $state 3.5
		expect_status 0
		grep -qx 'info lapic' "$TMP/commands" || fail "$state: the watchdog did not look"
		! grep -q sendkey "$TMP/commands" || fail "$state: a key press was sent"
		[ ! -s "$TMP/watchdog.log" ] || fail "$state: logged $(cat "$TMP/watchdog.log")"
	done
}

test_watchdog_ends_without_a_monitor() {
	# The VM never came up: no socket. The watchdog gives up and exits 0.
	rm -f "$TMP/none"
	WITH_KVM_WATCHDOG_WAIT=2 timeout 30 python3 "$ROOT/tests/nested/watchdog.py" "$TMP/none" "$TMP/watchdog.log"
	status=$?
	expect_status 0
	[ ! -e "$TMP/watchdog.log" ] || fail "logged without a monitor"
}
