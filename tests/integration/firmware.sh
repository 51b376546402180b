# The firmware's failure path end to end: a loader script it must refuse
# (given through --fw-cfg, which replaces microvm's own etc/table-loader)
# makes it print the command's index and reason on the console and report
# through its status port; microvm exits 4 with a message, never hangs.

# loader_cmd FILE COMMAND NAME [ALIGN ZONE]: append one 128-byte ALLOCATE-shaped command.
loader_cmd() {
	python3 - "$@" <<'PY'
import struct, sys
path, cmd, name = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
align = int(sys.argv[4]) if len(sys.argv) > 4 else 64
zone = int(sys.argv[5]) if len(sys.argv) > 5 else 1
e = bytearray(128)
struct.pack_into("<I", e, 0, cmd)
e[4:4 + len(name)] = name
struct.pack_into("<I", e, 60, align)
e[64] = zone
open(path, "ab").write(e)
PY
}

test_firmware_refuses_unknown_file() {
	loader_cmd "$TMP/loader.bin" 1 etc/no-such-file
	run_guest "$GUEST_ELF" hello -- --fw-cfg "name=etc/table-loader,file=$TMP/loader.bin"
	expect_status 4
	expect_output 'microvm firmware: etc/table-loader command 0 \(ALLOCATE\)'
	expect_output 'etc/no-such-file'
	expect_output '^microvm: firmware: stopped with status 2: the linker/loader script \(etc/table-loader\) failed'
	expect_no_output 'testguest: running'
}

test_firmware_refuses_bad_alignment() {
	loader_cmd "$TMP/loader.bin" 1 etc/acpi/tables 3 1
	run_guest "$GUEST_ELF" hello -- --fw-cfg "name=etc/table-loader,file=$TMP/loader.bin"
	expect_status 4
	expect_output 'command 0 \(ALLOCATE\)'
	expect_output '^microvm: firmware: stopped with status 2'
}

# A script whose size is not a whole number of commands is refused as a
# whole, before any command runs: no command index, no command name.
test_firmware_refuses_truncated_script() {
	loader_cmd "$TMP/loader.bin" 1 etc/acpi/tables
	printf 'xx' >>"$TMP/loader.bin"
	run_guest "$GUEST_ELF" hello -- --fw-cfg "name=etc/table-loader,file=$TMP/loader.bin"
	expect_status 4
	expect_output '^microvm firmware: etc/table-loader: blob size is not a multiple of 128 bytes \(130 bytes\)'
	expect_no_output 'command [0-9]+ \('
	expect_output '^microvm: firmware: stopped with status 2'
}

# Unknown command codes are skipped, as QEMU's firmware does, and said so;
# a script that then places no RSDP is still a failure.
test_firmware_skips_unknown_command() {
	loader_cmd "$TMP/loader.bin" 99 whatever
	run_guest "$GUEST_ELF" hello -- --fw-cfg "name=etc/table-loader,file=$TMP/loader.bin"
	expect_status 4
	expect_output 'command 0: skipped unknown command'
	expect_output 'placed no valid RSDP'
}

# A file under opt/ is the user's own: added without a warning, boot unaffected.
test_user_fwcfg_file_added() {
	run_guest "$GUEST_ELF" hello -- --fw-cfg name=opt/org.example/greeting,string=hi
	expect_status 1
	expect_no_output 'belong to microvm'
}

test_user_fwcfg_bad_spec() {
	run_microvm run --fw-cfg opt/x "$GUEST_ELF"
	expect_status 2
	expect_one_error_line '--fw-cfg opt/x: expected name=NAME,file=PATH'
	run_microvm run --fw-cfg "name=opt/x,file=$TMP/missing" "$GUEST_ELF"
	expect_status 2
	expect_one_error_line "^microvm: --fw-cfg file=$TMP/missing: No such file or directory\$"
}

# The status port listens to the firmware only: after its OK the kernel's
# writes are ignored (logged), and a reset re-arms it for the next firmware
# run, which disarms it again. Both boots of the reset scenario write a
# failure code there; the VM carries on through the reset.
test_firmware_status_port_disarmed_after_ok() {
	run_guest "$GUEST_ELF" reset "fw_status=2"
	expect_status 1
	[ "$(grep -c 'reset: writing 0x02 to the firmware status port 0x50c' "$TMP/out")" = 2 ] ||
		{ cat "$TMP/out"; fail "expected a write on each of two boots"; }
	[ "$(grep -c '^microvm: firmware: status port 0x50c written (0x02) after the kernel started; ignored' "$TMP/out")" = 2 ] ||
		{ cat "$TMP/out"; fail "expected two ignored writes"; }
	expect_output 'reset: marker found at 0x[0-9a-f]+ after 1 boot'
	expect_no_output 'firmware: stopped'
}
