#!/usr/bin/env bash
# Integration test runner: boots real guests on /dev/kvm through build/microvm.
# Usage: tests/integration/run.sh [FILTER]   (FILTER: a regex on file:function)
# Ends with "integration: N passed, N failed, N skipped".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export ROOT
export MICROVM=$ROOT/build/microvm
export GUEST_ELF=$ROOT/build/guest-images/testguest.elf
export GUEST_BZ=$ROOT/build/guest-images/testguest.bzImage
export LINUX_DIR=$ROOT/build/guest-images/linux
filter=${1:-}
pass=0 failed=0 skipped=0 failures=""
logdir=$ROOT/build/test-logs
mkdir -p "$logdir"

for file in "$ROOT"/tests/integration/*.sh; do
	base=$(basename "$file" .sh)
	case $base in run | lib) continue ;; esac
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
	done
done
[ -n "$failures" ] && echo "failed:$failures"
echo "integration: $pass passed, $failed failed, $skipped skipped"
[ $failed = 0 ]
