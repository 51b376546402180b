# A stock kernel panics (echo c > /proc/sysrq-trigger), pvpanic tells
# microvm, and microvm writes the dump; makedumpfile reads it. Both
# vmcoreinfo protocols: --vmcoreinfo (the note published by our module,
# guest-images/vmcoreinfo-module) and --vmcoreinfo=fwcfg (published by the
# kernel's own qemu_fw_cfg). The initrd loads both drivers and pvpanic.

TIMEOUT_test_panic_dump_module=300
TIMEOUT_test_panic_dump_fwcfg=300
TIMEOUT_test_panic_dump_without_vmcoreinfo=300

# panic_linux MICROVM-ARGS...: boot the bzImage, panic, dump into $TMP/dumps
# (MEM: the guest's memory, default 512M).
panic_linux() {
	mkdir -p "$TMP/dumps"
	timeout -k 5 240 "$MICROVM" run --mem "${MEM:-512M}" --dump-dir "$TMP/dumps" "$@" \
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

# check_crash CPUS: crash opens the dump with the debug vmlinux: sys names
# the panic, bt of the panicking task goes through sysrq_handle_crash, log
# ends with the panic, bt -a covers every CPU.
check_crash() {
	local vmlinux=$LINUX_DIR/vmlinux-dbg cpu
	[ -f "$vmlinux" ] || fail "$vmlinux missing (make linux-image fetches it)"
	command -v crash >/dev/null || fail "crash missing (make deps installs it)"
	printf 'sys\nbt\nlog\nbt -a\nquit\n' >"$TMP/crash.in"
	timeout 300 crash -s "$vmlinux" "$dump" <"$TMP/crash.in" >"$TMP/crash.txt" 2>&1 ||
		{ tail -n 20 "$TMP/crash.txt"; fail "crash failed on the dump"; }
	grep -q '^ *PANIC: "Kernel panic - not syncing: sysrq triggered crash"' "$TMP/crash.txt" ||
		{ head -n 30 "$TMP/crash.txt"; fail "crash's sys does not name the panic"; }
	grep -q "^ *CPUS: $1\b" "$TMP/crash.txt" || fail "crash's sys does not count $1 CPUs"
	grep -q 'sysrq_handle_crash at ' "$TMP/crash.txt" ||
		{ cat "$TMP/crash.txt"; fail "crash's bt does not go through sysrq_handle_crash"; }
	# log: the panic line comes after the sysrq line, and the log ends within the panic report.
	awk '/sysrq: Trigger a crash/ {s = NR} /Kernel panic - not syncing: sysrq triggered crash/ && s {p = NR}
		END {exit !(p > s)}' "$TMP/crash.txt" || fail "crash's log lacks the panic after the sysrq line"
	for cpu in $(seq 0 $(($1 - 1))); do
		grep -q "^PID: .* CPU: $cpu " "$TMP/crash.txt" || fail "crash's bt -a does not show CPU $cpu"
	done
	echo "crash: $(grep -c 'sysrq_handle_crash at ' "$TMP/crash.txt") backtraces through sysrq_handle_crash"
}

# check_gdb: gdb on the dump with the debug vmlinux, its symbols moved by
# the note's KERNELOFFSET (KASLR), unwinds the panicking CPU into panic().
check_gdb() {
	local vmlinux=$LINUX_DIR/vmlinux-dbg off
	command -v gdb >/dev/null || fail "gdb missing (make deps installs it)"
	off=$("$MICROVM" inspect "$dump" | sed -n 's/^ *KERNELOFFSET=\([0-9a-f]*\)$/\1/p')
	[ -n "$off" ] || fail "the dump's VMCOREINFO has no KERNELOFFSET"
	timeout 300 gdb -nx -batch -ex "symbol-file -o 0x$off $vmlinux" -ex 'info threads' \
		-ex 'thread apply all bt' -c "$dump" >"$TMP/gdb.txt" 2>&1 ||
		{ tail -n 20 "$TMP/gdb.txt"; fail "gdb failed on the dump"; }
	grep -q ' in panic (fmt=.*sysrq triggered crash' "$TMP/gdb.txt" ||
		{ cat "$TMP/gdb.txt"; fail "gdb's backtrace does not reach panic()"; }
	grep -E '^#[0-9]+ ' "$TMP/gdb.txt" | sed 's/^/gdb: /' | head -n 12
}

test_panic_dump_module() {
	panic_linux --vmcoreinfo --cpus 2
	expect_output 'microvm_vmcoreinfo .*published the VMCOREINFO note \(0x[0-9a-f]+, [0-9]+ bytes\) at 0x[0-9a-f]+'
	check_dump_tools
	check_crash 2
	check_gdb
}

test_panic_dump_fwcfg() {
	panic_linux --vmcoreinfo=fwcfg
	expect_output 'microvm_vmcoreinfo: no QEMUVMCI device'
	check_dump_tools
	check_crash 1
	check_gdb
}

test_panic_dump_without_vmcoreinfo() {
	panic_linux
	readelf -n "$dump" | grep -q VMCOREINFO && fail "a dump without --vmcoreinfo has a note"
	makedumpfile --dump-dmesg "$dump" "$TMP/log.txt" >"$TMP/mdf.txt" 2>&1 &&
		fail "makedumpfile read a dump with no VMCOREINFO"
	cat "$TMP/mdf.txt"
	# makedumpfile 1.7.2 says "Can't find some symbols for log_buf".
	grep -qi 'vmcoreinfo\|vmlinux\|symbols' "$TMP/mdf.txt" || fail "makedumpfile does not say what it lacks"
}

# The peer: QEMU's microvm machine with its own vmcoreinfo device, on the
# same KVM, kernel and initrd; after the panic, QMP dump-guest-memory. The
# kernel log in both dumps (crash's log; makedumpfile's too where it reads
# QEMU's dump) shows the same panic and the same call trace: the reliable
# frames' function names (not the "?" guesses, addresses or timestamps).
TIMEOUT_test_qemu_peer_dump=500
panic_lines() {
	sed -n 's/^\[ *[0-9.]*\] //p' "$1" | awk '
		/sysrq: Trigger a crash/ {print; next}
		/Kernel panic - not syncing/ {p = 1; print; next}
		p && /^Call Trace:/ {t = 1; next}
		t && /^ *<\/TASK>/ {exit}
		t && /^ *[A-Za-z_][A-Za-z0-9_.]*\+0x/ {sub(/^ */, ""); sub(/\+0x.*/, ""); print}'
}
test_qemu_peer_dump() {
	local who f
	command -v qemu-system-x86_64 >/dev/null || fail "qemu-system-x86_64 missing (make deps installs it)"
	MEM=256M panic_linux --vmcoreinfo=fwcfg
	python3 "$ROOT/tests/integration/qemu_dump.py" "$LINUX_DIR/vmlinuz" \
		"console=ttyS0 microvm.action=panic" "$TMP/qemu.core" 256M \
		"initrd=$LINUX_DIR/initrd.cpio.gz" cpu=host >"$TMP/qemu.txt" 2>&1 ||
		{ cat "$TMP/qemu.txt"; fail "QEMU did not produce a dump"; }
	readelf -n "$TMP/qemu.core" | grep -q VMCOREINFO || fail "QEMU's dump has no VMCOREINFO note"
	for who in qemu our; do
		f=$TMP/qemu.core
		[ $who = our ] && f=$dump
		printf 'log\nquit\n' | timeout 300 crash -s "$LINUX_DIR/vmlinux-dbg" "$f" >"$TMP/$who-log.txt" 2>&1 ||
			{ tail -n 20 "$TMP/$who-log.txt"; fail "crash cannot read the $who dump"; }
		panic_lines "$TMP/$who-log.txt" >"$TMP/$who-panic.txt"
	done
	grep -q 'Kernel panic - not syncing: sysrq triggered crash' "$TMP/qemu-panic.txt" ||
		{ tail -n 40 "$TMP/qemu-log.txt"; fail "QEMU's dump lacks the panic"; }
	grep -q 'sysrq_handle_crash' "$TMP/qemu-panic.txt" || fail "QEMU's dump lacks the call trace"
	diff "$TMP/qemu-panic.txt" "$TMP/our-panic.txt" || fail "the panic lines differ between QEMU's dump and ours"
	sed 's/^/both: /' "$TMP/our-panic.txt"
	# makedumpfile: ours always (the other tests); QEMU's where this makedumpfile can.
	makedumpfile --dump-dmesg "$dump" "$TMP/our-mdf-log.txt" >"$TMP/mdf.txt" 2>&1 ||
		{ cat "$TMP/mdf.txt"; fail "makedumpfile --dump-dmesg failed on our dump"; }
	if makedumpfile --dump-dmesg "$TMP/qemu.core" "$TMP/qemu-mdf-log.txt" >"$TMP/mdf.txt" 2>&1; then
		panic_lines "$TMP/qemu-mdf-log.txt" >"$TMP/qemu-mdf-panic.txt"
		panic_lines "$TMP/our-mdf-log.txt" >"$TMP/our-mdf-panic.txt"
		diff "$TMP/qemu-mdf-panic.txt" "$TMP/our-mdf-panic.txt" ||
			fail "makedumpfile's panic lines differ between QEMU's dump and ours"
	else
		echo "NOTE: makedumpfile $(makedumpfile -v 2>&1 | sed -n 's/^makedumpfile: version \([^ ]*\).*/\1/p') cannot read QEMU's dump: $(grep -v '^$' "$TMP/mdf.txt" | head -n 1)"
	fi
}

# A kernel that never publishes its note (our module blocked by the kernel's
# module_blacklist=) under --vmcoreinfo: the dump is still written, without
# the note, with one warning that says why; the status is still 8.
test_panic_without_publishing() {
	mkdir -p "$TMP/dumps"
	timeout -k 5 240 "$MICROVM" run --mem 512M --vmcoreinfo --dump-dir "$TMP/dumps" \
		--initrd "$LINUX_DIR/initrd.cpio.gz" \
		--cmdline "console=ttyS0 microvm.action=panic module_blacklist=microvm_vmcoreinfo" \
		"$LINUX_DIR/vmlinuz" </dev/null >"$TMP/out" 2>&1
	status=$?
	expect_status 8
	expect_output 'microvm initrd: microvm_vmcoreinfo not loaded'
	expect_output 'microvm: vmcoreinfo: the page at 0x[0-9a-f]+ is still empty \(the guest has not published its note'
	expect_output 'microvm: dump: wrote '
	expect_no_output 'with the guest.s VMCOREINFO note'
	set -- "$TMP"/dumps/microvm-core-*.elf
	[ $# = 1 ] && [ -f "$1" ] || fail "expected one dump, got: $(ls "$TMP/dumps")"
	readelf -n "$1" | grep -q VMCOREINFO && fail "the dump has a note the guest never published"
	[ -z "$(find "$TMP/dumps" -name '*.tmp*')" ] || fail "a temporary file was left"
}

# A panic, a reset (--on-panic dump,reset), the kernel boots again, publishes
# again and panics again: two dumps, each with the note of its own boot (the
# address was cleared at the reset and published afresh).
TIMEOUT_test_second_panic_after_reset=400
test_second_panic_after_reset() {
	local pid n
	mkdir -p "$TMP/dumps"
	timeout -k 5 300 "$MICROVM" run -v --mem 512M --vmcoreinfo --on-panic dump,reset \
		--dump-dir "$TMP/dumps" --initrd "$LINUX_DIR/initrd.cpio.gz" \
		--cmdline "console=ttyS0 microvm.action=panic" "$LINUX_DIR/vmlinuz" \
		</dev/null >"$TMP/out" 2>&1 &
	pid=$!
	n=$(wait_output $pid 'microvm: dump: wrote' 2 280)
	kill $pid 2>/dev/null
	wait $pid
	[ "$n" -ge 2 ] || { tail -n 30 "$TMP/out"; fail "expected two dumps, saw $n"; }
	expect_output 'vmcoreinfo: reset: address 0x[0-9a-f]+ cleared'
	[ "$(grep -c 'with the guest.s VMCOREINFO note' "$TMP/out")" -ge 2 ] ||
		fail "not every dump carries the guest's note"
	set -- "$TMP"/dumps/microvm-core-*.elf
	[ $# -ge 2 ] || fail "expected two dump files, got: $(ls "$TMP/dumps")"
	for f in "$1" "$2"; do
		makedumpfile --dump-dmesg "$f" "$TMP/log.txt" >"$TMP/mdf.txt" 2>&1 ||
			{ cat "$TMP/mdf.txt"; fail "makedumpfile cannot read $f"; }
		# Each dump holds its own boot's log: one kernel start, then the panic.
		grep -q 'Kernel panic - not syncing: sysrq triggered crash' "$TMP/log.txt" ||
			fail "$f: no panic in its log"
		rm -f "$TMP/log.txt"
	done
}
