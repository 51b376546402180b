#!/usr/bin/env bash
# Integration test runner: boots real guests on /dev/kvm through build/microvm.
# Usage: tests/integration/run.sh [--dir DIR] [FILTER]
#   DIR: the test files (default tests/integration; tests/harness holds the
#   tests of tests/with-kvm, run on the host); FILTER: a regex on file:function.
# Ends with "NAME: N passed, N failed, N skipped", NAME being DIR's base name.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export ROOT
dir=$ROOT/tests/integration
if [ "${1:-}" = --dir ]; then
	dir=$(cd "${2:?--dir needs a directory}" && pwd) || exit 2
	shift 2
fi
label=$(basename "$dir")
export MICROVM=$ROOT/build/microvm
export GUEST_ELF=$ROOT/build/guest-images/testguest.elf
export GUEST_BZ=$ROOT/build/guest-images/testguest.bzImage
export LINUX_DIR=$ROOT/build/guest-images/linux
filter=${1:-}
pass=0 failed=0 skipped=0 failures=""
logdir=$ROOT/build/test-logs
mkdir -p "$logdir"
# Seconds per file, for docs/testing.md: build/test-logs/times-LABEL.txt.
times=$logdir/times-$label.txt
: >"$times"
suite_start=$SECONDS

# The loop is one command, parsed whole: editing this file during a run
# cannot change what the run does.
for file in "$dir"/*.sh; do
	base=$(basename "$file" .sh)
	case $base in run | lib) continue ;; esac
	file_start=$SECONDS file_tests=0
	funcs=$(bash -c "source '$ROOT/tests/integration/lib.sh'; source '$file'; declare -F" |
		awk '$3 ~ /^test_/ {print $3}')
	for fn in $funcs; do
		name="$base:$fn"
		if [ -n "$filter" ] && ! [[ $name =~ $filter ]]; then
			continue
		fi
		limit=$(bash -c "source '$file'; echo \${TIMEOUT_$fn:-120}")
		tmp=$(mktemp -d "${TMPDIR:-/tmp}/microvm-test.XXXXXX")
		start=$(date +%s)
		(cd "$tmp" && TMP=$tmp timeout -k 5 "$limit" bash -c \
			"set -u; source '$ROOT/tests/integration/lib.sh'; source '$file'; $fn" \
			</dev/null >"$logdir/$base.$fn.log" 2>&1)
		rc=$?
		secs=$(($(date +%s) - start))
		if [ $rc = 0 ]; then
			pass=$((pass + 1))
			printf 'PASS  %-50s %3ss\n' "$name" "$secs"
		elif [ $rc = 77 ]; then
			skipped=$((skipped + 1))
			printf 'SKIP  %-50s %s\n' "$name" "$(grep -m1 '^SKIP:' "$logdir/$base.$fn.log" | cut -c7-)"
		else
			failed=$((failed + 1))
			failures="$failures $name"
			[ $rc = 124 ] && echo "TIMEOUT after ${limit}s" >>"$logdir/$base.$fn.log"
			printf 'FAIL  %-50s %3ss\n' "$name" "$secs"
			sed 's/^/      | /' "$logdir/$base.$fn.log" | tail -n 25
		fi
		rm -rf "$tmp"
		file_tests=$((file_tests + 1))
	done
	[ $file_tests = 0 ] || printf '%-20s %3d tests %5ds\n' "$base" $file_tests $((SECONDS - file_start)) >>"$times"
done; {
	printf '%-20s %3d tests %5ds\n' total $((pass + failed + skipped)) $((SECONDS - suite_start)) >>"$times"
	[ -n "$failures" ] && echo "failed:$failures"
	echo "$label: $pass passed, $failed failed, $skipped skipped ($((SECONDS - suite_start))s; per file: $times)"
	[ $failed = 0 ]
	exit
}
