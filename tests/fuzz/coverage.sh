#!/usr/bin/env bash
# Line and branch coverage each fuzz target reached (make fuzz-coverage):
# runs build/fuzz-cov/fuzz_NAME once over every input it has (the corpus
# libFuzzer grew in build/fuzz/work/NAME, the seeds, the regressions) and
# prints llvm-cov's totals for the sources tests/fuzz/NAME.cover lists.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2
cov=build/fuzz-cov
profdata=$(command -v llvm-profdata || command -v llvm-profdata-14) || { echo "coverage: no llvm-profdata (apt-get install llvm)"; exit 1; }
llvmcov=$(command -v llvm-cov || command -v llvm-cov-14) || { echo "coverage: no llvm-cov (apt-get install llvm)"; exit 1; }
for name in "$@"; do
	dirs=()
	for d in build/fuzz/work/$name tests/fuzz/corpus/$name tests/fuzz/regress/$name; do
		[ -d "$d" ] && dirs+=("$d")
	done
	rm -f "$cov/$name.profraw"
	LLVM_PROFILE_FILE=$cov/$name.profraw "$cov/fuzz_$name" -runs=0 "${dirs[@]}" >"$cov/$name.log" 2>&1 ||
		{ echo "coverage $name: the replay failed (see $cov/$name.log)"; continue; }
	"$profdata" merge -sparse "$cov/$name.profraw" -o "$cov/$name.profdata"
	srcs=()
	[ -f "tests/fuzz/$name.cover" ] && read -r -a srcs <"tests/fuzz/$name.cover"
	inputs=$(find "${dirs[@]}" -type f | wc -l)
	"$llvmcov" report "$cov/fuzz_$name" -instr-profile="$cov/$name.profdata" "${srcs[@]}" >"$cov/$name.report"
	total=$(awk '$1 == "TOTAL" {print "regions " $4 ", functions " $7 ", lines " $10 ", branches " $13}' "$cov/$name.report")
	echo "coverage $name: $inputs inputs; ${srcs[*]:-all sources}: $total"
done
