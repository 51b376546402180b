# Issue 11: snapshot-save and `microvm restore`. The guest is the test
# guest's counter scenario (guest-images/testguest/scn_counter.c): every line
# says how far each CPU counted and whether the memory it keeps changing
# still holds what it wrote, so joining the output of the original run and
# of each restore must read as one run (tests/integration/counter_check.py).

TIMEOUT_test_snapshot_ten_generations=300

ctl() { "$MICROVM" ctl "$TMP/qmp" "$@"; }

# snap_and_quit NAME DIR: snapshot (staying paused) and end that microvm.
snap_and_quit() {
	ctl snapshot "$2" --paused || { cat "$TMP/$1.err"; fail "$1: snapshot failed"; }
	ctl quit >/dev/null || fail "$1: quit failed (status $?)"
	vm_end "$1" 0
	[ -f "$2/state.dtb" ] && [ -f "$2/memory" ] || fail "$1: the snapshot lacks its files"
}

counter_check() { python3 "$ROOT/tests/integration/counter_check.py" "$@" || fail "the runs do not join up"; }

GUEST="test=counter step=20 region=256K"

# Snapshot mid-run, end microvm, restore: the count goes on with no gap and no repetition.
snapshot_continues() { # IMAGE CPUS
	local image=$1 cpus=$2
	vm_bg gen0 run --debug-exit --cpus "$cpus" --api-sock "$TMP/qmp" --cmdline "$GUEST cpus=$cpus" "$image"
	wait_lines gen0 "cpu=0 n=" 10
	wait_lines gen0 "cpu=$((cpus - 1)) n=" 10
	snap_and_quit gen0 "$TMP/s1"
	vm_bg gen1 restore --api-sock "$TMP/qmp" "$TMP/s1"
	wait_lines gen1 "cpu=0 n=" 10
	wait_lines gen1 "cpu=$((cpus - 1)) n=" 10
	echo q >&3
	vm_end gen1 1
	counter_check "$cpus" 15 "$TMP/gen0.out" "$TMP/gen1.out"
}
test_snapshot_continues_elf() { snapshot_continues "$GUEST_ELF" 1; }
test_snapshot_continues_bzimage() { snapshot_continues "$GUEST_BZ" 1; }
test_snapshot_continues_two_cpus() { snapshot_continues "$GUEST_ELF" 2; }

# The same snapshot restores twice: the memory file is mapped privately, never written.
test_snapshot_restores_twice() {
	local sum
	vm_bg gen0 run --debug-exit --api-sock "$TMP/qmp" --cmdline "$GUEST" "$GUEST_ELF"
	wait_lines gen0 "cpu=0 n=" 5
	snap_and_quit gen0 "$TMP/s1"
	sum=$(md5sum <"$TMP/s1/memory")
	for run in a b; do
		vm_bg "$run" restore --api-sock "$TMP/qmp" "$TMP/s1"
		wait_lines "$run" "cpu=0 n=" 5
		echo q >&3
		vm_end "$run" 1
		counter_check 1 8 "$TMP/gen0.out" "$TMP/$run.out"
	done
	[ "$(md5sum <"$TMP/s1/memory")" = "$sum" ] || fail "restoring changed the memory file"
}

# Ten generations of snapshot -> restore -> snapshot, two CPUs, with console input arriving.
test_snapshot_ten_generations() {
	local outs="$TMP/gen0.out" i
	vm_bg gen0 run --debug-exit --cpus 2 --api-sock "$TMP/qmp" --cmdline "$GUEST cpus=2" "$GUEST_ELF"
	wait_lines gen0 "cpu=0 n=" 3
	wait_lines gen0 "cpu=1 n=" 3
	printf 'a' >&3
	wait_lines gen0 "input .*total=1" 1
	snap_and_quit gen0 "$TMP/s1"
	for i in $(seq 1 10); do
		vm_bg "gen$i" restore --api-sock "$TMP/qmp" "$TMP/s$i"
		outs="$outs $TMP/gen$i.out"
		printf 'b' >&3
		wait_lines "gen$i" "input .*total=" 1
		wait_lines "gen$i" "cpu=0 n=" 3
		wait_lines "gen$i" "cpu=1 n=" 3
		if [ "$i" = 10 ]; then
			echo q >&3
			vm_end "gen$i" 1
		else
			snap_and_quit "gen$i" "$TMP/s$((i + 1))"
		fi
	done
	# shellcheck disable=SC2086
	counter_check 2 30 $outs | tee "$TMP/check"
	grep -q "^inputs=12$" "$TMP/check" || fail "expected 12 input bytes acknowledged (a, 10 b, q)"
}

# A guest that published its VMCOREINFO note, snapshotted and restored,
# panics: the dump carries the note although the guest never published
# again. A reset of the restored VM clears the address.
vmcoreinfo_survives() { # acpi|fwcfg
	local mode=$1 marker=m$$x$RANDOM dump
	vm_bg gen0 run --debug-exit --vmcoreinfo="$mode" --api-sock "$TMP/qmp" \
		--cmdline "$GUEST vmci=$mode marker=$marker" "$GUEST_ELF"
	wait_lines gen0 "counter: published" 1
	wait_lines gen0 "cpu=0 n=" 3
	snap_and_quit gen0 "$TMP/s1"
	mkdir "$TMP/dumps"
	vm_bg gen1 restore --api-sock "$TMP/qmp" --dump-dir "$TMP/dumps" "$TMP/s1"
	wait_lines gen1 "cpu=0 n=" 3
	ctl vmcoreinfo | grep -q "osrelease: microvm-testguest" || fail "query-vmcoreinfo after restore"
	echo p >&3
	vm_end gen1 8
	grep -q "with the guest's VMCOREINFO note" "$TMP/gen1.err" || { cat "$TMP/gen1.err"; fail "no note in the dump"; }
	dump=$(ls "$TMP"/dumps/microvm-core-*.elf)
	eu-readelf -n "$dump" | grep -q "MARKER=$marker" || fail "the dump's note lacks MARKER=$marker"
	# Restore again, pause, reset: the reset clears the published address (the VM stays paused).
	vm_bg gen2 restore --api-sock "$TMP/qmp" "$TMP/s1"
	ctl vmcoreinfo | grep -q "osrelease:" || fail "not published after the second restore"
	ctl pause && ctl reset || fail "pause/reset"
	ctl vmcoreinfo >"$TMP/after-reset"
	grep -q "no note" "$TMP/after-reset" || { cat "$TMP/after-reset"; fail "the reset did not clear the address"; }
	ctl quit >/dev/null
	vm_end gen2 0
}
test_snapshot_vmcoreinfo_acpi() { vmcoreinfo_survives acpi; }
test_snapshot_vmcoreinfo_fwcfg() { vmcoreinfo_survives fwcfg; }

# -- refusals: one line, status 2, nothing built --

make_snapshot() {
	vm_bg gen0 run --debug-exit --api-sock "$TMP/qmp" --cmdline "$GUEST" "$GUEST_ELF"
	wait_lines gen0 "cpu=0 n=" 2
	snap_and_quit gen0 "$TMP/s1"
}

refused() { # WHAT REGEX DIR [OPTIONS]
	local what=$1 re=$2 dir=$3
	shift 3
	run_microvm restore "$@" "$dir"
	[ "$status" = 2 ] || { cat "$TMP/out"; fail "$what: status $status, expected 2"; }
	expect_one_error_line "$re"
}

test_snapshot_refusals() {
	make_snapshot
	refused "missing directory" "No such file" "$TMP/nope"
	cp -r "$TMP/s1" "$TMP/short"
	truncate -s -4096 "$TMP/short/memory"
	refused "memory one page short" "memory: .* bytes, the snapshot's RAM is" "$TMP/short"
	cp -r "$TMP/s1" "$TMP/trunc"
	truncate -s -100 "$TMP/trunc/state.dtb"
	refused "truncated state" "truncated" "$TMP/trunc"
	cp -r "$TMP/s1" "$TMP/flip"
	printf '\x55' | dd of="$TMP/flip/state.dtb" bs=1 seek=600 conv=notrunc status=none
	refused "a flipped byte" "state:" "$TMP/flip"
	cp -r "$TMP/s1" "$TMP/future"
	python3 "$ROOT/tests/integration/statefile.py" "$TMP/future/state.dtb" / format 99
	refused "format from the future" "newer than this microvm" "$TMP/future"
	cp -r "$TMP/s1" "$TMP/vendor"
	if grep -q GenuineIntel /proc/cpuinfo; then other=AuthenticAMD; else other=GenuineIntel; fi
	python3 "$ROOT/tests/integration/statefile.py" "$TMP/vendor/state.dtb" header host-cpu-vendor "$other"
	refused "another CPU vendor" "taken on a $other CPU" "$TMP/vendor"
	refused "--mem contradicting" "must match" "$TMP/s1" --mem 512M
	refused "--cpus contradicting" "must match" "$TMP/s1" --cpus 2
	refused "--cmdline" "comes from the snapshot" "$TMP/s1" --cmdline x
	rm "$TMP/s1/memory"
	refused "missing memory file" "memory: No such file" "$TMP/s1"
}

# A snapshot into a full file system: no half snapshot, the VM keeps running.
test_snapshot_full_filesystem() {
	[ "$(id -u)" = 0 ] || skip "mounting a small tmpfs needs root"
	mkdir "$TMP/small"
	mount -t tmpfs -o size=1M tmpfs "$TMP/small" || skip "cannot mount a tmpfs here"
	vm_bg gen0 run --debug-exit --mem 64M --api-sock "$TMP/qmp" --cmdline "test=counter step=20 region=2M" "$GUEST_ELF"
	wait_lines gen0 "cpu=0 n=" 2
	ctl snapshot "$TMP/small/s" 2>"$TMP/e"
	st=$?
	ls -la "$TMP/small" >"$TMP/ls"
	umount "$TMP/small"
	[ "$st" = 1 ] || { cat "$TMP/e"; fail "snapshot into a full file system: status $st, expected 1"; }
	grep -q "No space left" "$TMP/e" || { cat "$TMP/e"; fail "no clear reason"; }
	[ "$(grep -c . "$TMP/ls")" = 3 ] || { cat "$TMP/ls"; fail "something was left behind"; }
	n=$(grep -c "cpu=0 n=" "$TMP/gen0.out")
	wait_lines gen0 "cpu=0 n=" $((n + 3))
	echo q >&3
	vm_end gen0 1
	counter_check 1 3 "$TMP/gen0.out"
}
