# Issue 5: a guest panic gives an ELF core that readelf, eu-readelf and gdb
# open, carrying the guest's VMCOREINFO note, its registers and its memory;
# hostile vmcoreinfo descriptors give a dump without the note and one
# warning; a reset clears what the guest published; a full disk leaves no
# file behind.
#
# The guest side is the test guest's vmcoreinfo and vmcoreinfo-reset
# scenarios (guest-images/testguest/scn_vmcoreinfo.c): everything it puts in
# memory and registers it also prints ("vmcoreinfo: ..." lines), and these
# tests hold the dump against that. tests/integration/elfcore.py is a second,
# independent ELF reader.

source "$ROOT/tests/integration/dump_lib.sh"

# -- the dump as the standard tools see it --

dump_tools() { # elf|bz
	local marker=m$$x$RANDOM
	panic_run "$(image_of "$1")" vmcoreinfo "marker=$marker" --vmcoreinfo
	expect_output "dump: wrote .*with the guest's VMCOREINFO note"

	readelf -h -l -n "$dump" >"$TMP/readelf.out" 2>&1 || { cat "$TMP/readelf.out"; fail "readelf failed"; }
	grep -Eq 'Type:[[:space:]]+CORE' "$TMP/readelf.out" || fail "readelf: not ET_CORE"
	grep -Eq 'Machine:[[:space:]]+Advanced Micro Devices X86-64' "$TMP/readelf.out" || fail "readelf: not x86-64"
	grep -q '^  NOTE' "$TMP/readelf.out" && grep -q '^  LOAD' "$TMP/readelf.out" ||
		fail "readelf: no PT_NOTE or PT_LOAD"
	grep -q 'NT_PRSTATUS' "$TMP/readelf.out" || fail "readelf: no NT_PRSTATUS note"
	grep -q 'VMCOREINFO' "$TMP/readelf.out" || fail "readelf: no VMCOREINFO note"
	if grep -Ei 'warning|error|corrupt' "$TMP/readelf.out"; then fail "readelf complains"; fi

	eu-readelf -n "$dump" >"$TMP/eu.out" 2>&1 || { cat "$TMP/eu.out"; fail "eu-readelf -n failed"; }
	grep -q "MARKER=$marker" "$TMP/eu.out" || { cat "$TMP/eu.out"; fail "eu-readelf: no MARKER=$marker"; }
	grep -q 'OSRELEASE=microvm-testguest' "$TMP/eu.out" || fail "eu-readelf: no OSRELEASE"
	if grep -Ei 'invalid|error|corrupt' "$TMP/eu.out"; then fail "eu-readelf complains"; fi
	expect_note_as_printed
}
test_dump_tools_elf() { dump_tools elf; }
test_dump_tools_bzimage() { dump_tools bz; }

# gdb shows the registers the guest loaded right before the panic.
dump_registers() { # elf|bz
	local r want got rsp rip1 rip2
	command -v gdb >/dev/null || skip "no gdb"
	panic_run "$(image_of "$1")" vmcoreinfo "" --vmcoreinfo
	gdb -nx -batch -c "$dump" -ex 'info registers' >"$TMP/gdb.out" 2>&1 ||
		{ cat "$TMP/gdb.out"; fail "gdb failed"; }
	for r in rax rbx rcx rdx rsi rdi rbp r8 r9 r10 r11 r12 r13 r14 r15; do
		want=$(grep -o " $r 0x[0-9a-f]*" "$TMP/out" | head -1 | awk '{print $2}')
		[ -n "$want" ] || fail "the guest did not print $r"
		got=$(awk -v r="$r" '$1 == r {print $2}' "$TMP/gdb.out")
		[ "$got" = "$want" ] || { cat "$TMP/gdb.out"; fail "gdb: $r is '$got', the guest loaded $want"; }
	done
	read -r rsp rip1 rip2 <<EOF
$(sed -n 's/^vmcoreinfo: rsp \(0x[0-9a-f]*\) rip \(0x[0-9a-f]*\) or \(0x[0-9a-f]*\)$/\1 \2 \3/p' "$TMP/out")
EOF
	got=$(awk '$1 == "rsp" {print $2}' "$TMP/gdb.out")
	[ "$got" = "$rsp" ] || fail "gdb: rsp is '$got', the guest set $rsp"
	got=$(awk '$1 == "rip" {print $2}' "$TMP/gdb.out")
	[ "$got" = "$rip1" ] || [ "$got" = "$rip2" ] || fail "gdb: rip is '$got', want the out at $rip1 or $rip2 after it"
}
test_dump_registers_elf() { dump_registers elf; }
test_dump_registers_bzimage() { dump_registers bz; }

# Four vCPUs: three APs hold markers of their APIC ID in r12..r15 and loop
# on port IO (so the dump completes their last I/O exit) while the boot CPU
# panics. The dump has a NT_PRSTATUS and a QEMU note per vCPU, gdb sees four
# threads, and every AP's registers read back, through elfcore.py and gdb.
test_dump_smp() {
	local n=4 id reg want got
	command -v gdb >/dev/null || skip "no gdb"
	panic_run "$GUEST_ELF" vmcoreinfo "cpus=$n" --vmcoreinfo --cpus $n
	expect_output "PASS: $((n - 1)) of $((n - 1)) APs hold their markers"
	readelf -n "$dump" >"$TMP/readelf.out" 2>&1 || { cat "$TMP/readelf.out"; fail "readelf -n failed"; }
	[ "$(grep -c 'NT_PRSTATUS' "$TMP/readelf.out")" = $n ] || fail "readelf: not $n NT_PRSTATUS notes"
	[ "$(grep -Ec '^ +QEMU ' "$TMP/readelf.out")" = $n ] || fail "readelf: not $n QEMU notes"
	python3 "$ELFCORE" regs "$dump" >"$TMP/regs.txt" || fail "elfcore.py regs failed"
	[ "$(wc -l <"$TMP/regs.txt")" = $n ] || { cat "$TMP/regs.txt"; fail "elfcore.py: not $n vCPUs"; }
	grep -q '^cpu0 .* r12=0xcccccccccccccccc ' "$TMP/regs.txt" || fail "vCPU 0 is not the panicking boot CPU"
	local -a cmds=(-ex 'info threads')
	for id in $(seq 2 $n); do cmds+=(-ex "thread $id" -ex 'info registers r12 r13 r14 r15'); done
	gdb -nx -batch -c "$dump" "${cmds[@]}" >"$TMP/gdb.out" 2>&1 ||
		{ cat "$TMP/gdb.out"; fail "gdb failed"; }
	[ "$(grep -Ec '^[* ] +[0-9]+ +LWP ' "$TMP/gdb.out")" = $n ] || { cat "$TMP/gdb.out"; fail "gdb: not $n threads"; }
	for id in $(seq 1 $((n - 1))); do
		for reg in r12 r13 r14 r15; do
			want=$(sed -n "s/^vmcoreinfo: AP $id: .*$reg \(0x[0-9a-f]*\).*/\1/p" "$TMP/out")
			[ -n "$want" ] || fail "the guest did not print AP $id's $reg"
			got=$(awk -v c="cpu$id" -v r="$reg" '$1 == c { for (i = 2; i <= NF; i++) if (index($i, r "=") == 1) print substr($i, length(r) + 2) }' "$TMP/regs.txt")
			[ "$got" = "$want" ] || fail "elfcore.py: vCPU $id $reg is '$got', the AP loaded $want"
		done
	done
	# gdb thread t is vCPU t - 1 (pr_pid = index + 1); its r12..r15 in order.
	for id in $(seq 1 $((n - 1))); do
		want=$(sed -n "s/^vmcoreinfo: AP $id: r12 \(0x[0-9a-f]*\) r13 \(0x[0-9a-f]*\) r14 \(0x[0-9a-f]*\) r15 \(0x[0-9a-f]*\)$/\1 \2 \3 \4/p" "$TMP/out")
		got=$(awk -v t=$((id + 1)) '/^\[Switching to thread/ { cur = $4 } cur == t && /^r1[2-5] / { printf "%s%s", sep, $2; sep = " " }' "$TMP/gdb.out")
		[ "$got" = "$want" ] || { cat "$TMP/gdb.out"; fail "gdb: thread $((id + 1)) r12..r15 are '$got', want '$want'"; }
	done
}

# The PT_LOAD (from readelf -lW) holding guest physical ADDR: prints the file
# offset of ADDR, or fails.
file_offset_of() { # ADDR
	local a=$(($1)) type off va pa fs rest
	while read -r type off va pa fs rest; do
		[ "$type" = LOAD ] || continue
		if [ "$a" -ge $((pa)) ] && [ "$a" -lt $((pa + fs)) ]; then
			echo $((off + a - pa))
			return 0
		fi
	done < <(readelf -lW "$dump")
	return 1
}

# The guest's memory reads back from the PT_LOAD data at its guest physical
# address: the pattern, the marker page, the zero pages.
test_dump_memory() {
	local off marker
	panic_run "$GUEST_ELF" vmcoreinfo "marker=page$$" --vmcoreinfo
	printed 'pattern at ' | grep -q "^$PATTERN_ADDR, $((PATTERN_SIZE)) bytes" ||
		fail "the guest's pattern is not where this test expects it"
	python3 "$ELFCORE" pattern "$dump" $PATTERN_ADDR $PATTERN_SIZE || fail "pattern at $PATTERN_ADDR"
	python3 "$ELFCORE" zero "$dump" $ZERO_ADDR $ZERO_SIZE || fail "zero pages at $ZERO_ADDR"
	# The marker page through readelf + dd: a reader independent of elfcore.py.
	off=$(file_offset_of $MARKER_PAGE) || fail "no PT_LOAD holds $MARKER_PAGE"
	marker=$(dd if="$dump" bs=4096 iflag=skip_bytes skip="$off" count=1 status=none | tr -d '\0')
	[ "$marker" = "microvm-testguest marker page: MARKER=page$$" ] ||
		fail "marker page at $MARKER_PAGE (file offset $off) holds '$marker'"
	# The checks have teeth: the marker page is neither pattern nor zero.
	if python3 "$ELFCORE" pattern "$dump" $MARKER_PAGE 64 >/dev/null ||
		python3 "$ELFCORE" zero "$dump" $MARKER_PAGE 64 >/dev/null; then
		fail "elfcore.py accepts the marker page as pattern or zeros"
	fi
}

# Untouched RAM costs no disk: the 256 MiB dump is sparse.
test_dump_sparse() {
	local apparent used
	panic_run "$GUEST_ELF" vmcoreinfo "" --vmcoreinfo --mem 256M
	apparent=$(stat -c %s "$dump")
	used=$(du --block-size=1 "$dump" | cut -f1)
	echo "dump: $apparent bytes, $used on disk"
	[ "$apparent" -gt $((256 << 20)) ] || fail "the dump ($apparent bytes) is smaller than RAM"
	[ "$used" -lt $((16 << 20)) ] || fail "a mostly-zero 256 MiB guest takes $used bytes of disk"
}

# fill=64M: real data is really written (and reads back).
test_dump_fill() {
	local used
	panic_run "$GUEST_ELF" vmcoreinfo "fill=64M" --vmcoreinfo --mem 256M
	used=$(du --block-size=1 "$dump" | cut -f1)
	[ "$used" -ge $((64 << 20)) ] || fail "64 MiB of guest data took only $used bytes of disk"
	python3 "$ELFCORE" pattern "$dump" $FILL_ADDR 0x100000 || fail "fill: first MiB"
	python3 "$ELFCORE" pattern "$dump" $((FILL_ADDR + (32 << 20))) 0x100000 || fail "fill: middle MiB"
	python3 "$ELFCORE" pattern "$dump" $((FILL_ADDR + (63 << 20))) 0x100000 || fail "fill: last MiB"
	python3 "$ELFCORE" zero "$dump" $((FILL_ADDR + (64 << 20))) 0x100000 || fail "after the fill"
}

# -- hostile descriptors: a dump without the note, one warning naming why --

hostile() { # KNOB REGEX
	panic_run "$GUEST_ELF" vmcoreinfo "vmci=$1" --vmcoreinfo
	expect_output "published .*|not publishing"
	expect_output "^microvm: $2"
	[ "$(grep -c '^microvm: vmcoreinfo: ' "$TMP/out")" = 1 ] || fail "expected one vmcoreinfo warning"
	expect_output 'dump: wrote '
	expect_no_note
	readelf -n "$dump" >/dev/null 2>&1 || fail "readelf cannot read the dump"
}
test_hostile_paddr_beyond_ram() { hostile paddr-beyond-ram 'vmcoreinfo: paddr 0x4000000000 \+ size [0-9]+ beyond RAM'; }
test_hostile_paddr_overflow() { hostile paddr-overflow 'vmcoreinfo: paddr 0xfffffffffffffff0 \+ size [0-9]+ overflows 64 bits'; }
test_hostile_size0() { hostile size0 'vmcoreinfo: size 0 out of range'; }
test_hostile_size2m() { hostile size2m 'vmcoreinfo: size 2097152 out of range'; }
test_hostile_version1() { hostile version1 'vmcoreinfo: version 1 unsupported'; }
test_hostile_badname() { hostile badname 'vmcoreinfo: note name is "VMCOREINFX"'; }
# etc/vmcoreinfo-addr is guest-writable: a guest that writes 0 there after
# the firmware leaves microvm without an address ("address is zero").
test_hostile_zero_addr() { hostile zero-addr 'vmcoreinfo: address is zero \(no WRITE_POINTER'; }
# The firmware gave the page; the guest never wrote it: an all-zero descriptor.
test_hostile_nopublish() { hostile nopublish 'vmcoreinfo: the page at 0x[0-9a-f]+ is still empty'; }

# Without --vmcoreinfo there is nothing to publish through: the guest's
# check fails (no dump), and a panic gives a dump without the note.
test_without_device() {
	need_guests
	mkdir -p "$TMP/dumps"
	run_guest "$GUEST_ELF" vmcoreinfo "" -- --dump-dir "$TMP/dumps"
	[ "$status" != 8 ] && [ $((status & 1)) = 1 ] || fail "status $status: the guest should fail a check"
	expect_output 'FAIL: the XSDT lists an SSDT with OEM table id "VMCOREIN"'
	[ -z "$(ls -A "$TMP/dumps")" ] || fail "a dump without a panic"
	panic_run "$GUEST_ELF" vmcoreinfo vmci=nopublish
	expect_no_note
}

# -- reset: what the guest published is gone after a reset --

# Published, reset, panic without publishing: no stale note. The VMM
# zeroes the address on the reset, then the firmware runs again and
# publishes a fresh, zeroed page before any guest code: so the dumper says
# "still empty", never "address is zero", after a reset. That alone cannot
# tell a reset that cleared from one that did nothing (the firmware
# republishes the same address and reloads a zero page either way), so -v
# shows each step and the test holds their order: the guest publishes, the
# reset clears the address, the firmware writes it again, the guest panics,
# the dumper finds the page empty.
line_of() { # REGEX [NTH]: the line number of the NTH (default 1st) match in the output
	grep -nE -- "$1" "$TMP/out" | sed -n "${2:-1}p" | cut -d: -f1
}

test_reset_clears() {
	local pub clear fw1 fw2 panic empty
	panic_run "$GUEST_ELF" vmcoreinfo-reset "" --vmcoreinfo -v
	expect_output 'reset: marker found'
	expect_output 'PASS: the page.s first 56 bytes are zero'
	expect_no_output 'address is zero'
	expect_no_note
	[ "$(grep -c '^microvm: vmcoreinfo: reset: address 0x[0-9a-f]* cleared' "$TMP/out")" = 1 ] ||
		fail "expected one 'reset: address ... cleared' line"
	fw1=$(line_of '^microvm: vmcoreinfo: the firmware published the page' 1)
	pub=$(line_of '^vmcoreinfo: published version 0')
	clear=$(line_of '^microvm: vmcoreinfo: reset: address 0x[0-9a-f]+ cleared')
	fw2=$(line_of '^microvm: vmcoreinfo: the firmware published the page' 2)
	panic=$(line_of '^vmcoreinfo: second boot: panicking without publishing again')
	empty=$(line_of '^microvm: vmcoreinfo: the page at 0x[0-9a-f]+ is still empty')
	echo "firmware $fw1, guest publishes $pub, reset clears $clear, firmware $fw2, panic $panic, empty $empty"
	[ -n "$fw1" ] && [ -n "$pub" ] && [ -n "$clear" ] && [ -n "$fw2" ] && [ -n "$panic" ] && [ -n "$empty" ] ||
		{ cat "$TMP/out"; fail "a step is missing from the log"; }
	[ "$fw1" -lt "$pub" ] && [ "$pub" -lt "$clear" ] && [ "$clear" -lt "$fw2" ] &&
		[ "$fw2" -lt "$panic" ] && [ "$panic" -lt "$empty" ] ||
		fail "steps out of order: firmware, guest publishes, reset clears, firmware again, panic, still empty"
}

test_reset_republish() {
	panic_run "$GUEST_BZ" vmcoreinfo-reset vmci=republish --vmcoreinfo
	expect_output 'reset: marker found'
	expect_output "dump: wrote .*with the guest's VMCOREINFO note"
	expect_note_as_printed
}

# -v names the writer: io_uring on this host (a silent fall-back to pwrite
# would make dumps several times slower); without -v the line stays short.
test_writer_named_at_verbose() {
	panic_run "$GUEST_ELF" vmcoreinfo "" --vmcoreinfo -v
	expect_output '^microvm: dump: wrote .*; io_uring, (O_DIRECT|page cache)\)$'
	rm -f "$TMP"/dumps/*
	panic_run "$GUEST_ELF" vmcoreinfo "" --vmcoreinfo
	expect_no_output 'io_uring|pwrite'
}

# -- progress on a terminal --

# dump_on_pty [MICROVM-ARGS...]: a 1 GiB dump with stderr on a pseudo-terminal
# (script(1)); $TMP/lines holds the output split at carriage returns.
dump_on_pty() {
	command -v script >/dev/null || skip "no script(1)"
	need_guests
	mkdir -p "$TMP/dumps"
	script -qec "'$MICROVM' run --debug-exit --cmdline 'test=vmcoreinfo fill=1G' --vmcoreinfo --mem 2G --dump-dir '$TMP/dumps' $* '$GUEST_ELF'" /dev/null >"$TMP/out" 2>&1 </dev/null
	status=$?
	tr '\r' '\n' <"$TMP/out" >"$TMP/lines"
	expect_status 8
	expect_output 'dump: wrote '
}

# The progress line moves through the percentages (of bytes written, not
# queued) and ends at 100% once the file is on disk.
test_progress_on_terminal() {
	dump_on_pty
	grep -aEq '^microvm: dump: +[0-9]{1,2}% +[0-9]+ MB/s$' "$TMP/lines" ||
		{ cat -A "$TMP/lines" | tail -20; fail "no progress line below 100%"; }
	grep -aEq '^microvm: dump: 100% 2048 MiB in [0-9.]+ s \([0-9]+ MB/s\)$' "$TMP/lines" ||
		{ cat -A "$TMP/lines" | tail -20; fail "no final 100% line"; }
	# 100% comes last: after every partial line, the fsync line included.
	[ "$(grep -anE '^microvm: dump: +[0-9]+%' "$TMP/lines" | tail -1 | grep -c ' 100% ')" = 1 ] ||
		fail "the last progress line is not the 100% line"
}

# -q shows only errors and where the dump went: no progress line.
test_quiet_has_no_progress() {
	dump_on_pty -q
	expect_no_output 'dump: +[0-9]+%'
}

# -- a full disk --

# 64 MiB of guest data into a 16 MiB tmpfs: the error is reported, no file
# (not even a temporary one) stays behind, the exit status is still 8.
test_enospc() {
	local dir=$TMP/small
	mkdir -p "$dir"
	mount -t tmpfs -o size=16m microvm-test "$dir" 2>"$TMP/mount.err" ||
		skip "cannot mount a tmpfs here: $(cat "$TMP/mount.err")"
	trap "umount '$dir'" EXIT
	need_guests
	run_guest "$GUEST_ELF" vmcoreinfo "fill=64M" -- --vmcoreinfo --mem 256M --dump-dir "$dir"
	expect_status 8
	expect_output 'vmcoreinfo: fill: pattern at 0x2000000'
	expect_output '^microvm: dump: .*No space left on device'
	expect_no_output 'dump: wrote '
	[ -z "$(ls -A "$dir")" ] || fail "files left behind: $(ls -A "$dir")"
}

# A file-size limit (ulimit -f) is a full disk too: the write fails with
# EFBIG instead of SIGXFSZ killing microvm (which lost the dump and the
# policy's exit status, 153), one error line, nothing left behind.
test_file_size_limit() {
	local dir=$TMP/dumps
	mkdir -p "$dir"
	need_guests
	(
		ulimit -f 1024
		run_guest "$GUEST_ELF" vmcoreinfo "fill=64M" -- --vmcoreinfo --mem 256M --dump-dir "$dir"
		echo "$status" >"$TMP/status"
	)
	status=$(cat "$TMP/status")
	expect_status 8
	expect_output 'vmcoreinfo: fill: pattern at 0x2000000'
	[ "$(grep -c '^microvm: dump: .*File too large' "$TMP/out")" = 1 ] ||
		{ cat "$TMP/out"; fail "expected one 'dump: ... File too large' line"; }
	expect_no_output 'dump: wrote '
	[ -z "$(ls -A "$dir")" ] || fail "files left behind: $(ls -A "$dir")"
}

# acpiexec, the interpreter Linux uses, on the tables exactly as the firmware
# left them in guest RAM (taken from the dump): \_SB.VMCI._STA is 0x0F and
# ADDR returns the address microvm holds, so a guest driver finds the page.
test_patched_tables_in_guest_memory() {
	local addr
	panic_run "$GUEST_ELF" vmcoreinfo "" --vmcoreinfo -v
	addr=$(sed -n 's/^microvm: vmcoreinfo: the firmware published the page at 0x[0-9a-f]* (address 0x\([0-9a-f]*\))$/\1/p' "$TMP/out" | tail -1)
	[ -n "$addr" ] || fail "microvm did not log the address the firmware wrote back"
	python3 "$ROOT/tests/integration/dump_tables.py" "$dump" "$TMP/tables" >"$TMP/tables.txt" ||
		{ cat "$TMP/tables.txt"; fail "cannot walk the ACPI tables in the dump"; }
	grep -q '^SSDT VMCOREIN ' "$TMP/tables.txt" || fail "no VMCOREIN SSDT reachable from the RSDP"
	(cd "$TMP/tables" && acpiexec -b 'evaluate \_SB.VMCI._STA; evaluate \_SB.VMCI.ADDR' \
		DSDT.dat SSDT-VMCOREIN.dat) >"$TMP/acpiexec.txt" 2>&1
	grep -A1 'Evaluation of \\_SB.VMCI._STA' "$TMP/acpiexec.txt" | grep -q '\[Integer\] = 000000000000000F' ||
		{ cat "$TMP/acpiexec.txt"; fail "_STA is not 0x0F"; }
	grep -A3 'Evaluation of \\_SB.VMCI.ADDR' "$TMP/acpiexec.txt" |
		grep -qi "\[Integer\] = 0*$addr\$" ||
		{ cat "$TMP/acpiexec.txt"; fail "ADDR does not return 0x$addr"; }
}

# crash(8) reads the kernel release from the dump's VMCOREINFO note.
test_crash_reads_osrelease() {
	command -v crash >/dev/null || fail "crash missing (make deps installs it)"
	panic_run "$GUEST_ELF" vmcoreinfo "" --vmcoreinfo
	crash --osrelease "$dump" >"$TMP/crash.txt" 2>&1
	grep -qx 'microvm-testguest' "$TMP/crash.txt" || { cat "$TMP/crash.txt"; fail "crash --osrelease did not print microvm-testguest"; }
}

# makedumpfile finds our VMCOREINFO note and prints it (-D). It then stops
# at check_release: the test guest's note has no SYMBOL(system_utsname) or
# the other kernel symbols a real Linux note carries, so filtering,
# compression and --dump-dmesg need a Linux guest (docs/dump.md).
test_makedumpfile_reads_the_note() {
	local marker=mk$$
	command -v makedumpfile >/dev/null || fail "makedumpfile missing (make deps installs it)"
	panic_run "$GUEST_ELF" vmcoreinfo "marker=$marker" --vmcoreinfo
	makedumpfile -D -d 1 "$dump" "$TMP/out.kdump" >"$TMP/mdf.txt" 2>&1
	grep -q '^VMCOREINFO *:' "$TMP/mdf.txt" || { cat "$TMP/mdf.txt"; fail "makedumpfile found no VMCOREINFO"; }
	grep -qx '  OSRELEASE=microvm-testguest' "$TMP/mdf.txt" || { cat "$TMP/mdf.txt"; fail "no OSRELEASE line"; }
	grep -qx "  MARKER=$marker" "$TMP/mdf.txt" || { cat "$TMP/mdf.txt"; fail "no MARKER=$marker line"; }
	grep -Eq '^LOAD\[ 0\] +0 +10000000 ' "$TMP/mdf.txt" || { cat "$TMP/mdf.txt"; fail "makedumpfile does not see the PT_LOAD"; }
	# What stops it is the missing kernel symbols, nothing about the file's format.
	grep -q "check_release: Can't get the symbol of system_utsname" "$TMP/mdf.txt" ||
		{ cat "$TMP/mdf.txt"; fail "makedumpfile failed for another reason than the test guest's note"; }
}

# A 5 GiB guest: two PT_LOADs, [0, 3 GiB) and [4 GiB, 6 GiB); the pattern
# the guest wrote at 4 GiB reads back from the second; the file is sparse.
TIMEOUT_test_dump_5g=180
test_dump_5g() {
	local apparent used
	panic_run "$GUEST_ELF" vmcoreinfo "high=1" --vmcoreinfo --mem 5G
	expect_output 'vmcoreinfo: high: pattern at 0x100000000, 65536 bytes'
	readelf -lW "$dump" | awk '$1 == "LOAD" {print $3, $4}' >"$TMP/loads.txt"
	printf '0x0000000000000000 0x0000000000000000\n0x0000000100000000 0x0000000100000000\n' >"$TMP/want.txt"
	cmp -s "$TMP/loads.txt" "$TMP/want.txt" || { readelf -lW "$dump"; fail "PT_LOADs are not at p_paddr 0 and 0x100000000"; }
	readelf -lW "$dump" | awk '$1 == "LOAD" {print $4, $5}' | grep -q '^0x0000000100000000 0x0*80000000$' ||
		{ readelf -lW "$dump"; fail "the high PT_LOAD is not 2 GiB"; }
	python3 "$ELFCORE" pattern "$dump" 0x100000000 0x10000 || fail "pattern at 4 GiB"
	python3 "$ELFCORE" pattern "$dump" $PATTERN_ADDR $PATTERN_SIZE || fail "pattern below 4 GiB"
	apparent=$(stat -c %s "$dump")
	used=$(du --block-size=1 "$dump" | cut -f1)
	echo "dump: $apparent bytes, $used on disk"
	[ "$apparent" -gt $((5 << 30)) ] || fail "the dump ($apparent bytes) is smaller than RAM"
	[ "$used" -lt $((64 << 20)) ] || fail "a mostly-zero 5 GiB guest takes $used bytes of disk"
}
