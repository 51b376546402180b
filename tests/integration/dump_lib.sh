# Shared by the dump tests (vmcoreinfo.sh, vmcoreinfo_fwcfg.sh): run a test
# guest to its panic and hold the dump against what the guest printed.
# Sourced, defines no tests.

ELFCORE=$ROOT/tests/integration/elfcore.py
PATTERN_ADDR=0x1000000 # docs/testguest.md, "Memory the guest uses"
PATTERN_SIZE=0x10000
MARKER_PAGE=0x1010000
ZERO_ADDR=0x1011000
ZERO_SIZE=0xF000
FILL_ADDR=0x2000000

need_guests() {
	[ -f "$GUEST_ELF" ] && [ -f "$GUEST_BZ" ] || fail "test guests not built (make all)"
}

image_of() { # elf|bz
	if [ "$1" = bz ]; then echo "$GUEST_BZ"; else echo "$GUEST_ELF"; fi
}

# panic_run IMAGE SCENARIO EXTRA-CMDLINE [MICROVM-ARGS...]: the run must end
# in a panic (status 8) with exactly one dump in $TMP/dumps, named in $dump.
panic_run() {
	local img=$1 scn=$2 extra=$3
	shift 3
	need_guests
	mkdir -p "$TMP/dumps"
	run_guest "$img" "$scn" "$extra" -- --dump-dir "$TMP/dumps" "$@"
	expect_status 8
	expect_output '^vmcoreinfo: panicking'
	set -- "$TMP"/dumps/*
	[ $# = 1 ] && [ -f "$1" ] || fail "expected one dump in dumps/, found: $(ls -A "$TMP/dumps")"
	dump=$1
}

# What the guest printed after "PREFIX" on its line.
printed() {
	sed -n "s/^vmcoreinfo: $1//p" "$TMP/out" | head -1
}

has_note() {
	python3 "$ELFCORE" vmcoreinfo "$dump" >"$TMP/note.txt"
	case $? in
	0) return 0 ;;
	3) return 1 ;;
	*) fail "elfcore.py cannot read $dump" ;;
	esac
}

# The note's text equals the lines the guest printed ("vmcoreinfo: text: L").
expect_note_as_printed() {
	has_note || fail "the dump has no VMCOREINFO note"
	# The text of the last publication (vmcoreinfo-reset publishes twice).
	# The last run of consecutive text lines is the last publication's note.
	awk 'sub(/^vmcoreinfo: text: /, "") { if (!in_text) n = 0; in_text = 1; t[n++] = $0; next }
		{ in_text = 0 } END { for (i = 0; i < n; i++) print t[i] }' "$TMP/out" >"$TMP/printed.txt"
	[ -s "$TMP/printed.txt" ] || fail "the guest printed no note text"
	cmp -s "$TMP/note.txt" "$TMP/printed.txt" || {
		diff "$TMP/printed.txt" "$TMP/note.txt"
		fail "the VMCOREINFO note differs from what the guest wrote"
	}
}

expect_no_note() {
	! has_note || fail "the dump has a VMCOREINFO note: $(cat "$TMP/note.txt")"
	expect_no_output "with the guest's VMCOREINFO note"
}

