# The peer check: the same test-guest scenarios under QEMU's microvm
# machine (qemu-system-x86_64 -M microvm -accel kvm -cpu qemu64,-cx16),
# through guest-images/qemu-run.sh. QEMU defines the fw_cfg and ACPI ABI
# microvm speaks, so what passes under microvm must pass here too (the
# non-strict checks: only what the ABI guarantees; peers differ in file
# sets and layout).

# Hang guards, not speed checks: in tests/with-kvm's nested KVM on a 2-core
# host these take 130-150 s alone, and went past 180 s with the other core busy.
TIMEOUT_test_qemu_check_microvm=360
TIMEOUT_test_qemu_check_qemu=360

QEMU_RUN=$ROOT/guest-images/qemu-run.sh

# Skips (with the reason) only if QEMU cannot run here at all: a paused
# microvm machine on KVM must still be up after a second.
need_qemu() {
	[ -f "$GUEST_ELF" ] && [ -f "$GUEST_BZ" ] || fail "test guests not built (make all)"
	command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed"
	timeout 1 qemu-system-x86_64 -M microvm -accel kvm -cpu qemu64,-cx16 -m 32M -display none \
		-S -monitor none -serial none </dev/null >"$TMP/qemu-probe" 2>&1
	[ $? = 124 ] || skip "qemu-system-x86_64 -M microvm -accel kvm does not run here: $(grep -v warning "$TMP/qemu-probe" | head -2)"
}

# qemu_scenario STATUS [qemu-run options] SCENARIO [KEY=VALUE...]
qemu_scenario() {
	local want=$1
	shift
	need_qemu
	"$QEMU_RUN" -V qemu "$@" >"$TMP/out" 2>&1
	status=$?
	expect_status "$want"
}

test_hello_elf() { qemu_scenario 1 -k elf hello; expect_output 'microvm test guest: hello'; }
test_hello_bzimage() { qemu_scenario 1 -k bzimage hello; }
test_memmap_elf() { qemu_scenario 1 -k elf memmap; }
test_memmap_bzimage() { qemu_scenario 1 -k bzimage -m 5G memmap; }
test_fwcfg_elf() {
	qemu_scenario 1 -k elf fwcfg
	expect_output 'PASS: a DMA READ whose address \+ length wraps fails'
}
test_fwcfg_bzimage() { qemu_scenario 1 -k bzimage fwcfg; }
# The CPU count and RAM size items: QEMU's values are the vCPUs at boot and
# the RAM in bytes, what microvm gives (platform.sh: test_fwcfg_machine_items).
test_fwcfg_machine_items() {
	qemu_scenario 1 -k elf -c 2 -m 5G fwcfg
	expect_output 'fwcfg: NB_CPUS 2, MAX_CPUS 2, RAM_SIZE 0x140000000 \(5120 MiB\); the MADT lists 2 CPUs'
	expect_output 'PASS: NB_CPUS 2 equals cpus=2'
	expect_output 'PASS: RAM_SIZE 5120 MiB equals expect_mem=5120 MiB'
}
test_acpi_elf() { qemu_scenario 1 -k elf acpi; }
test_acpi_4cpus_bzimage() { qemu_scenario 1 -k bzimage -c 4 acpi; }
# QEMU's own loader script through microvm's executor (firmware/loader_exec.c
# built into the guest): it lists the RSDP first, interleaves checksums and
# pointers, and patches the FADT's 32-bit DSDT with a 4-byte ADD_POINTER;
# the result must be the tables QEMU's firmware built.
qemu_loader() { # elf|bzimage
	qemu_scenario 1 -k "$1" loader
	expect_output 'loader: +0 ALLOCATE etc/acpi/rsdp align 16 zone FSEG'
	expect_output 'loader: +[0-9]+ ADD_POINTER etc/acpi/tables\+0x[0-9a-f]+ \(4 bytes\) \+= etc/acpi/tables'
	expect_output 'PASS: loader: microvm.s executor runs all [0-9]+ commands'
	expect_output 'PASS: loader: DSDT: same bytes as the platform.s except [0-9]+ patched ones \(0 differ\)'
	expect_output 'loader: the tables match the platform.s'
}
test_loader_elf() { qemu_loader elf; }
test_loader_bzimage() { qemu_loader bzimage; }
test_poweroff() { qemu_scenario 0 -k elf poweroff; expect_output 'poweroff: writing 0x34'; }
test_acpi_reset() { qemu_scenario 1 -k bzimage acpi-reset; expect_output 'reset: marker found'; }
# COM1's IRQ 4 reaches the guest through QEMU's IOAPIC as through microvm's.
test_serial_irq() {
	qemu_scenario 1 -k elf -i hello-irq serial
	expect_output '^hello-irq$'
	expect_output 'serial: [1-9][0-9]* interrupts: [1-9][0-9]* RX, [1-9][0-9]* THRE; line "hello-irq"'
}

# The whole scenario table, as a peer and through microvm (about 40-50 s each).
test_qemu_check_qemu() {
	need_qemu
	"$ROOT/guest-images/qemu-check.sh" >"$TMP/out" 2>&1
	status=$?
	grep -E '^(FAIL|qemu-check)' "$TMP/out"
	expect_status 0
}

test_qemu_check_microvm() {
	[ -x "$MICROVM" ] || fail "build/microvm not built"
	"$ROOT/guest-images/qemu-check.sh" -V microvm >"$TMP/out" 2>&1
	status=$?
	grep -E '^(FAIL|qemu-check)' "$TMP/out"
	expect_status 0
}
