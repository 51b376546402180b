# A stock kernel under the control socket (issue 11): the ACPI power button
# (QMP system_powerdown) powers it off; a snapshot taken once it reached
# userspace restores in a new microvm, keeps running with a sane clock, and
# its panic is dumped with the note it published before the snapshot. The
# initrd's microvm.action=wait takes console lines: ping, panic
# (guest-images/linux.mk).

TIMEOUT_test_linux_power_button=300
TIMEOUT_test_linux_snapshot_restore_panic=420

ctl() { "$MICROVM" ctl "$TMP/qmp" "$@"; }

boot_waiting() { # NAME MICROVM-ARGS...
	local name=$1
	shift
	vm_bg "$name" run --mem 512M --api-sock "$TMP/qmp" "$@" --initrd "$LINUX_DIR/initrd.cpio.gz" \
		--cmdline "console=ttyS0 microvm.action=wait" "$LINUX_DIR/vmlinuz"
	wait_lines "$name" 'microvm initrd: acpid is listening for the power button' 1 240
	wait_lines "$name" 'microvm initrd: waiting up to 600 s' 1 60
}

test_linux_power_button() {
	boot_waiting boot --vmcoreinfo
	ctl powerdown || fail "ctl powerdown"
	vm_end boot 0 120
	grep -q 'microvm initrd: power button pressed, powering off' "$TMP/boot.out" ||
		{ tail -20 "$TMP/boot.out"; fail "the guest did not see the power button"; }
	grep -a 'ACPI: button: Power Button \[PWRB\]' "$TMP/boot.out" || fail "no PWRB device in the kernel log"
}

# uptime from the last "pong" line of $TMP/NAME.out (whole seconds).
pong_uptime() { sed -n 's/.*microvm initrd: pong uptime \([0-9]*\).*/\1/p' "$TMP/$1.out" | tail -1; }

test_linux_snapshot_restore_panic() {
	local before after dump
	boot_waiting boot --vmcoreinfo=fwcfg
	grep -q '/sys/kernel/vmcoreinfo' "$TMP/boot.out" || fail "no vmcoreinfo in the guest"
	echo ping >&3
	wait_lines boot 'microvm initrd: pong' 1 60
	before=$(pong_uptime boot)
	ctl vmcoreinfo | grep -q "osrelease:" || fail "the guest has not published its note"
	ctl snapshot "$TMP/s1" --paused || fail "snapshot"
	ctl quit >/dev/null
	vm_end boot 0 60
	mkdir "$TMP/dumps"
	vm_bg restored restore --api-sock "$TMP/qmp" --dump-dir "$TMP/dumps" "$TMP/s1"
	echo ping >&3
	wait_lines restored 'microvm initrd: pong' 1 120
	sleep 5
	echo ping >&3
	wait_lines restored 'microvm initrd: pong' 2 120
	after=$(pong_uptime restored)
	[ "$after" -ge "$before" ] || fail "uptime went back: $before before the snapshot, $after after"
	[ $((after - before)) -lt 120 ] || fail "uptime jumped: $before before the snapshot, $after after"
	if grep -aE -A4 'soft lockup|hung_task|blocked for more than|rcu_.*stall|clocksource.*(unstable|skew)|timekeeping watchdog|Marking TSC unstable' \
		"$TMP/restored.out"; then
		fail "the restored kernel complains about its clock or CPUs"
	fi
	ctl vmcoreinfo | grep -q "osrelease:" || fail "the restored VM lost the note's address"
	echo panic >&3
	vm_end restored 8 180
	grep -q "with the guest's VMCOREINFO note" "$TMP/restored.err" ||
		{ cat "$TMP/restored.err"; fail "the dump after the restore has no note"; }
	dump=$(ls "$TMP"/dumps/microvm-core-*.elf) || fail "no dump"
	makedumpfile --dump-dmesg "$dump" "$TMP/log.txt" >"$TMP/mdf.txt" 2>&1 ||
		{ cat "$TMP/mdf.txt"; fail "makedumpfile --dump-dmesg failed on the restored guest's dump"; }
	grep -q 'sysrq: Trigger a crash' "$TMP/log.txt" || fail "the dumped log lacks the sysrq line"
	grep -q 'Kernel panic - not syncing' "$TMP/log.txt" || fail "the dumped log lacks the panic"
	echo "uptime $before s before the snapshot, $after s after the restore; dump read by makedumpfile"
}
