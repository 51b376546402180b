#!/usr/bin/env bash
# `make run`'s demo, after the build: the test guest says hello, then panics
# and microvm writes an ELF core with the guest's VMCOREINFO note, which
# `microvm inspect` summarises. Runs where a KVM works (tests/with-kvm).
set -u
cd "$(dirname "$0")/.." || exit 2
B=build
echo "== microvm: the test guest says hello (status 1 = the guest passed) =="
$B/microvm run --debug-exit --cmdline "test=hello" $B/guest-images/testguest.elf
rc=$?
[ $rc = 1 ] || { echo "demo: hello ended with status $rc, expected 1" >&2; exit 1; }
echo "== the guest panics: microvm writes an ELF core with the guest's VMCOREINFO note =="
mkdir -p $B/run-demo && rm -f $B/run-demo/microvm-core-*
$B/microvm run --vmcoreinfo --debug-exit --dump-dir $B/run-demo \
	--cmdline "test=vmcoreinfo marker=make-run" $B/guest-images/testguest.elf |
	grep -v '^vmcoreinfo: text:'
rc=${PIPESTATUS[0]}
[ $rc = 8 ] || { echo "demo: the panicking guest ended with status $rc, expected 8" >&2; exit 1; }
echo "== microvm inspect: what the dump holds (also try readelf -n, gdb -c, crash) =="
$B/microvm inspect $B/run-demo/microvm-core-*.elf
