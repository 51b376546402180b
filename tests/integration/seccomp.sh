# Issue 12, confinement (vmm/seccomp.c, docs/security.md): with the filter
# on (the default), the real workloads pass -- a pvpanic dump, console
# input, a QMP session (status, stop, cont, system_reset, dump-guest-memory
# in place and detached, snapshot-save, quit), restore and a reset of the
# restored VM; a forbidden call in a vCPU thread or the main loop
# (--test-seccomp-violation) kills microvm with SIGSYS (status 159) and one
# line; --seccomp=off lets it through. Dumps, snapshots and the control
# socket are owner-only whatever the umask, and a symbolic link at a dump
# path, a snapshot directory or the socket path is refused.

TIMEOUT_test_seccomp_workloads=400
TIMEOUT_test_seccomp_symlinks_refused=240

LINE_RE='^microvm: seccomp: thread [a-z0-9]+ made forbidden system call [a-z0-9_]+ \(nr [0-9]+\); rerun with --seccomp=off to debug$'

ctl() { "$MICROVM" ctl "$TMP/qmp" "$@"; }
qmp() { python3 "$ROOT/tests/integration/qmp_client.py" "$TMP/qmp" "$@"; }

# no_violation FILE...: no seccomp line in microvm's messages.
no_violation() {
	if grep -h "seccomp: thread" "$@"; then
		fail "the filter stopped a real workload"
	fi
	return 0
}

# mode_is MODE PATH
mode_is() {
	[ "$(stat -c %a "$2")" = "$1" ] || fail "$2: mode $(stat -c %a "$2"), expected $1"
}

# One QMP session (one python start: each costs seconds in the nested VM):
# status, stop, cont, a dump in place and a detached one, snapshot-save,
# system_reset, quit.
session() {
	python3 -B -c '
import sys, os
sys.path.insert(0, os.path.join(os.environ["ROOT"], "tests/integration"))
from qmp_client import QMP, check
tmp = sys.argv[1]
q = QMP(tmp + "/qmp")
check(q.cmd("query-status")["status"] == "running", "status running")
q.cmd("stop")
q.wait_event("STOP")
check(q.cmd("query-status")["status"] == "paused", "stop -> paused")
q.cmd("cont")
q.wait_event("RESUME")
q.cmd("dump-guest-memory", {"paging": False, "protocol": "file:" + tmp + "/core1.elf"})
check(q.wait_event("DUMP_COMPLETED", 200)["data"]["result"]["status"] == "completed", "dump")
q.cmd("dump-guest-memory", {"paging": False, "protocol": "file:" + tmp + "/core2.elf", "detach": True})
check(q.wait_event("DUMP_COMPLETED", 200)["data"]["result"]["status"] == "completed", "detached dump")
check(q.cmd("query-dump")["status"] == "completed", "query-dump")
q.cmd("snapshot-save", {"path": tmp + "/snap"})
check(os.path.isdir(tmp + "/snap"), "snapshot-save")
q.cmd("system_reset")
q.wait_event("RESET")
check(q.cmd("query-status")["status"] == "running", "running after the reset")
q.cmd("quit")
q.wait_event("SHUTDOWN")
' "$1"
}

# Every workload with the default filter, under umask 000: the modes come from microvm.
test_seccomp_workloads() {
	local core n
	umask 000
	mkdir -p "$TMP/dumps"
	# 1. pvpanic -> dump, exit
	run_guest "$GUEST_ELF" vmcoreinfo "pvpanic=panic" -- --vmcoreinfo --dump-dir "$TMP/dumps" -v
	expect_status 8
	expect_output 'seccomp: each thread confined'
	no_violation "$TMP/out"
	core=$(find "$TMP/dumps" -name 'microvm-core-*.elf')
	[ -n "$core" ] || fail "no dump"
	mode_is 600 "$core"
	# 2. console input, QMP session, snapshot-save; two vCPUs
	vm_bg gen0 run --debug-exit --cpus 2 --mem 64M --api-sock "$TMP/qmp" --cmdline "test=counter step=20 region=256K cpus=2" "$GUEST_ELF"
	mode_is 600 "$TMP/qmp"
	wait_lines gen0 "cpu=1 n=" 3
	printf 'a' >&3
	wait_lines gen0 "input .*total=1" 1
	session "$TMP" || { tail -5 "$TMP/gen0.err"; fail "the QMP session"; }
	readelf -h "$TMP/core2.elf" | grep -q CORE || fail "the detached dump is no core"
	mode_is 600 "$TMP/core1.elf"
	mode_is 600 "$TMP/core2.elf"
	mode_is 700 "$TMP/snap"
	mode_is 600 "$TMP/snap/memory"
	mode_is 600 "$TMP/snap/state.dtb"
	vm_end gen0 0
	no_violation "$TMP/gen0.err"
	# 3. restore, console input, a reset (the kernel file read again), quit from the console
	vm_bg gen1 restore --api-sock "$TMP/qmp" "$TMP/snap"
	printf 'b' >&3
	wait_lines gen1 "input .*total=" 1
	ctl snapshot "$TMP/snap2" --paused >/dev/null || { cat "$TMP/gen1.err"; fail "snapshot of the restored VM"; }
	qmp cmd cont >/dev/null || fail "cont after restore"
	n=$(grep -ac "cpu=0 n=" "$TMP/gen1.out")
	qmp cmd system_reset >/dev/null || fail "system_reset after restore"
	wait_lines gen1 "cpu=0 n=" $((n + 3)) 60
	qmp cmd quit >/dev/null || fail "quit after restore"
	vm_end gen1 0
	no_violation "$TMP/gen1.err"
}

# violation KIND COMMAND...: the hook in thread KIND kills microvm with SIGSYS and one line.
violation() {
	local kind=$1 thread=$2
	shift 2
	run_microvm "$@"
	expect_status 159
	expect_output "$LINE_RE"
	expect_output "^microvm: seccomp: thread $thread made forbidden system call socket \(nr 41\)"
	[ "$(grep -c 'seccomp: thread' "$TMP/out")" = 1 ] || fail "more than one line"
}

test_seccomp_violation_vcpu() {
	violation vcpu vcpu0 run --debug-exit --test-seccomp-violation vcpu --cmdline test=hello "$GUEST_ELF"
}

test_seccomp_violation_main() {
	violation main main run --debug-exit --test-seccomp-violation main --cmdline test=hello "$GUEST_ELF"
}

# In a restored VM too, and in a vCPU started again by cont.
test_seccomp_violation_after_restore() {
	vm_bg gen0 run --debug-exit --mem 64M --api-sock "$TMP/qmp" --cmdline "test=counter step=20 region=256K" "$GUEST_ELF"
	wait_lines gen0 "cpu=0 n=" 2
	ctl snapshot "$TMP/snap" --paused >/dev/null || fail "snapshot"
	qmp cmd quit >/dev/null
	vm_end gen0 0
	violation vcpu vcpu0 restore --test-seccomp-violation vcpu "$TMP/snap"
}

test_seccomp_off_lets_the_hook_through() {
	run_microvm run --debug-exit --seccomp=off --test-seccomp-violation vcpu --cmdline test=hello "$GUEST_ELF"
	expect_status 1
	expect_output hello
	expect_no_output 'seccomp:'
	run_microvm run --debug-exit --seccomp off --test-seccomp-violation main --cmdline test=hello "$GUEST_ELF"
	expect_status 1
	expect_no_output 'seccomp:'
	run_microvm run --debug-exit --seccomp=maybe --cmdline test=hello "$GUEST_ELF"
	expect_status 2
	expect_one_error_line "--seccomp maybe: choose on or off"
}

# A link at a path microvm writes is refused; nothing is written where it points.
test_seccomp_symlinks_refused() {
	mkdir "$TMP/elsewhere"
	ln -s "$TMP/elsewhere/victim" "$TMP/core.elf"
	ln -s "$TMP/elsewhere" "$TMP/snap"
	vm_bg gen0 run --debug-exit --mem 64M --api-sock "$TMP/qmp" --cmdline "test=counter step=20 region=256K" "$GUEST_ELF"
	wait_lines gen0 "cpu=0 n=" 1
	qmp cmd dump-guest-memory '{"paging": false, "protocol": "file:'"$TMP"'/core.elf"}' >"$TMP/r1" 2>&1 &&
		fail "a dump through a symbolic link was accepted"
	grep -q "is a symbolic link" "$TMP/r1" || { cat "$TMP/r1"; fail "no clear error for the dump"; }
	qmp cmd snapshot-save '{"path": "'"$TMP"'/snap"}' >"$TMP/r2" 2>&1 &&
		fail "a snapshot through a symbolic link was accepted"
	grep -q "is a symbolic link" "$TMP/r2" || { cat "$TMP/r2"; fail "no clear error for the snapshot"; }
	[ "$(ctl status)" = running ] || fail "the VM does not run on"
	qmp cmd quit >/dev/null
	vm_end gen0 0
	[ -z "$(ls -A "$TMP/elsewhere")" ] || fail "something was written through a link: $(ls -A "$TMP/elsewhere")"
	[ -L "$TMP/core.elf" ] && [ -L "$TMP/snap" ] || fail "a link was replaced"
	# --api-sock: a link is not a socket it made
	ln -s "$TMP/elsewhere/sock" "$TMP/sock"
	run_microvm run --debug-exit --api-sock "$TMP/sock" --cmdline test=hello "$GUEST_ELF"
	expect_status 2
	expect_one_error_line "exists and is not a socket"
	[ -z "$(ls -A "$TMP/elsewhere")" ] || fail "a socket was created through a link"
}
