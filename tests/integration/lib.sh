# Helpers for integration tests (sourced by tests/integration/run.sh).
#
# A test file defines shell functions named test_*; each runs in its own
# subshell, in a fresh temporary directory $TMP (also the cwd), with stdin
# from /dev/null. Return 0 to pass, non-zero (or call fail) to fail, or call
# skip "reason" when this host lacks something the test needs (the reason is
# printed). A file may set TIMEOUT_<function>=SECONDS (default 120).
#
# Environment: $ROOT (repo), $MICROVM, $GUEST_ELF, $GUEST_BZ, $LINUX_DIR.

fail() {
	echo "FAIL: $*"
	exit 1
}

skip() {
	echo "SKIP: $*"
	exit 77
}

# run_microvm ARGS...: run microvm, output (stdout+stderr) in $TMP/out; sets $status.
run_microvm() {
	"$MICROVM" "$@" </dev/null >"$TMP/out" 2>&1
	status=$?
	return 0
}

# run_guest IMAGE SCENARIO [EXTRA-CMDLINE] [-- MICROVM-ARGS...]: boot a test-guest scenario.
run_guest() {
	local image=$1 scenario=$2 extra=""
	shift 2
	if [ $# -gt 0 ] && [ "$1" != "--" ]; then
		extra=" $1"
		shift
	fi
	[ "${1:-}" = "--" ] && shift
	run_microvm run --debug-exit --cmdline "test=$scenario$extra" "$@" "$image"
}

# expect_status N: the last run ended with status N, else show its output and fail.
expect_status() {
	if [ "$status" != "$1" ]; then
		echo "--- output (last 40 lines) ---"
		tail -n 40 "$TMP/out"
		fail "exit status $status, expected $1"
	fi
}

# expect_output REGEX: the last run's output matches (grep -E).
expect_output() {
	grep -Eq -- "$1" "$TMP/out" || {
		echo "--- output (last 40 lines) ---"
		tail -n 40 "$TMP/out"
		fail "output lacks /$1/"
	}
}

# wait_output PID REGEX N SECS: wait until $TMP/out has N lines matching
# REGEX (grep -E), PID has ended, or SECS seconds have passed; prints how
# many it saw.
wait_output() {
	local pid=$1 re=$2 want=$3 secs=$4 i
	for i in $(seq "$secs"); do
		[ "$(grep -Eac "$re" "$TMP/out")" -ge "$want" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 1
	done
	grep -Eac "$re" "$TMP/out"
}

# expect_no_output REGEX
expect_no_output() {
	if grep -Eq -- "$1" "$TMP/out"; then
		grep -E -- "$1" "$TMP/out" | head -5
		fail "output unexpectedly has /$1/"
	fi
}

# expect_one_error_line: bad input gives exactly one "microvm:" line naming the problem.
expect_one_error_line() {
	local n
	n=$(grep -c '^microvm: ' "$TMP/out")
	[ "$n" = 1 ] || { cat "$TMP/out"; fail "expected one error line, got $n"; }
	[ -n "${1:-}" ] && expect_output "$1"
	return 0
}

# -- a VM in the background, driven through its control socket and console --

# vm_bg NAME ARGS...: microvm ARGS in the background; its stdin is a fifo
# written through fd 3, its console output goes to $TMP/NAME.out and its
# messages to $TMP/NAME.err; waits for the control socket.
vm_bg() {
	local name=$1
	shift
	rm -f "$TMP/in" "$TMP/qmp"
	mkfifo "$TMP/in"
	"$MICROVM" "$@" <"$TMP/in" >"$TMP/$name.out" 2>"$TMP/$name.err" &
	vm_pid=$!
	exec 3>"$TMP/in"
	for _ in $(seq 100); do
		[ -S "$TMP/qmp" ] && return 0
		kill -0 "$vm_pid" 2>/dev/null || break
		sleep 0.1
	done
	cat "$TMP/$name.err"
	fail "$name: microvm did not create its control socket"
}

# wait_lines NAME REGEX N [SECS]: until $TMP/NAME.out has N lines matching REGEX (30 s by default).
wait_lines() {
	for _ in $(seq $((${4:-30} * 10))); do
		[ "$(grep -Eac "$2" "$TMP/$1.out")" -ge "$3" ] && return 0
		kill -0 "$vm_pid" 2>/dev/null || break
		sleep 0.1
	done
	tail -5 "$TMP/$1.out" "$TMP/$1.err"
	fail "$1: fewer than $3 lines /$2/"
}

# vm_end NAME STATUS [SECS]: microvm ends (within SECS, default 20) with STATUS.
vm_end() {
	local st
	exec 3>&-
	for _ in $(seq $((${3:-20} * 10))); do
		kill -0 "$vm_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$vm_pid" 2>/dev/null && { kill -9 "$vm_pid"; fail "$1: microvm did not end"; }
	wait "$vm_pid"
	st=$?
	[ "$st" = "$2" ] || { tail -5 "$TMP/$1.out" "$TMP/$1.err"; fail "$1: exit status $st, expected $2"; }
}
