#!/bin/sh
# SPDX-License-Identifier: MIT
#
# qemu-run.sh — boot one test-guest scenario under QEMU, the peer microvm is
# checked against, and report how it ended. With -V microvm the same run
# goes through build/microvm instead, so both verdicts can be compared.
#
#   guest-images/qemu-run.sh [options] SCENARIO [KEY=VALUE ...]
#
#   -k IMAGE   elf (default), bzimage, or a path to a kernel image
#   -m SIZE    guest RAM (default 256M); also passes expect_mem=SIZE
#   -c N       vCPUs (default 1); with N > 1 also passes cpus=N
#   -M NAME    QEMU machine: microvm (default) or pc
#   -V VMM     qemu (default) or microvm
#   -t SECS    give up after SECS seconds (default 60)
#   -i LINE    LINE and a newline on the console input (else none)
#   -q         print only the verdict line, not the guest's console
#
# The guest's command line is "test=SCENARIO", the KEY=VALUE words, then
# expect_mem= and cpus= (the guest takes the first occurrence of a key, so
# a KEY=VALUE given here overrides them).
# Scenarios named reset* or *-reset* run without -no-reboot (the guest
# resets itself once); every other reset or shutdown ends QEMU.
# QEMU's microvm has no i8042, so one is added (microvm has one).
#
# Exit status: QEMU's own, i.e. (v << 1) | 1 for a debug-exit write of v
# (1 = the guest passed), 0 after a reset/shutdown with -no-reboot, 124 on
# timeout; 2 if QEMU exited 1 without the guest's pass line (QEMU itself
# failed). The last line printed is the verdict.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
image=elf mem=256M cpus=1 machine=microvm vmm=qemu secs=60 quiet=0 input=

usage() {
	awk 'NR > 3 && !/^#/ { exit } NR > 3 { sub(/^# ?/, ""); print }' "$0" >&2
	exit 2
}

while getopts k:m:c:M:V:t:i:qh opt; do
	case $opt in
	k) image=$OPTARG ;;
	m) mem=$OPTARG ;;
	c) cpus=$OPTARG ;;
	M) machine=$OPTARG ;;
	V) vmm=$OPTARG ;;
	t) secs=$OPTARG ;;
	i) input=$OPTARG ;;
	q) quiet=1 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage
scenario=$1
shift

case $image in
elf) kernel=$root/build/guest-images/testguest.elf ;;
bzimage) kernel=$root/build/guest-images/testguest.bzImage ;;
*) kernel=$image ;;
esac
if [ ! -f "$kernel" ]; then
	echo "qemu-run: $kernel: no such image; run make first" >&2
	exit 2
fi

cmdline="test=$scenario"
[ $# -gt 0 ] && cmdline="$cmdline $*"
cmdline="$cmdline expect_mem=$mem"
[ "$cpus" -gt 1 ] && cmdline="$cmdline cpus=$cpus"

case $scenario in
reset* | *-reset*) reboot=1 ;;
*) reboot=0 ;;
esac
case $vmm in
qemu)
	set -- qemu-system-x86_64 -M "$machine" -accel kvm -cpu qemu64,-cx16 -m "$mem" \
		-smp "$cpus" -nographic -device isa-debug-exit,iobase=0x501,iosize=2
	[ "$machine" = microvm ] && set -- "$@" -device i8042
	[ $reboot = 1 ] || set -- "$@" -no-reboot
	set -- "$@" -kernel "$kernel" -append "$cmdline"
	where=$machine
	;;
microvm)
	set -- "$root/build/microvm" run --debug-exit --mem "$mem" --cpus "$cpus"
	[ $reboot = 1 ] || set -- "$@" --no-reboot
	set -- "$@" --cmdline "$cmdline" "$kernel"
	where=microvm-vmm
	;;
*) usage ;;
esac

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Serial output goes to stdout; QEMU's warnings (e.g. about CPUID features
# this host lacks) are dropped.
if [ -n "$input" ]; then
	printf '%s\n' "$input" | timeout "$secs" "$@" >"$log" 2>&1
else
	timeout "$secs" "$@" </dev/null >"$log" 2>&1
fi
status=$?
[ "$quiet" = 1 ] || grep -v '^qemu-system-x86_64: warning:' "$log"

case $status in
1)
	if grep -q 'testguest: exit code 0 (pass)' "$log"; then
		verdict=pass
	else
		verdict="$vmm failed (status 1 without the guest's pass line)"
		status=2
	fi
	;;
0) verdict="reset or shutdown (-no-reboot)" ;;
124) verdict="timed out after ${secs}s" ;;
*)
	if [ $((status % 2)) = 1 ]; then
		verdict="fail: guest exit code $((status >> 1))"
	else
		verdict="$vmm ended with status $status"
	fi
	;;
esac
echo "qemu-run: $(basename "$kernel") $cmdline on $where: status $status ($verdict)"
exit "$status"
