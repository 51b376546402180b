# A stock kernel boots to userspace under microvm: Debian's cloud kernel
# (make linux-image) with the test initrd, as a bzImage and as a PVH
# vmlinux, on 1 and 2 vCPUs, with 512 MiB and 5 GiB. These need a KVM that
# runs guest kernel code natively: `make check` runs this directory through
# `tests/with-kvm --full --cpus 1`, which uses its nested VM on a PVM host.

TIMEOUT_test_bzimage_1cpu_512M=300
TIMEOUT_test_pvh_2cpus_512M=300
TIMEOUT_test_bzimage_2cpus_5G=300
TIMEOUT_test_pvh_1cpu_5G=300

# boot_linux IMAGE CPUS MEM: boot to the initrd's init, which powers off.
boot_linux() {
	[ -f "$1" ] || fail "$1 missing (make linux-image)"
	date +%s >"$TMP/host-time"
	# A limit below the runner's, so that a hang shows the guest's log.
	timeout -k 5 240 "$MICROVM" run --vmcoreinfo --cpus "$2" --mem "$3" \
		--initrd "$LINUX_DIR/initrd.cpio.gz" --cmdline "console=ttyS0 microvm.action=poweroff" \
		"$1" </dev/null >"$TMP/out" 2>&1
	status=$?
}

# tsc_stable CPUS: Linux keeps the TSC. The one exception is a CPU without an
# invariant TSC (CPUID 0x80000007 EDX[8]; KVM passes the host's bit on), as
# QEMU's TCG emulates for the nested VM of tests/with-kvm: there Linux
# assumes that the TSCs of a non-Intel CPU with more than one core are
# unsynchronized and says so, under QEMU as a VMM just as under microvm.
tsc_stable() {
	if [ "$1" -gt 1 ] && ! grep -qw constant_tsc /proc/cpuinfo; then
		echo "NOTE: this host's CPU has no invariant TSC; Linux may mark a ${1}-CPU guest's TSC unstable"
		grep -a 'Marking TSC unstable' "$TMP/out" | grep -v 'due to TSCs unsynchronized' &&
			fail "the TSC was marked unstable for another reason"
		return 0
	fi
	expect_no_output 'Marking TSC unstable'
}

# check_boot CPUS: what a healthy boot shows, and what it must not.
check_boot() {
	expect_status 0
	expect_output "microvm initrd: Linux [^ ]+ is up \\($1 CPU,"
	expect_output 'microvm initrd: action poweroff'
	# Time: kvmclock, with the TSC frequency from it, and no clock trouble.
	expect_output 'kvm-clock: Using msrs 4b564d01 and 4b564d00'
	expect_output 'tsc: Detected [0-9.]+ MHz processor'
	expect_output 'clocksource: Switched to clocksource kvm-clock'
	expect_no_output 'Unable to calibrate|No reference \(HPET/PMTIMER\)'
	tsc_stable "$1"
	expect_no_output 'soft lockup|hung_task|blocked for more than|rcu_.*stall'
	# Our tables: listed, no complaint about them.
	expect_output 'ACPI: SSDT 0x[0-9A-F]+ [0-9A-F]+ \(v02 MICROV VMCOREIN'
	expect_no_output 'ACPI BIOS (Error|Warning)|ACPI Error|ACPI Warning|[Cc]hecksum (mismatch|error)|Incorrect checksum'
	# The wall clock (kvmclock's): within two minutes of the host's.
	local guest host
	guest=$(sed -n 's/^microvm initrd: time \([0-9]*\).*/\1/p' "$TMP/out")
	host=$(cat "$TMP/host-time")
	[ -n "$guest" ] || fail "the initrd did not print the time"
	[ $((guest - host)) -ge -5 ] && [ $((guest - host)) -le 120 ] ||
		fail "the guest's clock says $guest, the host's said $host at the start"
}

test_bzimage_1cpu_512M() {
	boot_linux "$LINUX_DIR/vmlinuz" 1 512M
	check_boot 1
}

test_pvh_2cpus_512M() {
	boot_linux "$LINUX_DIR/vmlinux" 2 512M
	check_boot 2
}

test_bzimage_2cpus_5G() {
	boot_linux "$LINUX_DIR/vmlinuz" 2 5G
	check_boot 2
	expect_output 'BIOS-e820: \[mem 0x0000000100000000-0x000000017fffffff\] usable'
}

test_pvh_1cpu_5G() {
	boot_linux "$LINUX_DIR/vmlinux" 1 5G
	check_boot 1
	expect_output 'BIOS-e820: \[mem 0x0000000100000000-0x000000017fffffff\] usable'
}

# reboot -f resets the VM: the vmcoreinfo address is cleared, the firmware
# publishes a fresh one, the kernel boots again; then poweroff -f ends the run.
# Linux reboots through the BIOS reset vector here (ACPI hardware-reduced
# without EFI), which microvm's reset stub turns into an ACPI reset.
TIMEOUT_test_reboot_then_poweroff=400
test_reboot_then_poweroff() {
	local pid ups
	mkfifo "$TMP/in"
	timeout -k 5 300 "$MICROVM" run -v --vmcoreinfo --mem 512M --initrd "$LINUX_DIR/initrd.cpio.gz" \
		--cmdline "console=ttyS0 microvm.action=reboot" "$LINUX_DIR/vmlinuz" \
		<"$TMP/in" >"$TMP/out" 2>&1 &
	pid=$!
	exec 3>"$TMP/in"
	ups=$(wait_output $pid 'microvm initrd: Linux .* is up' 2 300)
	# A subshell: if microvm is gone, SIGPIPE ends it, not the test.
	(echo poweroff >&3) 2>/dev/null
	wait $pid
	status=$?
	exec 3>&-
	[ "$ups" -ge 2 ] || { tail -n 30 "$TMP/out"; fail "the kernel did not come up a second time"; }
	expect_status 0
	[ "$(grep -ac 'Linux version [0-9]' "$TMP/out")" = 2 ] || fail "expected two boots of the kernel"
	expect_output 'vmcoreinfo: reset: address 0x[0-9a-f]+ cleared'
	[ "$(grep -ac 'vmcoreinfo: the firmware published the page' "$TMP/out")" = 2 ] ||
		fail "the firmware did not publish the vmcoreinfo page on both boots"
	expect_output 'acpi_pm: the guest requested a reset'
	expect_output 'reboot: Power down'
}
