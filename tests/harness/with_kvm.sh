# tests/with-kvm itself (docs/testing.md), run on the host by `make check`
# before the integration suite. Every test that boots the nested VM asks for
# it with --nested, so these run the same on every kind of host.

WK=$ROOT/tests/with-kvm
TIMEOUT_test_tty_interactive=180

# with_kvm ARGS...: run tests/with-kvm, stdout in $TMP/stdout, stderr in
# $TMP/stderr; sets $status. Job directories go under $TMP/jobs, so a test
# can tell that its own VM left nothing behind.
with_kvm() {
	mkdir -p "$TMP/jobs"
	TMPDIR=$TMP/jobs "$WK" "$@" </dev/null >"$TMP/stdout" 2>"$TMP/stderr"
	status=$?
	cat "$TMP/stdout" "$TMP/stderr" >"$TMP/out"
	return 0
}

# no_vm_left: no QEMU of this test runs and its job directory is gone.
no_vm_left() {
	local left
	left=$(pgrep -af "qemu-system.*$TMP/jobs" || true)
	[ -z "$left" ] || fail "QEMU left running: $left"
	[ -z "$(ls -A "$TMP/jobs")" ] || fail "job directory left behind: $(ls -A "$TMP/jobs")"
}

test_auto_statuses() {
	# The issue's own check, in the default mode (direct where /dev/kvm works).
	local rc
	"$WK" -q true; rc=$?
	[ $rc = 0 ] || fail "with-kvm true: $rc"
	"$WK" -q false; rc=$?
	[ $rc = 1 ] || fail "with-kvm false: $rc"
	"$WK" -q sh -c 'exit 7'; rc=$?
	[ $rc = 7 ] || fail "with-kvm sh -c 'exit 7': $rc"
}

test_nested_status_and_streams() {
	with_kvm --nested sh -c 'echo "on stdout"; echo "on stderr" >&2; test -c /dev/kvm || exit 99; exit 7'
	expect_status 7
	grep -qx 'on stdout' "$TMP/stdout" || fail "stdout lacks CMD's line"
	grep -qx 'on stderr' "$TMP/stderr" || fail "stderr lacks CMD's line"
	grep -q 'on stderr' "$TMP/stdout" && fail "stderr leaked into stdout"
	grep -q 'nested KVM under QEMU emulation' "$TMP/stderr" || fail "the nested VM is not announced"
	no_vm_left
}

test_nested_quiet_false() {
	with_kvm --nested -q false
	expect_status 1
	[ ! -s "$TMP/stderr" ] || { cat "$TMP/stderr"; fail "-q still prints"; }
	no_vm_left
}

test_nested_env_and_cwd() {
	# The working directory is under /tmp: the VM keeps it visible over its tmpfs.
	mkdir -p "$TMP/work dir"
	cd "$TMP/work dir" || fail "cd"
	MICROVM_ODD='a b $c "d"' BENCH_X=1 SECRET_Y=no EXTRA_Z=yes \
		with_kvm --nested --env EXTRA_Z bash -c 'pwd; echo "odd=$MICROVM_ODD"; echo "bench=$BENCH_X";
			echo "secret=${SECRET_Y:-unset}"; echo "extra=$EXTRA_Z"; echo "nested=$WITH_KVM_NESTED";
			echo made >created-inside; echo "tmp=$(stat -f -c %T /tmp)"; cat <(echo procsub)'
	expect_status 0
	grep -qx "$TMP/work dir" "$TMP/stdout" || fail "not run in the same directory"
	grep -qxF 'odd=a b $c "d"' "$TMP/stdout" || fail "MICROVM_* not passed verbatim"
	grep -qx 'bench=1' "$TMP/stdout" || fail "BENCH_* not passed"
	grep -qx 'secret=unset' "$TMP/stdout" || fail "an unlisted variable was passed"
	grep -qx 'extra=yes' "$TMP/stdout" || fail "--env NAME not passed"
	grep -qx 'nested=1' "$TMP/stdout" || fail "WITH_KVM_NESTED not set inside"
	grep -qx 'tmp=tmpfs' "$TMP/stdout" || fail "/tmp is not the VM's own tmpfs"
	grep -qx 'procsub' "$TMP/stdout" || fail "bash process substitution (/dev/fd) fails inside"
	[ "$(cat "$TMP/work dir/created-inside")" = made ] || fail "a file written inside is not on the host"
	no_vm_left
}

test_nested_time_limit() {
	with_kvm --nested --timeout 3 sh -c 'echo started; sleep 300'
	expect_status 124
	grep -qx started "$TMP/stdout" || fail "what CMD printed before the limit is lost"
	grep -q 'time limit of 3s' "$TMP/stderr" || fail "the limit is not named"
	no_vm_left
}

test_nested_boot_limit() {
	with_kvm --nested --boot-timeout 1 true
	expect_status 125
	expect_output 'did not come up within 1s'
	expect_output "console, last lines"
	no_vm_left
}

test_nested_vm_dies() {
	# CMD powers the VM off under itself: the harness says so, never hangs.
	with_kvm --nested sh -c 'echo o >/proc/sysrq-trigger; sleep 30'
	expect_status 125
	expect_output 'the VM stopped before sh finished'
	no_vm_left
}

test_qemu_missing() {
	WITH_KVM_QEMU=/nonexistent/qemu-system-x86_64 with_kvm --nested true
	expect_status 125
	expect_output '/nonexistent/qemu-system-x86_64 not found: apt-get install qemu-system-x86'
	no_vm_left
}

test_kernel_not_downloadable() {
	WITH_KVM_IMAGE_DIR=$TMP/img WITH_KVM_KERNEL_PKG=linux-image-no-such-flavour with_kvm --nested true
	expect_status 125
	expect_output 'cannot resolve linux-image-no-such-flavour'
	[ ! -e "$TMP/img/kernel" ] || fail "a half-made kernel directory was left"
	no_vm_left
}

test_bad_options() {
	with_kvm --cpus 3 --nested true
	expect_status 125
	expect_output 'the VM takes 1 or 2 vCPUs'
	with_kvm --timeout soon true
	expect_status 125
	expect_output "not 'soon'"
	with_kvm --frobnicate true
	expect_status 125
	expect_output 'unknown option --frobnicate'
	WITH_KVM=sometimes with_kvm true
	expect_status 125
	expect_output 'expected auto, host or nested'
}

# stop_while_running SIGNAL STATUS: the VM stops and nothing is left.
stop_while_running() {
	mkdir -p "$TMP/jobs"
	# A background job of a script starts with SIGINT ignored; a user's
	# Ctrl-C reaches a foreground with-kvm, so restore the default first.
	TMPDIR=$TMP/jobs MICROVM_MARK=$TMP/running python3 -c '
import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$WK" --nested sh -c 'touch "$MICROVM_MARK"; sleep 300' \
		</dev/null >"$TMP/out" 2>&1 &
	local pid=$! i rc
	for i in $(seq 600); do
		[ -e "$TMP/running" ] && break
		sleep 0.2
	done
	[ -e "$TMP/running" ] || { kill $pid; cat "$TMP/out"; fail "CMD never started"; }
	kill -"$1" $pid
	wait $pid
	rc=$?
	[ $rc = "$2" ] || { cat "$TMP/out"; fail "status $rc after SIG$1, expected $2"; }
	grep -q 'interrupted: stopping the VM' "$TMP/out" || fail "no word of the interruption"
	no_vm_left
}
test_sigterm_stops_the_vm() { stop_while_running TERM 143; }
test_sigint_stops_the_vm() { stop_while_running INT 130; }

test_tty_interactive() {
	# `tests/with-kvm bash` at a terminal: CMD gets the terminal, input included.
	python3 - "$WK" >"$TMP/out" 2>&1 <<'EOF' || { cat "$TMP/out"; fail "interactive run failed"; }
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "--nested", "-q", "sh", "-c",
             'tty; stty size; read line; echo "got [$line]"; exit 3'])
out, sent, deadline = b"", False, time.time() + 150
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.5)
    if r:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    if not sent and b"/dev/hvc0" in out:
        os.write(fd, b"hello there\r")
        sent = True
_, st = os.waitpid(pid, 0)
text = out.decode(errors="replace")
print(text)
assert "/dev/hvc0" in text, "CMD's terminal is not the VM console"
assert "got [hello there]" in text, "input did not reach CMD"
assert os.WEXITSTATUS(st) == 3, "status %d" % os.WEXITSTATUS(st)
EOF
}

test_full_runs_guest_kernel_natively() {
	# --full never leaves CMD on a KVM that emulates guest kernel mode (PVM).
	with_kvm --full -q sh -c 'test ! -e /sys/module/kvm_pvm && grep -qwE "vmx|svm" /proc/cpuinfo'
	expect_status 0
	no_vm_left
}
