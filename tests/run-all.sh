#!/usr/bin/env bash
# `make check` after building: unit tests (Criterion, ASan+UBSan), the fuzz
# targets on their corpus for a few seconds each, the tests
# of tests/with-kvm (on this host), then the integration tests through
# tests/with-kvm (on /dev/kvm, or in its nested-KVM VM where this host has
# none); ends with one "check: N passed, N failed, N skipped" line.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2
mkdir -p build/test-logs

echo "== unit tests (Criterion) =="
build/unit-tests --jobs 2 2>&1 | tee build/test-logs/unit.log | grep -vE '^\[----\]' 
unit_rc=${PIPESTATUS[0]}
synth=$(grep -a 'Synthesis:' build/test-logs/unit.log | tail -1)
u_pass=$(echo "$synth" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
u_fail=$(echo "$synth" | sed -n 's/.*Failing: \([0-9]*\).*/\1/p')
u_crash=$(echo "$synth" | sed -n 's/.*Crashing: \([0-9]*\).*/\1/p')
u_pass=${u_pass:-0} u_fail=$(( ${u_fail:-0} + ${u_crash:-0} ))
if [ "$unit_rc" != 0 ] && [ "$u_fail" = 0 ]; then u_fail=1; fi

# suite LABEL COMMAND...: run a suite of tests/integration/run.sh, add its counts.
s_pass=0 s_fail=0 s_skip=0
suite() {
	local label=$1 rc line p f k
	shift
	"$@" 2>&1 | tee "build/test-logs/$label.log"
	rc=${PIPESTATUS[0]}
	line=$(grep -a "^$label: [0-9]* passed" "build/test-logs/$label.log" | tail -1)
	p=$(echo "$line" | sed -n 's/^[a-z_-]*: \([0-9]*\) passed.*/\1/p')
	f=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
	k=$(echo "$line" | sed -n 's/.* \([0-9]*\) skipped.*/\1/p')
	p=${p:-0} f=${f:-0} k=${k:-0}
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "$label: the suite itself failed (status $rc)"
		f=1
	fi
	s_pass=$((s_pass + p)) s_fail=$((s_fail + f)) s_skip=$((s_skip + k))
}

echo "== fuzz targets, a few seconds each from their corpus (docs/security.md) =="
suite fuzz-check tests/fuzz/run.sh --check $(ls tests/fuzz/fuzz_*.c | sed 's|.*/fuzz_||; s|\.c$||')
echo "== tests of tests/with-kvm (on this host) =="
suite harness tests/integration/run.sh --dir tests/harness
echo "== integration tests (on a KVM: tests/with-kvm) =="
suite integration tests/with-kvm tests/integration/run.sh
echo "== stock Linux guests (on a KVM that runs guest kernels natively: tests/with-kvm --full) =="
suite linux-guest tests/with-kvm --full tests/integration/run.sh --dir tests/linux-guest

echo "unit: $u_pass passed, $u_fail failed"
echo "check: $((u_pass + s_pass)) passed, $((u_fail + s_fail)) failed, $s_skip skipped"
[ "$u_fail" = 0 ] && [ "$s_fail" = 0 ]
