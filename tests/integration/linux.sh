# The real kernel's first steps: Debian's cloud kernel (make linux-image) under
# microvm, through both boot paths. On this host a stock kernel only gets
# through early boot (its CPL0 code is emulated), so the tests watch the
# serial log for the milestones and then stop the VM.

TIMEOUT_test_linux_bzimage_banner_e820_acpi=420
TIMEOUT_test_linux_pvh_banner_e820_acpi=240
TIMEOUT_test_linux_pvh_rejects_unchecksummed_dsdt=240

# watch_linux IMAGE SECONDS REGEX...: boot, wait until every REGEX has appeared
# in the log (or the deadline passes, or microvm exits), then stop it.
# $LINUX_ARGS adds microvm options. acpi_force_table_verification: Debian's
# kernel otherwise skips the early checksum check ("Early table checksum
# verification disabled") and a wrong checksum goes unnoticed.
watch_linux() {
	local image=$1 secs=$2 pid deadline ok re
	shift 2
	[ -f "$image" ] || fail "$image missing (make linux-image)"
	"$MICROVM" run -v --mem 512M ${LINUX_ARGS:-} \
		--cmdline "console=ttyS0 earlyprintk=serial,ttyS0,115200 loglevel=8 acpi_force_table_verification" \
		"$image" </dev/null >"$TMP/out" 2>&1 &
	pid=$!
	deadline=$(($(date +%s) + secs))
	while :; do
		ok=1
		for re in "$@"; do
			grep -Eaq -- "$re" "$TMP/out" || { ok=0; break; }
		done
		[ $ok = 1 ] && break
		kill -0 $pid 2>/dev/null || break
		[ "$(date +%s)" -ge $deadline ] && break
		sleep 1
	done
	kill -TERM $pid 2>/dev/null
	wait $pid 2>/dev/null
	[ $ok = 1 ] || { tail -n 30 "$TMP/out"; fail "after ${secs}s the log lacks /$re/"; }
}

# The e820 map Linux printed must be the one microvm built (logged with -v).
compare_e820() {
	grep -a 'BIOS-e820: \[mem' "$TMP/out" |
		sed -E 's/.*\[mem 0x0*([0-9a-f]+)-0x0*([0-9a-f]+)\] (usable|reserved).*/\1 \2 \3/' >"$TMP/linux.map"
	grep -a '^microvm: e820: ' "$TMP/out" |
		sed -E 's/^microvm: e820: 0x0*([0-9a-f]+)-0x0*([0-9a-f]+) (usable|reserved).*/\1 \2 \3/' >"$TMP/ours.map"
	[ -s "$TMP/ours.map" ] || fail "microvm did not log its e820 map"
	# Linux's PVH entry adds the ISA range 0xA0000-0xFFFFF as reserved to the
	# memmap it receives (init_pvh_bootparams), which swallows our FSEG entry.
	if [ "${1:-}" = pvh ]; then
		sed -i 's/^e0000 fffff reserved$/a0000 fffff reserved/' "$TMP/ours.map"
	fi
	[ -s "$TMP/linux.map" ] || fail "Linux did not print a BIOS-e820 map"
	diff -u "$TMP/ours.map" "$TMP/linux.map" || fail "Linux's e820 differs from microvm's"
}

# Issue 4: Linux finds our RSDP, lists every table without a checksum or
# length complaint, and takes its SMP and IOAPIC configuration from the MADT.
# Linux prints each MADT LAPIC entry with pr_debug only, before dynamic debug
# can be switched on (dyndbg= takes effect after setup_arch), so the per-vCPU
# entries show as the CPU count it derives from them ("Allowing N CPUs").
ACPI_MILESTONES=(
	'ACPI: RSDP 0x00000000000E0000 000024 \(v02 '
	'ACPI: XSDT 0x[0-9A-F]+ '
	'ACPI: FACP 0x[0-9A-F]+ '
	'ACPI: DSDT 0x[0-9A-F]+ '
	'ACPI: APIC 0x[0-9A-F]+ '
	'ACPI: LAPIC_NMI \(acpi_id\[0xff\] dfl dfl lint\[0x1\]\)'
	'IOAPIC\[0\]: apic_id 0, version [0-9]+, address 0xfec00000, GSI 0-23'
	'ACPI: Using ACPI \(MADT\) for SMP configuration information'
)

check_acpi_log() { # CPUS [SSDT]
	expect_output 'ACPI: Early table checksum verification enabled'
	expect_no_output 'checksum verification disabled'
	expect_output "smpboot: Allowing $1 CPUs, 0 hotplug CPUs"
	[ -n "${2:-}" ] && expect_output "ACPI: SSDT 0x[0-9A-F]+ [0-9A-F]+ \(v02 MICROV $2"
	expect_no_output '[Cc]hecksum (mismatch|error)|Incorrect checksum|Invalid (table )?length|ACPI BIOS (Error|Warning)|ACPI Error'
	return 0
}

test_linux_bzimage_banner_e820_acpi() {
	LINUX_ARGS="--cpus 2" watch_linux "$LINUX_DIR/vmlinuz" 400 'Linux version [0-9]' \
		'BIOS-e820: \[mem .*\] reserved' "${ACPI_MILESTONES[@]}" 'smpboot: Allowing'
	compare_e820
	check_acpi_log 2
}

test_linux_pvh_banner_e820_acpi() {
	LINUX_ARGS="--cpus 4 --vmcoreinfo" watch_linux "$LINUX_DIR/vmlinux" 220 'Linux version [0-9]' \
		'BIOS-e820: \[mem .*\] reserved' "${ACPI_MILESTONES[@]}" 'ACPI: SSDT ' 'smpboot: Allowing'
	compare_e820 pvh
	check_acpi_log 4 VMCOREIN
}

# check_acpi_log can fail: a loader script without the DSDT's ADD_CHECKSUM
# leaves the DSDT's checksum byte 0, which Linux's early verification reports.
test_linux_pvh_rejects_unchecksummed_dsdt() {
	run_microvm tables --cpus 2 --mem 512M "$TMP/t"
	expect_status 0
	python3 "$ROOT/tests/integration/loader_drop.py" "$TMP/t" checksum DSDT ||
		fail "could not drop the DSDT's ADD_CHECKSUM"
	LINUX_ARGS="--cpus 2 --fw-cfg name=etc/table-loader,file=$TMP/t/loader.bin" \
		watch_linux "$LINUX_DIR/vmlinux" 220 "${ACPI_MILESTONES[@]}" 'smpboot: Allowing'
	expect_output 'ACPI BIOS Warning \(bug\): Incorrect checksum in table \[DSDT\]'
	if (check_acpi_log 2) >"$TMP/check.log"; then
		fail "check_acpi_log accepted a DSDT with a wrong checksum"
	fi
	grep -q 'Incorrect checksum' "$TMP/check.log" || { cat "$TMP/check.log"; fail "check_acpi_log failed for another reason"; }
}
