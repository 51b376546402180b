# A stock kernel panics (echo c > /proc/sysrq-trigger), pvpanic tells
# microvm, and microvm writes the dump; makedumpfile reads it. Both
# vmcoreinfo protocols: --vmcoreinfo (the note published by our module,
# guest-images/vmcoreinfo-module) and --vmcoreinfo=fwcfg (published by the
# kernel's own qemu_fw_cfg). The initrd loads both drivers and pvpanic.

TIMEOUT_test_panic_dump_module=300
TIMEOUT_test_panic_dump_fwcfg=300
TIMEOUT_test_panic_dump_without_vmcoreinfo=300

# panic_linux MICROVM-ARGS...: boot the bzImage, panic, dump into $TMP/dumps.
panic_linux() {
	mkdir -p "$TMP/dumps"
	timeout -k 5 240 "$MICROVM" run --mem 512M --dump-dir "$TMP/dumps" "$@" \
		--initrd "$LINUX_DIR/initrd.cpio.gz" --cmdline "console=ttyS0 microvm.action=panic" \
		"$LINUX_DIR/vmlinuz" </dev/null >"$TMP/out" 2>&1
	status=$?
	expect_status 8
	expect_output 'sysrq: Trigger a crash'
	set -- "$TMP"/dumps/microvm-core-*.elf
	[ $# = 1 ] && [ -f "$1" ] || fail "expected one dump in --dump-dir, got: $(ls "$TMP/dumps")"
	dump=$1
}

# check_dump_tools: the note names this kernel; makedumpfile reads the log and filters.
check_dump_tools() {
	local release size small
	release=$(sed -n 's/^linux-image-\([^ ]*\) .*/\1/p' "$LINUX_DIR/version")
	readelf -n "$dump" >"$TMP/notes" 2>&1
	grep -q 'VMCOREINFO' "$TMP/notes" || { cat "$TMP/notes"; fail "the dump has no VMCOREINFO note"; }
	python3 - "$dump" "$release" <<'PY' || fail "the note's OSRELEASE is not $release"
import sys
data = open(sys.argv[1], "rb").read(1 << 20)
assert b"OSRELEASE=" + sys.argv[2].encode() + b"\n" in data, "OSRELEASE"
PY
	makedumpfile --dump-dmesg "$dump" "$TMP/log.txt" >"$TMP/mdf.txt" 2>&1 ||
		{ cat "$TMP/mdf.txt"; fail "makedumpfile --dump-dmesg failed"; }
	grep -q 'sysrq: Trigger a crash' "$TMP/log.txt" || fail "the dumped kernel log lacks the sysrq line"
	grep -q 'Kernel panic - not syncing' "$TMP/log.txt" || fail "the dumped kernel log lacks the panic"
	makedumpfile -c -d 31 "$dump" "$TMP/small.kdump" >"$TMP/mdf2.txt" 2>&1 ||
		{ cat "$TMP/mdf2.txt"; fail "makedumpfile -c -d 31 failed"; }
	size=$((512 << 20))
	small=$(stat -c %s "$TMP/small.kdump")
	echo "makedumpfile -c -d 31: $small bytes from a 512 MiB guest (1/$((size / small)))"
	[ $((small * 8)) -lt $size ] || fail "the filtered dump ($small bytes) is not much smaller than RAM"
}

test_panic_dump_module() {
	panic_linux --vmcoreinfo
	expect_output 'microvm_vmcoreinfo .*published the VMCOREINFO note \(0x[0-9a-f]+, [0-9]+ bytes\) at 0x[0-9a-f]+'
	check_dump_tools
}

test_panic_dump_fwcfg() {
	panic_linux --vmcoreinfo=fwcfg
	expect_output 'microvm_vmcoreinfo: no QEMUVMCI device'
	check_dump_tools
}

test_panic_dump_without_vmcoreinfo() {
	panic_linux
	readelf -n "$dump" | grep -q VMCOREINFO && fail "a dump without --vmcoreinfo has a note"
	makedumpfile --dump-dmesg "$dump" "$TMP/log.txt" >"$TMP/mdf.txt" 2>&1 &&
		fail "makedumpfile read a dump with no VMCOREINFO"
	cat "$TMP/mdf.txt"
	grep -qi 'vmcoreinfo\|vmlinux' "$TMP/mdf.txt" || fail "makedumpfile does not say what it lacks"
}
