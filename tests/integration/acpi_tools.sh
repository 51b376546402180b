# ACPI tables judged by external tools (sourced by tests/integration/run.sh).
#
# `microvm tables DIR` writes the tables exactly as the firmware receives
# them: pointer fields hold offsets and checksums are zero, since the
# firmware's linker/loader fills both. The judges here first do what the
# loader's ADD_CHECKSUM would (into copies), then:
#   - iasl -d must disassemble every table with no warning or error, and no
#     "****" complaint inside the disassembly;
#   - acpiexec loads the DSDT and every SSDT with the interpreter Linux uses
#     and evaluates _STA and _CRS of every device it finds.

# tables_or_skip DIR [OPTIONS...]: run `microvm tables OPTIONS DIR` or skip if unsupported.
tables_or_skip() {
	local dir=$1 opt
	shift
	[ -x "$MICROVM" ] || skip "no $MICROVM (run make)"
	if ! command -v iasl >/dev/null || ! command -v acpiexec >/dev/null; then
		skip "iasl/acpiexec missing (apt-get install acpica-tools)"
	fi
	"$MICROVM" tables --help >"$TMP/help" 2>&1
	if grep -q "unknown command" "$TMP/help"; then
		skip "microvm has no 'tables' command yet"
	fi
	for opt in "$@"; do
		case $opt in
		--*) grep -q -- "${opt%%=*}" "$TMP/help" || skip "microvm tables lacks $opt" ;;
		esac
	done
	run_microvm tables "$@" "$dir"
	expect_status 0
	ls "$dir"/DSDT.dat "$dir"/FACP.dat "$dir"/APIC.dat "$dir"/XSDT.dat \
		"$dir"/table-loader.bin >/dev/null || fail "microvm tables did not write every file"
}

# fix_checksums SRC DST: copies of SRC/*.dat with the ACPI checksum (byte 9) filled in.
fix_checksums() {
	local src=$1 dst=$2 f sum
	mkdir -p "$dst"
	for f in "$src"/*.dat; do
		cp "$f" "$dst/"
		[ "$(od -An -tu1 -j9 -N1 "$f" | tr -d ' ')" = 0 ] ||
			fail "$(basename "$f"): checksum byte is not 0 before linking"
		sum=$(od -An -v -tu1 "$f" | awk '{ for (i = 1; i <= NF; i++) s += $i }
			END { print (256 - s % 256) % 256 }')
		# shellcheck disable=SC2059
		printf "$(printf '\\%03o' "$sum")" |
			dd of="$dst/$(basename "$f")" bs=1 seek=9 conv=notrunc status=none
	done
}

# disassemble_all DIR: iasl -d each .dat in DIR; any warning, error or "****" fails.
disassemble_all() {
	local dir=$1 f base
	for f in "$dir"/*.dat; do
		base=${f%.dat}
		(cd "$dir" && iasl -d "$(basename "$f")") >"$base.iasl.log" 2>&1 ||
			{ cat "$base.iasl.log"; fail "iasl -d $(basename "$f") failed"; }
		if grep -Eiq 'warning|error' "$base.iasl.log"; then
			cat "$base.iasl.log"
			fail "iasl -d $(basename "$f") complained"
		fi
		[ -s "$base.dsl" ] || fail "no disassembly for $(basename "$f")"
		if grep -q '\*\*\*\*' "$base.dsl"; then
			grep '\*\*\*\*' "$base.dsl"
			fail "$(basename "$f"): iasl flags a field"
		fi
	done
}

# aml_tables DIR: DSDT first, then every SSDT.
aml_tables() {
	local f
	echo "$1/DSDT.dat"
	for f in "$1"/SSDT*.dat; do
		[ -e "$f" ] && echo "$f"
	done
	return 0
}

# acpiexec_batch DIR 'cmd; cmd': run acpiexec over the DSDT and SSDTs; output in $TMP/exec.
acpiexec_batch() {
	local dir=$1 cmds=$2
	# shellcheck disable=SC2046
	acpiexec -b "$cmds" $(aml_tables "$dir") >"$TMP/exec" 2>&1 ||
		{ tail -40 "$TMP/exec"; fail "acpiexec failed"; }
	if grep -Eq 'ACPI (Error|Exception|Warning)|AE_[A-Z_]+|Firmware Warning' "$TMP/exec"; then
		grep -E 'ACPI (Error|Exception|Warning)|AE_[A-Z_]+|Firmware Warning' "$TMP/exec" | head
		fail "acpiexec reported errors"
	fi
}

# devices DIR: full paths of every object with a _HID (one per line).
devices() {
	acpiexec_batch "$1" "find _HID"
	grep -Eo '\\[A-Z0-9_.\\]+\._HID' "$TMP/exec" | sed 's/\._HID$//' | sort -u
}

# evaluate_devices DIR: evaluate _STA and _CRS of every device that has them.
evaluate_devices() {
	local dir=$1 devs cmds="" d n
	devs=$(devices "$dir")
	[ -n "$devs" ] || fail "no devices in the namespace"
	acpiexec_batch "$dir" "find _STA; find _CRS"
	for d in $devs; do
		grep -q "$d\._STA " "$TMP/exec" && cmds="$cmds evaluate $d._STA;"
		grep -q "$d\._CRS " "$TMP/exec" && cmds="$cmds evaluate $d._CRS;"
	done
	acpiexec_batch "$dir" "$cmds"
	n=$(grep -c '^Evaluation of .* returned object' "$TMP/exec")
	[ "$n" = "$(echo "$cmds" | grep -o evaluate | wc -l)" ] ||
		{ cat "$TMP/exec"; fail "not every evaluation returned an object"; }
	echo "$devs"
}

# expect_eval DIR PATH REGEX: evaluating PATH prints something matching REGEX.
expect_eval() {
	acpiexec_batch "$1" "evaluate $2"
	grep -Eq -- "$3" "$TMP/exec" || { cat "$TMP/exec"; fail "$2 does not give /$3/"; }
}

test_tables_disassemble() {
	tables_or_skip "$TMP/t"
	fix_checksums "$TMP/t" "$TMP/fixed"
	disassemble_all "$TMP/fixed"
	grep -q 'Hardware Reduced (V5) : 1' "$TMP/fixed/FACP.dsl" || fail "FADT not hardware-reduced"
	grep -q 'Reset Register Supported (V2) : 1' "$TMP/fixed/FACP.dsl" || fail "no RESET_REG_SUP"
	grep -q 'Sleep Control Register' "$TMP/fixed/FACP.dsl" || fail "FADT without sleep registers"
}

# rsdp.bin: RSDP v2 (ACPI 6.4 §5.2.5.3) whose XSDT field holds the XSDT's
# offset in etc/acpi/tables (the firmware's ADD_POINTER adds the base), and
# whose two checksums are the loader's ADD_CHECKSUMs over 20 and 36 bytes.
# With checksums filled in, iasl -d disassembles it when it can: ACPICA up
# to at least 20200925 refuses any binary file without a standard table
# header ("does not contain a valid ACPI table"), which the RSDP lacks.
test_tables_rsdp() {
	tables_or_skip "$TMP/t"
	[ "$(stat -c %s "$TMP/t/rsdp.bin")" = 36 ] || fail "rsdp.bin is not 36 bytes"
	python3 - "$TMP/t" <<'PY' || fail "rsdp.bin is not the RSDP the loader script expects"
import os, struct, sys
d = sys.argv[1]
r = bytearray(open(d + "/rsdp.bin", "rb").read())
blob = open(d + "/table-loader.bin", "rb").read()
xsdt_len = os.path.getsize(d + "/XSDT.dat")
cmds = [blob[i:i + 128] for i in range(0, len(blob), 128)]
name = lambda e, o: e[o:o + 56].rstrip(b"\0")
def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        sys.exit(1)
check(r[:8] == b"RSD PTR ", "signature")
check(r[15] == 2, "revision 2")
check(struct.unpack_from("<I", r, 20)[0] == 36, "length 36")
check(r[8] == 0 and r[32] == 0, "checksums are 0 before linking")
check(struct.unpack_from("<I", r, 16)[0] == 0, "no RSDT")
xsdt = struct.unpack_from("<Q", r, 24)[0]
# The XSDT's own ADD_CHECKSUM gives its offset in etc/acpi/tables.
starts = [struct.unpack_from("<I", e, 64)[0] for e in cmds if struct.unpack_from("<I", e)[0] == 3
          and name(e, 4) == b"etc/acpi/tables" and struct.unpack_from("<I", e, 68)[0] == xsdt_len]
check(starts == [xsdt], "XSDT field 0x%x is the XSDT's offset in etc/acpi/tables %s" % (xsdt, starts))
ptrs = [e for e in cmds if struct.unpack_from("<I", e)[0] == 2 and name(e, 4) == b"etc/acpi/rsdp"]
check(len(ptrs) == 1 and name(ptrs[0], 60) == b"etc/acpi/tables" and
      struct.unpack_from("<I", ptrs[0], 116)[0] == 24 and ptrs[0][120] == 8,
      "one 8-byte ADD_POINTER at 24 from etc/acpi/tables")
sums = sorted(struct.unpack_from("<III", e, 60) for e in cmds
              if struct.unpack_from("<I", e)[0] == 3 and name(e, 4) == b"etc/acpi/rsdp")
check(sums == [(8, 0, 20), (32, 0, 36)], "ADD_CHECKSUMs over 20 bytes at 8 and 36 bytes at 32")
r[8] = -sum(r[:20]) & 0xFF
r[32] = -sum(r[:36]) & 0xFF
open(d + "/RSDP.bin", "wb").write(r)
PY
	(cd "$TMP/t" && iasl -d RSDP.bin) >"$TMP/iasl.log" 2>&1
	if grep -q 'does not contain a valid ACPI table' "$TMP/iasl.log"; then
		echo "note: this iasl ($(iasl -v 2>&1 | grep -o 'version [0-9]*')) cannot read a binary RSDP; checked by structure only"
		return 0
	fi
	[ -s "$TMP/t/RSDP.dsl" ] || { cat "$TMP/iasl.log"; fail "iasl -d RSDP.bin wrote nothing"; }
	if grep -Eiq 'warning|error' "$TMP/iasl.log" || grep -q '\*\*\*\*' "$TMP/t/RSDP.dsl"; then
		cat "$TMP/iasl.log" "$TMP/t/RSDP.dsl"
		fail "iasl -d RSDP.bin complained"
	fi
	grep -q 'Signature : "RSD PTR "' "$TMP/t/RSDP.dsl" || fail "iasl does not see an RSDP"
	grep -Eq 'Length : 0+24' "$TMP/t/RSDP.dsl" || fail "iasl reads another RSDP length"
}

test_tables_acpiexec_devices() {
	local devs d
	tables_or_skip "$TMP/t"
	fix_checksums "$TMP/t" "$TMP/fixed"
	devs=$(evaluate_devices "$TMP/fixed") || exit 1
	for d in '\_SB.COM1' '\_SB.FWCF' '\_SB.PEVT' '\_SB.C000'; do
		echo "$devs" | grep -qxF "$d" || fail "no $d device (found: $(echo "$devs" | tr '\n' ' '))"
	done
	expect_eval "$TMP/fixed" '\_SB.COM1._CRS' '47 01 F8 03 F8 03 00 08 22 10 00 79'
	expect_eval "$TMP/fixed" '\_SB.FWCF._STA' '= 000000000000000B'
	expect_eval "$TMP/fixed" '\_SB.FWCF._CRS' '47 01 10 05 10 05 01 0C 79 00'
	expect_eval "$TMP/fixed" '\_SB.PEVT._CRS' '47 01 05 05 05 05 01 01 79 00'
	expect_eval "$TMP/fixed" '\_S5' 'Contains 4 Elements'
}

# The power button (docs/acpi.md "Power button"): GED (ACPI0013) with a
# level interrupt on GSI 9 and the selector at port 0x610, and PWRB
# (PNP0C0C). acpiexec backs SystemIO regions with plain memory, so a test
# SSDT stores a selector value into ESEL and runs _EVT as Linux's GED driver
# would: the power-button bit must notify PWRB with 0x80, other bits not.
test_tables_power_button() {
	tables_or_skip "$TMP/t"
	fix_checksums "$TMP/t" "$TMP/fixed"
	disassemble_all "$TMP/fixed"
	grep -q 'Name (_HID, "ACPI0013"' "$TMP/fixed/DSDT.dsl" || fail "no GED (ACPI0013) in the DSDT"
	grep -q 'Name (_HID, "PNP0C0C"' "$TMP/fixed/DSDT.dsl" || fail "no power button (PNP0C0C) in the DSDT"
	grep -q 'Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive' "$TMP/fixed/DSDT.dsl" ||
		fail "GED interrupt is not level, active high"
	grep -q 'OperationRegion (EREG, SystemIO, 0x0610, 0x04)' "$TMP/fixed/DSDT.dsl" ||
		fail "GED selector is not SystemIO 0x610"
	evaluate_devices "$TMP/fixed" >"$TMP/devs"
	for d in '\_SB.GED' '\_SB.PWRB'; do
		grep -qxF "$d" "$TMP/devs" || fail "no $d device (found: $(tr '\n' ' ' <"$TMP/devs"))"
	done
	expect_eval "$TMP/fixed" '\_SB.GED._CRS' '89 06 00 01 01 09 00 00 00 79 00'
	cat >"$TMP/press.asl" <<'ASL'
DefinitionBlock ("", "SSDT", 2, "MICROV", "GEDTEST", 1)
{
    External (\_SB.GED_.ESEL, FieldUnitObj)
    External (\_SB.GED_._EVT, MethodObj)
    Method (\PRES, 1, NotSerialized)
    {
        \_SB.GED_.ESEL = Arg0
        \_SB.GED_._EVT (9)
    }
}
ASL
	(cd "$TMP" && iasl -p press press.asl) >"$TMP/press.log" 2>&1 ||
		{ cat "$TMP/press.log"; fail "iasl could not compile the test SSDT"; }
	mv "$TMP/press.aml" "$TMP/fixed/SSDT-GEDTEST.dat"
	acpiexec_batch "$TMP/fixed" 'evaluate \PRES 1'
	! grep -q 'Notify' "$TMP/exec" || { cat "$TMP/exec"; fail "selector 1 notified something"; }
	acpiexec_batch "$TMP/fixed" 'evaluate \PRES 2'
	grep -q 'Notify on \[PWRB\] .* Value 0x80' "$TMP/exec" ||
		{ cat "$TMP/exec"; fail "selector 2 did not notify PWRB with 0x80"; }
}

test_tables_vmcoreinfo() {
	local off
	tables_or_skip "$TMP/t" --vmcoreinfo
	[ -e "$TMP/t/SSDT-VMCOREIN.dat" ] || fail "no SSDT-VMCOREIN.dat"
	fix_checksums "$TMP/t" "$TMP/fixed"
	disassemble_all "$TMP/fixed"
	grep -q 'Name (VCIA, 0x00000000)' "$TMP/fixed/SSDT-VMCOREIN.dsl" ||
		fail "VCIA is not a patchable DWord"
	evaluate_devices "$TMP/fixed" | grep -qxF '\_SB.VMCI' || fail "no \\_SB.VMCI"
	# Before the firmware links it, VCIA is 0 and the device hides itself.
	expect_eval "$TMP/fixed" '\_SB.VMCI._STA' '= 0000000000000000'
	# Do what ADD_POINTER does with the page at 0x7FFE000, then ask again.
	off=$(grep -obUaP 'VCIA\x0c' "$TMP/t/SSDT-VMCOREIN.dat" | head -1 | cut -d: -f1)
	[ -n "$off" ] || fail "VCIA DWordConst not found"
	printf '\x00\xe0\xff\x07' | dd of="$TMP/t/SSDT-VMCOREIN.dat" bs=1 seek=$((off + 5)) \
		conv=notrunc status=none
	rm -rf "$TMP/fixed"
	fix_checksums "$TMP/t" "$TMP/fixed"
	expect_eval "$TMP/fixed" '\_SB.VMCI._STA' '= 000000000000000F'
	expect_eval "$TMP/fixed" '\_SB.VMCI.ADDR' '= 0000000007FFE028'
}

test_tables_four_cpus() {
	local n
	tables_or_skip "$TMP/t" --cpus 4
	fix_checksums "$TMP/t" "$TMP/fixed"
	disassemble_all "$TMP/fixed"
	n=$(grep -c 'Subtable Type : 00 \[Processor Local APIC\]' "$TMP/fixed/APIC.dsl")
	[ "$n" = 4 ] || fail "MADT has $n Local APIC entries, want 4"
	evaluate_devices "$TMP/fixed" | grep -qxF '\_SB.C003' || fail "no processor device C003"
}

test_tables_big_memory() {
	tables_or_skip "$TMP/t" --mem 5G
	fix_checksums "$TMP/t" "$TMP/fixed"
	disassemble_all "$TMP/fixed"
	evaluate_devices "$TMP/fixed" >/dev/null
}

test_tables_loader_blob() {
	local size first
	tables_or_skip "$TMP/t" --vmcoreinfo
	size=$(stat -c %s "$TMP/t/table-loader.bin")
	if [ $((size % 128)) != 0 ] || [ "$size" = 0 ]; then
		fail "table-loader.bin is $size bytes"
	fi
	first=$(od -An -tu4 -N4 "$TMP/t/table-loader.bin" | tr -d ' ')
	[ "$first" = 1 ] || fail "the first command is $first, not ALLOCATE"
	grep -qa 'etc/acpi/tables' "$TMP/t/table-loader.bin" || fail "etc/acpi/tables not loaded"
	grep -qa 'etc/vmcoreinfo-addr' "$TMP/t/table-loader.bin" || fail "no WRITE_POINTER for vmcoreinfo"
}
