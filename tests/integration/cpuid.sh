# Guest CPUID: on a KVM that emulates guest kernel mode microvm hides what the
# emulator cannot run (CX16, the XSAVE family); on hardware-assisted KVM, or
# with --cpu-compat native, features pass through. Where the host forces a
# hidden feature back on, microvm must say so, and the guest must see exactly
# what microvm reported.

test_cpuid_filter_matches_host_kind() {
	run_guest "$GUEST_ELF" cpuid -- -v
	expect_status 1
	if ! grep -q 'host KVM emulates guest kernel mode' "$TMP/out"; then
		run_guest "$GUEST_ELF" cpuid features=passed
		expect_status 1
		return 0
	fi
	if grep -q "advertises .*XSAVE.* although microvm hid them" "$TMP/out"; then
		# The host put XSAVE back: the guest sees it, and CX16 stays hidden.
		expect_output '^cpuid: cx16 0 xsave 1 '
		run_guest "$GUEST_ELF" cpuid features=hidden
	else
		run_guest "$GUEST_ELF" cpuid "features=hidden xsave=hidden"
	fi
	expect_status 1
	expect_output 'PASS: CX16 is hidden'
}

test_cpuid_native_compat_passes_cx16() {
	run_guest "$GUEST_ELF" cpuid features=passed -- --cpu-compat native
	expect_status 1
	expect_output 'PASS: CX16 is advertised'
}

# The check has teeth: asking a native-compat guest to find CX16 hidden fails.
test_cpuid_check_can_fail() {
	run_guest "$GUEST_ELF" cpuid features=hidden -- --cpu-compat native
	[ "$status" != 1 ] && [ $((status & 1)) = 1 ] || fail "status $status"
	expect_output 'FAIL: CX16 is hidden'
}

# Every vCPU reports its own APIC ID (smp scenario, three vCPUs).
test_cpuid_topology_smp() {
	run_guest "$GUEST_ELF" smp cpus=3 -- --cpus 3
	expect_status 1
}

# CPUID topology on every vCPU agrees with --cpus: leaf 1 (APIC ID, count) and
# leaf 0xB (SMT level of 1 thread, core level of N, then the end; EDX the
# x2APIC ID), also where KVM itself returns only leaf 0xB subleaf 0.
topology() { # N
	run_guest "$GUEST_ELF" cpuid "cpus=$1" -- --cpus "$1"
	expect_status 1
	expect_output "PASS: boot CPU: leaf 0xB.1 is the core level: $1 CPUs"
	[ "$1" = 1 ] || expect_output "PASS: AP $(($1 - 2)): leaf 0xB EDX is the x2APIC ID"
}
test_cpuid_topology_1() { topology 1; }
test_cpuid_topology_2() { topology 2; }
test_cpuid_topology_4() { topology 4; }
