#!/bin/sh
# SPDX-License-Identifier: MIT
#
# qemu-check.sh — run every test-guest scenario under QEMU, both image
# formats, and compare each exit status with the expected one. Negative
# cases (wrong expectations, exceptions, unknown names) must fail with
# their documented codes. The same table, run with microvm instead of
# QEMU, is the peer check.
#
#   guest-images/qemu-check.sh              (after make)
#   guest-images/qemu-check.sh -V microvm   the same table through build/microvm
#
# Exit status 0 when every case ends as expected.
set -u

here=$(cd "$(dirname "$0")" && pwd)
run=$here/qemu-run.sh
pass=0 bad=0 vmm=qemu
[ "${1:-}" = -V ] && vmm=${2:-qemu}

# expect STATUS IMAGE [qemu-run options] SCENARIO [KEY=VALUE ...]
expect() {
	want=$1
	shift
	out=$("$run" -V "$vmm" -k "$@" 2>&1)
	got=$?
	if [ "$got" = "$want" ]; then
		pass=$((pass + 1))
		echo "ok    $(echo "$out" | tail -1 | sed 's/^qemu-run: //')"
	else
		bad=$((bad + 1))
		echo "FAIL  want status $want: $(echo "$out" | tail -1 | sed 's/^qemu-run: //')"
		echo "$out" | sed 's/^/      | /'
	fi
}

PASS=1
FAIL_USAGE=225 # (0x70 << 1) | 1
FAIL_TRAP=227  # (0x71 << 1) | 1
FAIL_STUCK=231 # (0x73 << 1) | 1
POWEROFF=0     # the VMM ended on the guest's ACPI S5 (QEMU with -no-reboot)

for img in elf bzimage; do
	expect $PASS $img hello
	expect $PASS $img selftest
	expect $PASS $img memmap
	expect $PASS $img -m 5G memmap
	expect $PASS $img cpl3
	expect $PASS $img smp
	expect $PASS $img -c 2 smp
	expect $PASS $img reset
	expect $PASS $img reset-triple
	for t in ud gp pf user; do
		expect $FAIL_TRAP $img trap trap=$t
	done
	expect $FAIL_USAGE $img no-such-scenario
	expect $PASS $img acpi
	expect $PASS $img -c 4 acpi
	expect $PASS $img fwcfg
	# The platform's own loader script through microvm's executor.
	expect $PASS $img loader
	# NB_CPUS and RAM_SIZE against cpus= and expect_mem= (qemu-run passes both).
	expect $PASS $img -c 2 -m 5G fwcfg
	# fwcfg: NB_CPUS 1 against cpus=3 is check 9, RAM_SIZE 256M against
	# expect_mem=512M check 10.
	expect 19 $img fwcfg cpus=3
	expect 21 $img fwcfg expect_mem=512M
	expect $POWEROFF $img poweroff
	expect $PASS $img acpi-reset
	# A sleep state the platform does not offer must not end the VM.
	expect $FAIL_STUCK $img poweroff slp_typ=1
	# memmap: RAM total 256M against expect_mem=512M is check 6.
	expect 13 $img memmap expect_mem=512M
	# smp: only 1 of 2 APs can report: check 3, after the 10 s wait.
	expect 7 $img -c 2 smp cpus=3
	# COM1's IRQ 4 through the IOAPIC: a console line in, echoed out.
	expect $PASS $img -i hello-irq serial
	# No input: check 3 (no line) after timeout=.
	expect 7 $img serial timeout=1000
done
if [ "$vmm" = qemu ]; then
	# The bzImage's real-mode setup: BIOS e820, the 16-bit entry (SeaBIOS).
	expect $PASS bzimage -M pc hello
	expect $PASS bzimage -M pc memmap
	expect $PASS bzimage -M pc reset
else
	# microvm builds exactly the layout of shared/DESIGN.md §3.
	expect $PASS elf memmap memmap=exact
	expect $PASS bzimage -m 5G memmap memmap=exact
	expect $PASS elf acpi acpi=strict
	expect $PASS bzimage -c 4 -m 5G acpi acpi=strict
	expect $PASS elf fwcfg fwcfg=strict
	expect $PASS bzimage fwcfg fwcfg=strict
fi

echo "qemu-check ($vmm): $pass as expected, $bad not"
[ "$bad" = 0 ]
