# A hostile guest (guest-images/testguest/scn_hostile.c) spends a few
# seconds on random port IO, MMIO and fw_cfg DMA aimed at microvm — outside
# RAM, across its end, into the firmware, near 2^64, at every fw_cfg file —
# then checks it is whole and panics. microvm must survive, say what it
# refused, write nothing outside the ranges the guest allowed (the guest's
# guard zones), and still write a dump with the note and the guest's
# memory. Where build/microvm-asan exists (make check builds it) the run
# uses it: ASan then watches every host access microvm makes.
#
# HOSTILE_SECS (default 2) and HOSTILE_SEED lengthen or vary the run:
#   HOSTILE_SECS=600 HOSTILE_SEED=7 tests/with-kvm tests/integration/run.sh hostile

source "$ROOT/tests/integration/dump_lib.sh"

HOSTILE_SECS=${HOSTILE_SECS:-2}
TIMEOUT_test_hostile_elf=$((HOSTILE_SECS + 90))
TIMEOUT_test_hostile_bzimage_fwcfg=$((HOSTILE_SECS + 90))

hostile_run() { # IMAGE SEED END VMCOREINFO-OPTION
	local img=$1 seed=${HOSTILE_SEED:-$2} vmci=$4 bin=$MICROVM marker=h$$x$RANDOM
	[ -x "$ROOT/build/microvm-asan" ] && bin=$ROOT/build/microvm-asan
	need_guests
	mkdir -p "$TMP/dumps"
	echo "hostile: seed $seed, $HOSTILE_SECS s, $(basename "$bin")"
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		MICROVM=$bin run_guest "$img" hostile "seed=$seed secs=$HOSTILE_SECS end=$3 marker=$marker" -- \
		-v --dump-dir "$TMP/dumps" "$vmci"
	if grep -aE 'AddressSanitizer|UndefinedBehaviorSanitizer|runtime error' "$TMP/out"; then
		fail "the sanitizers caught microvm (seed $seed)"
	fi
	expect_status 8
	# Confined as any run (docs/security.md): the sanitizers' runtime has the calls it needs.
	expect_output '^microvm: seccomp: each thread confined'
	expect_output '^hostile: survived [0-9]+ steps'
	expect_output '^PASS: every DMA READ outside RAM reports an error'
	expect_output '^PASS: the guard zone before the scratch buffer'
	expect_output '^PASS: the last page of memory at .* is unchanged'
	expect_output '^PASS: fw_cfg still lists its'
	# What microvm refused, said (rate-limited) while it happened and summed up at the end.
	expect_output '^microvm: fw_cfg: DMA (descriptor at 0x[0-9a-f]+ is outside guest RAM|control .* failed)'
	expect_output '^microvm: [0-9]+ port-IO and [0-9]+ MMIO accesses hit no device'
	expect_output '^vmcoreinfo: panicking'
	# For the record (docs/security.md): how much the guest tried, what microvm refused.
	grep -aE '^hostile: survived|^microvm: [0-9]+ port-IO and|^microvm: .*(refused|suppressed)' "$TMP/out" | tail -n 6
	set -- "$TMP"/dumps/*
	[ $# = 1 ] && [ -f "$1" ] || fail "expected one dump, found: $(ls -A "$TMP/dumps")"
	dump=$1
	expect_output "dump: wrote .*with the guest's VMCOREINFO note"
	expect_note_as_printed
	eu-readelf -n "$dump" | grep -q "MARKER=$marker" || fail "eu-readelf: no MARKER=$marker"
	python3 "$ELFCORE" pattern "$dump" $PATTERN_ADDR $PATTERN_SIZE || fail "pattern at $PATTERN_ADDR"
	python3 "$ELFCORE" zero "$dump" $ZERO_ADDR $ZERO_SIZE || fail "zero pages at $ZERO_ADDR"
}

test_hostile_elf() { hostile_run "$GUEST_ELF" 1 acpi --vmcoreinfo; }
test_hostile_bzimage_fwcfg() { hostile_run "$GUEST_BZ" 2 fwcfg --vmcoreinfo=fwcfg; }
