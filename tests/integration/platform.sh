# Issue 4: the platform a guest sees through the firmware, checked from
# inside by the test guest: the ACPI tables (acpi), the fw_cfg ABI (fwcfg),
# ACPI poweroff (poweroff) and reset (acpi-reset). Both image formats; the
# strict variants hold microvm to its own layout (shared/DESIGN.md §3-§5,
# §8), beyond what the ABI promises.

need_guests() {
	[ -f "$GUEST_ELF" ] && [ -f "$GUEST_BZ" ] || fail "test guests not built (make all)"
}

image_of() { # elf|bz
	if [ "$1" = bz ]; then echo "$GUEST_BZ"; else echo "$GUEST_ELF"; fi
}

# -- acpi: RSDP, XSDT, FADT, DSDT, MADT --

acpi() { # elf|bz CPUS [MICROVM-ARGS...]
	local img cpus=$2
	img=$(image_of "$1")
	shift 2
	need_guests
	run_guest "$img" acpi "acpi=strict cpus=$cpus" -- --cpus "$cpus" "$@"
	expect_status 1
	expect_output "PASS: the MADT lists $cpus enabled Local APICs, one per vCPU"
	expect_output 'PASS: strict: FACP lies in the HIGH zone'
	expect_output 'PASS: the FSEG scan finds the same RSDP'
}
test_acpi_1cpu_elf() { acpi elf 1; }
test_acpi_1cpu_bzimage() { acpi bz 1; }
test_acpi_4cpus_elf() { acpi elf 4; }
test_acpi_4cpus_bzimage() { acpi bz 4; }
# RAM above 4 GiB: the HIGH zone stays at the top of RAM below the hole.
test_acpi_5G() { acpi elf 2 --mem 5G; }
test_acpi_32M() { acpi bz 1 --mem 32M; }

# The MADT check has teeth: a guest told to expect 4 CPUs on 2 fails.
test_acpi_detects_cpu_mismatch() {
	need_guests
	run_guest "$GUEST_ELF" acpi "cpus=4" -- --cpus 2
	expect_output 'FAIL: the MADT lists 2 enabled Local APICs, one per vCPU \(4\)'
	[ "$status" != 1 ] && [ $((status & 1)) = 1 ] || fail "status $status"
}

# The guest's checksum check has teeth: a loader script without the MADT's
# ADD_CHECKSUM leaves its checksum byte 0, and the guest must say so.
test_acpi_detects_bad_checksum() {
	need_guests
	run_microvm tables --cpus 2 "$TMP/t"
	expect_status 0
	python3 "$ROOT/tests/integration/loader_drop.py" "$TMP/t" checksum APIC ||
		fail "could not drop the MADT's ADD_CHECKSUM"
	run_guest "$GUEST_ELF" acpi "cpus=2" -- --cpus 2 --fw-cfg "name=etc/table-loader,file=$TMP/t/loader.bin"
	expect_output 'FAIL: XSDT entry 0x[0-9a-f]+: length and checksum hold'
	[ "$status" != 1 ] && [ $((status & 1)) = 1 ] || fail "status $status"
}

# -- fwcfg: ports, directory, etc/e820, loader script, DMA errors --

fwcfg() { # elf|bz [MICROVM-ARGS...]
	local img
	img=$(image_of "$1")
	shift
	need_guests
	run_guest "$img" fwcfg "fwcfg=strict" -- "$@"
	expect_status 1
	expect_output 'PASS: the directory through rep insb equals the DMA copy'
	expect_output 'PASS: strict: etc/e820\[3\] equals the guest.s map entry'
	expect_output 'PASS: a DMA WRITE to the read-only etc/e820 fails'
	# The refused transfers are logged, not fatal: the guest went on.
	expect_output 'PASS: DMA still works after the failed transfers'
	expect_output '^microvm: fw_cfg: DMA .*address 0x8000000000 .*failed'
}
test_fwcfg_elf() { fwcfg elf; }
test_fwcfg_bzimage() { fwcfg bz; }
test_fwcfg_5G() { fwcfg elf --mem 5G; }
# NB_CPUS (0x05) and RAM_SIZE (0x03) hold the vCPUs and --mem, as QEMU's do
# (qemu_peer.sh: test_fwcfg_machine_items).
test_fwcfg_machine_items() {
	need_guests
	run_guest "$GUEST_BZ" fwcfg "cpus=2 expect_mem=5G" -- --cpus 2 --mem 5G
	expect_status 1
	expect_output 'fwcfg: NB_CPUS 2, MAX_CPUS 2, RAM_SIZE 0x140000000 \(5120 MiB\); the MADT lists 2 CPUs'
	expect_output 'PASS: NB_CPUS 2 equals the MADT.s enabled processors \(2\)'
	expect_output 'PASS: NB_CPUS 2 equals cpus=2'
	expect_output 'PASS: RAM_SIZE 5120 MiB equals expect_mem=5120 MiB'
	expect_output 'PASS: RAM_SIZE 5242880 KiB is the memory map.s RAM'
}
# ... and the checks have teeth.
test_fwcfg_detects_item_mismatch() {
	need_guests
	run_guest "$GUEST_ELF" fwcfg "cpus=4" -- --cpus 2
	expect_output 'FAIL: NB_CPUS 2 equals cpus=4'
	[ "$status" != 1 ] && [ $((status & 1)) = 1 ] || fail "status $status"
	run_guest "$GUEST_ELF" fwcfg "expect_mem=64M" -- --mem 128M
	expect_output 'FAIL: RAM_SIZE 128 MiB equals expect_mem=64 MiB'
	[ "$status" != 1 ] && [ $((status & 1)) = 1 ] || fail "status $status"
}
# With the vmcoreinfo device: two more files, one of them guest-writable,
# and a WRITE_POINTER in the loader script.
test_fwcfg_vmcoreinfo() {
	fwcfg bz --vmcoreinfo
	expect_output 'fwcfg: .* etc/vmcoreinfo-addr'
	expect_output 'WRITE_POINTER etc/vmcoreinfo-addr\+0 <- etc/vmcoreinfo\+40, 8 bytes'
}

# -- loader: the firmware's executor, inside the guest, on the platform's script --

loader() { # elf|bz [MICROVM-ARGS...]
	local img
	img=$(image_of "$1")
	shift
	need_guests
	run_guest "$img" loader -- "$@"
	expect_status 1
	expect_output 'PASS: loader: microvm.s executor runs all [0-9]+ commands'
	expect_output 'PASS: loader: FADT.s DSDT DSDT "MICROVM " at 0x[0-9a-f]+: length [0-9]+ and checksum hold'
	expect_output 'PASS: loader: DSDT: same bytes as the platform.s except 1 patched ones \(0 differ\)'
	expect_output 'loader: the tables match the platform.s'
}
test_loader_elf() { loader elf; }
test_loader_bzimage() { loader bz; }
# With --vmcoreinfo: an SSDT with a 4-byte pointer to etc/vmcoreinfo, and a
# WRITE_POINTER, run dry, whose value must match the firmware's.
loader_vmcoreinfo() { # elf|bz
	loader "$1" --vmcoreinfo
	expect_output 'PASS: loader: SSDT: same bytes as the platform.s except [0-9]+ patched ones \(0 differ\)'
	expect_output 'loader: +WRITE_POINTER dry run: key 0x[0-9a-f]+ \+ 0 <- 0x[0-9a-f]+ \(8 bytes\), not written'
	expect_output 'PASS: loader: command [0-9]+ \(WRITE_POINTER\): the platform.s copy of etc/vmcoreinfo is where its other pointers say'
}
test_loader_vmcoreinfo_elf() { loader_vmcoreinfo elf; }
test_loader_vmcoreinfo_bzimage() { loader_vmcoreinfo bz; }

# The checks have teeth: without the MADT's ADD_CHECKSUM (both firmwares run
# that script), the MADT the executor builds has a bad checksum, by name.
test_loader_detects_bad_checksum() {
	need_guests
	run_microvm tables "$TMP/t"
	expect_status 0
	python3 "$ROOT/tests/integration/loader_drop.py" "$TMP/t" checksum APIC ||
		fail "could not drop the MADT's ADD_CHECKSUM"
	run_guest "$GUEST_ELF" loader -- --fw-cfg "name=etc/table-loader,file=$TMP/t/loader.bin"
	expect_output 'PASS: loader: microvm.s executor runs all [0-9]+ commands'
	expect_output 'FAIL: loader: root entry [0-9]+ APIC "MICROVM " at 0x[0-9a-f]+: length 80 and checksum hold'
	[ "$status" != 1 ] && [ $((status & 1)) = 1 ] || fail "status $status"
}

# ... and without the RSDP's ADD_POINTER, its XSDT address stays an offset
# into etc/acpi/tables: the pointer check must name it.
test_loader_detects_unpatched_pointer() {
	need_guests
	run_microvm tables "$TMP/t"
	expect_status 0
	python3 "$ROOT/tests/integration/loader_drop.py" "$TMP/t" pointer etc/acpi/rsdp ||
		fail "could not drop the RSDP's ADD_POINTER"
	run_guest "$GUEST_ELF" loader -- --fw-cfg "name=etc/table-loader,file=$TMP/t/loader.bin"
	expect_output 'PASS: loader: microvm.s executor runs all [0-9]+ commands'
	expect_output 'FAIL: loader: XSDT 0x[0-9a-f]+ lies in the HIGH-like zone'
	[ "$status" != 1 ] && [ $((status & 1)) = 1 ] || fail "status $status"
}

# -- poweroff: ACPI S5 in hardware-reduced mode --

poweroff() { # elf|bz
	need_guests
	run_guest "$(image_of "$1")" poweroff
	expect_status 0
	expect_output 'poweroff: writing 0x34 \(SLP_TYP 5 \| SLP_EN\)'
	expect_no_output 'testguest: exit code'
}
test_poweroff_elf() { poweroff elf; }
test_poweroff_bzimage() { poweroff bz; }

# Another sleep type is not a poweroff: the VM runs on and the guest
# reports that nothing happened (0x73 -> status 231).
test_poweroff_wrong_slp_typ() {
	need_guests
	run_guest "$GUEST_ELF" poweroff slp_typ=1
	expect_status 231
	expect_output 'still running .* after the S5 write'
}

# -- acpi-reset: RESET_VALUE to RESET_REG --

acpi_reset() { # elf|bz
	need_guests
	run_guest "$(image_of "$1")" acpi-reset
	expect_status 1
	expect_output 'reset: first boot; marker written .* via the FADT RESET_REG'
	expect_output 'reset: marker found at 0x3ff000 after 1 boot'
	[ "$(grep -c 'testguest: running acpi-reset' "$TMP/out")" = 2 ] || fail "expected exactly two boots"
}
test_acpi_reset_elf() { acpi_reset elf; }
test_acpi_reset_bzimage() { acpi_reset bz; }

# --no-reboot turns the ACPI reset into an exit, as for the i8042's.
test_acpi_reset_no_reboot() {
	need_guests
	run_guest "$GUEST_ELF" acpi-reset -- --no-reboot
	expect_status 0
	[ "$(grep -c 'testguest: running acpi-reset' "$TMP/out")" = 1 ] || fail "the VM booted again"
}
