# QEMU's fw_cfg vmcoreinfo protocol (--vmcoreinfo=fwcfg): the 16-byte
# etc/vmcoreinfo record a stock Linux kernel's qemu_fw_cfg driver writes.
# The guest side is the test guest's vmcoreinfo-fwcfg scenarios
# (guest-images/testguest/scn_vmcoreinfo_fwcfg.c), which write the record
# exactly as Linux does; QEMU itself (-device vmcoreinfo) is the peer: its
# dump-guest-memory of the same guest must carry the same note, registers
# and memory as microvm's dump.

source "$ROOT/tests/integration/dump_lib.sh"

TIMEOUT_test_qemu_dump_agrees=150

# The record as Linux writes it: the dump has the guest's note, and the
# standard tools read it.
fwcfg_dump() { # elf|bz
	local marker=f$$x$RANDOM
	panic_run "$(image_of "$1")" vmcoreinfo-fwcfg "marker=$marker" --vmcoreinfo=fwcfg
	expect_output 'PASS: the host offers format ELF \(host_format 1\)'
	expect_output "dump: wrote .*with the guest's VMCOREINFO note"
	expect_note_as_printed
	eu-readelf -n "$dump" >"$TMP/eu.out" 2>&1 || { cat "$TMP/eu.out"; fail "eu-readelf -n failed"; }
	grep -q "MARKER=$marker" "$TMP/eu.out" || fail "eu-readelf: no MARKER=$marker"
	crash --osrelease "$dump" 2>&1 | grep -qx 'microvm-testguest' || fail "crash --osrelease"
}
test_fwcfg_dump_elf() { fwcfg_dump elf; }
test_fwcfg_dump_bzimage() { fwcfg_dump bz; }

# Records microvm must not trust: a dump without the note, one warning why.
fwcfg_hostile() { # KNOB REGEX
	panic_run "$GUEST_ELF" vmcoreinfo-fwcfg "vmci=$1" --vmcoreinfo=fwcfg
	expect_output "^microvm: $2"
	[ "$(grep -c '^microvm: vmcoreinfo: ' "$TMP/out")" -ge 1 ] || fail "no vmcoreinfo warning"
	expect_output 'dump: wrote '
	expect_no_note
}
test_fwcfg_format0() { fwcfg_hostile format0 'vmcoreinfo: the guest wrote guest_format 0 \(NONE\)'; }
test_fwcfg_format2() { fwcfg_hostile format2 'vmcoreinfo: guest format 2 unsupported'; }
test_fwcfg_partial_write() { fwcfg_hostile partial 'vmcoreinfo: etc/vmcoreinfo was not written'; }
test_fwcfg_paddr_beyond_ram() { fwcfg_hostile paddr-beyond-ram 'vmcoreinfo: paddr 0x4000000000 \+ size [0-9]+ '; }
test_fwcfg_size2m() { fwcfg_hostile size2m 'vmcoreinfo: size 2097152 out of range'; }
test_fwcfg_nopublish() { fwcfg_hostile nopublish 'vmcoreinfo: etc/vmcoreinfo was not written'; }

# Published, reset, panic without publishing: the reset emptied the record
# (the guest checks the file reads as power-on), so no stale note.
test_fwcfg_reset_clears() {
	panic_run "$GUEST_ELF" vmcoreinfo-fwcfg-reset "" --vmcoreinfo=fwcfg
	expect_output 'reset: marker found'
	expect_output 'PASS: nothing published since power-on or the last reset'
	expect_output '^microvm: vmcoreinfo: etc/vmcoreinfo was not written'
	expect_no_note
}

test_fwcfg_reset_republish() {
	panic_run "$GUEST_BZ" vmcoreinfo-fwcfg-reset vmci=republish --vmcoreinfo=fwcfg
	expect_output 'reset: marker found'
	expect_output "dump: wrote .*with the guest's VMCOREINFO note"
	expect_note_as_printed
}

# The two protocols share the file name: each VM offers one. With the ACPI
# one the scenario finds a 4 KiB page, not the record; without any, nothing.
test_fwcfg_needs_the_option() {
	need_guests
	run_guest "$GUEST_ELF" vmcoreinfo-fwcfg "" -- --vmcoreinfo
	expect_output 'FAIL: etc/vmcoreinfo is 4096 bytes \(expected 16\)'
	run_guest "$GUEST_ELF" vmcoreinfo-fwcfg ""
	expect_output 'FAIL: fw_cfg has etc/vmcoreinfo'
	run_microvm run --vmcoreinfo=kdump "$GUEST_ELF"
	expect_status 2
	expect_output '^microvm: --vmcoreinfo=kdump: unknown protocol; choose acpi \(the default\) or fwcfg$'
	[ "$(wc -l <"$TMP/out")" = 1 ] || fail "more than one line for a bad option"
}

# The peer: QEMU's own vmcoreinfo device and dump-guest-memory on the same
# guest. Both dumps must hold the same VMCOREINFO text, the same registers
# (NT_PRSTATUS and QEMU's CPU-state note, byte for byte) and the same memory
# where the guest left known contents.
test_qemu_dump_agrees() {
	local marker=q$$x$RANDOM
	command -v qemu-system-x86_64 >/dev/null || fail "qemu-system-x86_64 missing (make deps installs it)"
	panic_run "$GUEST_ELF" vmcoreinfo-fwcfg "marker=$marker" --vmcoreinfo=fwcfg
	python3 "$ROOT/tests/integration/qemu_dump.py" "$GUEST_ELF" "test=vmcoreinfo-fwcfg marker=$marker" \
		"$TMP/qemu.core" >"$TMP/qemu.txt" 2>&1
	case $? in
	0) ;;
	77) skip "$(tail -1 "$TMP/qemu.txt")" ;;
	*) cat "$TMP/qemu.txt"; fail "QEMU did not produce a dump" ;;
	esac
	python3 "$ELFCORE" vmcoreinfo "$TMP/qemu.core" >"$TMP/qemu-note.txt" ||
		fail "QEMU's dump has no VMCOREINFO note: QEMU did not understand the guest's record"
	python3 "$ELFCORE" vmcoreinfo "$dump" >"$TMP/our-note.txt" || fail "our dump has no note"
	grep -q "MARKER=$marker" "$TMP/qemu-note.txt" || fail "QEMU's note lacks the marker"
	cmp "$TMP/qemu-note.txt" "$TMP/our-note.txt" || fail "the VMCOREINFO notes differ"
	python3 "$ELFCORE" regs "$TMP/qemu.core" >"$TMP/qemu-regs.txt" || fail "QEMU's registers"
	python3 "$ELFCORE" regs "$dump" >"$TMP/our-regs.txt" || fail "our registers"
	diff "$TMP/qemu-regs.txt" "$TMP/our-regs.txt" || fail "the NT_PRSTATUS registers differ"
	# QEMUCPUState (segments, control registers, GDT/IDT): byte for byte.
	python3 "$ELFCORE" note "$TMP/qemu.core" QEMU >"$TMP/qemu-cpu.txt" || fail "QEMU's CPU note"
	python3 "$ELFCORE" note "$dump" QEMU >"$TMP/our-cpu.txt" || fail "our CPU note"
	cmp -s "$TMP/qemu-cpu.txt" "$TMP/our-cpu.txt" || fail "the QEMU CPU-state notes differ"
	# microvm inspect reads QEMU's core too, and prints the same vCPU state
	# and VMCOREINFO text (the segment list differs: QEMU writes zero pages).
	"$MICROVM" inspect "$TMP/qemu.core" >"$TMP/qemu-inspect.txt" 2>&1 ||
		{ cat "$TMP/qemu-inspect.txt"; fail "microvm inspect cannot read QEMU's dump"; }
	"$MICROVM" inspect "$dump" >"$TMP/our-inspect.txt" 2>&1 || fail "microvm inspect of our dump"
	for f in qemu our; do
		awk '/^vCPU /, /^$/' "$TMP/$f-inspect.txt" >"$TMP/$f-inspect-cpu.txt"
		awk '/^VMCOREINFO /, 0' "$TMP/$f-inspect.txt" >"$TMP/$f-inspect-note.txt"
	done
	grep -q ' rip  *0x' "$TMP/qemu-inspect-cpu.txt" || { cat "$TMP/qemu-inspect.txt"; fail "inspect: no registers in QEMU's dump"; }
	grep -q "^  MARKER=$marker\$" "$TMP/qemu-inspect-note.txt" || { cat "$TMP/qemu-inspect.txt"; fail "inspect: no MARKER in QEMU's dump"; }
	diff "$TMP/qemu-inspect-cpu.txt" "$TMP/our-inspect-cpu.txt" || fail "inspect: the vCPU state differs"
	diff "$TMP/qemu-inspect-note.txt" "$TMP/our-inspect-note.txt" || fail "inspect: the VMCOREINFO text differs"
	for range in "$PATTERN_ADDR $PATTERN_SIZE" "$MARKER_PAGE 4096" "$ZERO_ADDR $ZERO_SIZE" "0x1020000 4096"; do
		python3 "$ELFCORE" read "$TMP/qemu.core" $range >"$TMP/q.bin" || fail "QEMU's dump lacks $range"
		python3 "$ELFCORE" read "$dump" $range >"$TMP/o.bin" || fail "our dump lacks $range"
		cmp -s "$TMP/q.bin" "$TMP/o.bin" || fail "memory at $range differs between the dumps"
	done
}
