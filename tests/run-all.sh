#!/usr/bin/env bash
# `make check` after building: unit tests (Criterion, ASan+UBSan), then
# integration tests on /dev/kvm; ends with one "check: N passed, N failed" line.
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

echo "== integration tests (/dev/kvm) =="
tests/integration/run.sh 2>&1 | tee build/test-logs/integration.log
int_rc=${PIPESTATUS[0]}
line=$(grep -a '^integration:' build/test-logs/integration.log | tail -1)
i_pass=$(echo "$line" | sed -n 's/^integration: \([0-9]*\) passed.*/\1/p')
i_fail=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
i_skip=$(echo "$line" | sed -n 's/.* \([0-9]*\) skipped.*/\1/p')
i_pass=${i_pass:-0} i_fail=${i_fail:-0} i_skip=${i_skip:-0}
if [ "$int_rc" != 0 ] && [ "$i_fail" = 0 ]; then i_fail=1; fi

echo "unit: $u_pass passed, $u_fail failed"
echo "check: $((u_pass + i_pass)) passed, $((u_fail + i_fail)) failed, $i_skip skipped"
[ "$u_fail" = 0 ] && [ "$i_fail" = 0 ]
