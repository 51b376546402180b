#!/usr/bin/env bash
# Run the fuzz targets (docs/security.md).
#   tests/fuzz/run.sh SECONDS NAME...   each target for SECONDS on a copy of its
#                                       corpus; new inputs land in build/fuzz/work/NAME
#   tests/fuzz/run.sh --check NAME...   each for a few seconds (FUZZ_CHECK_SECONDS,
#                                       default 3) from its seed corpus: make check
# FUZZ_FLAGS adds libFuzzer flags, e.g. a long run on every core:
#   FUZZ_FLAGS='-fork=2 -runs=10000000' tests/fuzz/run.sh 36000 boot
# Prints one line per target: executions, executions per second, coverage
# (libFuzzer's cov: and ft: counters), crashes; any crash, leak or timeout
# fails the run, and its input is left in build/fuzz/crashes/NAME/.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2
check=false
if [ "${1:-}" = --check ]; then
	check=true
	secs=${FUZZ_CHECK_SECONDS:-3}
else
	secs=${1:?usage: tests/fuzz/run.sh SECONDS NAME... | --check NAME...}
fi
shift
mkdir -p build/test-logs
fail=0 pass=0
for name in "$@"; do
	bin=build/fuzz/fuzz_$name
	seeds=tests/fuzz/corpus/$name
	work=build/fuzz/work/$name
	crashes=build/fuzz/crashes/$name
	log=build/test-logs/fuzz-$name.log
	mkdir -p "$work" "$crashes" "$seeds"
	opts=()
	if [ -f "tests/fuzz/$name.options" ]; then
		read -r -a opts < "tests/fuzz/$name.options"
	fi
	dirs=("$work" "$seeds")
	[ -d "tests/fuzz/regress/$name" ] && dirs+=("tests/fuzz/regress/$name")
	read -r -a extra <<<"${FUZZ_FLAGS:-}"
	"$bin" "${opts[@]}" -max_total_time="$secs" -print_final_stats=1 -timeout=10 \
		-rss_limit_mb=4096 "${extra[@]}" -artifact_prefix="$crashes/" "${dirs[@]}" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	# -fork=N prints no final stats, only "#RUNS: ... time: SECONDSs" lines.
	if [ -z "$runs" ]; then
		runs=$(sed -n 's/^#\([0-9]*\): .*/\1/p' "$log" | tail -1)
		t=$(sed -n 's/^#[0-9]*: .* time: \([0-9]*\)s.*/\1/p' "$log" | tail -1)
		[ -n "$runs" ] && [ "${t:-0}" -gt 0 ] && rate=$((runs / t))
	fi
	cov=$(grep -aoE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
	if [ "$rc" = 0 ]; then
		pass=$((pass + 1))
		echo "fuzz $name: ok, ${runs:-?} executions, ${rate:-?}/s, ${cov:-no coverage line} (log $log)"
	else
		fail=$((fail + 1))
		echo "fuzz $name: FAILED (status $rc), input in $crashes/; last lines of $log:"
		grep -aE 'ERROR|SUMMARY|==[0-9]+==|Test unit written|deadly signal' "$log" | head -8 | sed 's/^/  /'
	fi
done
label=fuzz
$check && label=fuzz-check
echo "$label: $pass passed, $fail failed, 0 skipped"
[ "$fail" = 0 ]
