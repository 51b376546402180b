# Issue 3: booting the test guest in both formats, memory sizes, SMP, reset,
# fault reporting, and refusal of bad kernels and options.

TIMEOUT_test_memmap_5G_elf=180
TIMEOUT_test_memmap_5G_bzimage=180

need_guests() {
	[ -f "$GUEST_ELF" ] && [ -f "$GUEST_BZ" ] || fail "test guests not built (make all)"
}

# -- every scenario in both formats --

scenario() { # IMAGE SCENARIO [EXTRA] [-- ARGS]
	need_guests
	run_guest "$@"
	expect_status 1
}

test_hello_elf() { scenario "$GUEST_ELF" hello; expect_output 'hello'; }
test_hello_bzimage() { scenario "$GUEST_BZ" hello; expect_output 'hello'; }
test_cpl3_elf() { scenario "$GUEST_ELF" cpl3; }
test_cpl3_bzimage() { scenario "$GUEST_BZ" cpl3; }
test_smp_elf() { scenario "$GUEST_ELF" smp cpus=2 -- --cpus 2; }
test_smp_bzimage() { scenario "$GUEST_BZ" smp cpus=2 -- --cpus 2; }
test_smp4_elf() { scenario "$GUEST_ELF" smp cpus=4 -- --cpus 4; }
test_reset_elf() { scenario "$GUEST_ELF" reset; }
test_reset_bzimage() { scenario "$GUEST_BZ" reset; }
test_reset_triple_elf() { scenario "$GUEST_ELF" reset-triple; }
test_reset_triple_bzimage() { scenario "$GUEST_BZ" reset-triple; }

# memmap=exact: the map is exactly microvm's layout (shared/DESIGN.md §3);
# every point of every RAM range was probed: 3 per range, 2 ranges below
# 4 GiB, a third above (at 64G it ends beyond what the guest maps at boot).
memmap() { # FORMAT SIZE
	local img=$GUEST_ELF points=6
	[ "$1" = bz ] && img=$GUEST_BZ
	case $2 in *G) [ "${2%G}" -gt 3 ] && points=9 ;; esac
	scenario "$img" memmap "expect_mem=$2 memmap=exact" -- --mem "$2"
	expect_output "PASS: the map is exactly microvm's layout"
	expect_output "^memmap: probed $points of $points points "
}
test_memmap_64M_elf() { memmap elf 64M; }
test_memmap_64M_bzimage() { memmap bz 64M; }
test_memmap_256M_elf() { memmap elf 256M; }
test_memmap_256M_bzimage() { memmap bz 256M; }
test_memmap_3G_elf() { memmap elf 3G; }
test_memmap_3G_bzimage() { memmap bz 3G; }
test_memmap_5G_elf() { memmap elf 5G; }
test_memmap_5G_bzimage() { memmap bz 5G; }
test_memmap_64G_elf() { memmap elf 64G; }
test_memmap_64G_bzimage() { memmap bz 64G; }

# A guest that checks for a different size must fail: the check has teeth.
test_memmap_detects_mismatch() {
	need_guests
	run_guest "$GUEST_ELF" memmap expect_mem=512M -- --mem 256M
	[ "$status" != 1 ] || fail "memmap passed although the guest expected 512M and got 256M"
	[ $((status & 1)) = 1 ] || fail "guest did not end through debug-exit (status $status)"
}

# Without --debug-exit there is no device at 0x501: a guest write there does
# not end the VM (the guest then resets; --no-reboot makes that status 0).
test_no_debug_exit_port_without_option() {
	need_guests
	run_microvm run --no-reboot --cmdline test=no-debug-exit "$GUEST_ELF"
	expect_status 0
	expect_output 'still running after the write'
	# With the option the same write ends the run: (0x21 << 1) | 1.
	run_guest "$GUEST_ELF" no-debug-exit -- --no-reboot
	expect_status 67
	expect_no_output 'still running'
}

# --no-reboot turns the guest's reset into an exit with status 0, as QEMU's.
test_no_reboot() {
	need_guests
	run_guest "$GUEST_ELF" reset -- --no-reboot
	expect_status 0
}

test_failing_scenario_status() {
	need_guests
	run_guest "$GUEST_ELF" no-such-scenario
	[ "$status" != 1 ] && [ $((status & 1)) = 1 ] || fail "unknown scenario gave status $status"
}

# -- bad kernels: one line naming the file and the reason, status 2 --

bad_kernel() { # FILE REGEX
	run_microvm run "$1"
	expect_status 2
	expect_one_error_line "$2"
}

test_bad_kernel_missing() { bad_kernel "$TMP/nonexistent" 'nonexistent: No such file'; }
test_bad_kernel_empty() { : >"$TMP/empty"; bad_kernel "$TMP/empty" 'empty: '; }
test_bad_kernel_magic() {
	head -c 8192 /dev/urandom >"$TMP/junk"
	bad_kernel "$TMP/junk" 'junk: .*not a bzImage'
}
test_bad_kernel_truncated_bzimage() {
	need_guests
	head -c 1000 "$GUEST_BZ" >"$TMP/trunc"
	bad_kernel "$TMP/trunc" 'trunc: '
}
# Cut inside the protected-mode code: syssize says more than the file holds.
test_bad_kernel_truncated_bzimage_code() {
	need_guests
	head -c $(($(stat -c %s "$GUEST_BZ") - 10)) "$GUEST_BZ" >"$TMP/short10"
	bad_kernel "$TMP/short10" 'short10: truncated bzImage: header says [0-9]+ bytes of kernel code, file has [0-9]+$'
	local sects
	sects=$(od -An -tu1 -j $((0x1f1)) -N1 "$GUEST_BZ")
	head -c 5000 "$GUEST_BZ" >"$TMP/t5000"
	bad_kernel "$TMP/t5000" "t5000: truncated bzImage: header says [0-9]+ bytes of kernel code, file has $((5000 - (sects + 1) * 512))\$"
}
test_bad_kernel_truncated_elf() {
	need_guests
	head -c 300 "$GUEST_ELF" >"$TMP/trunc.elf"
	bad_kernel "$TMP/trunc.elf" 'trunc.elf: '
}
test_bad_kernel_elf_without_pvh_note() {
	bad_kernel /bin/true 'true: .*(PVH|machine|ELF)'
}
# A file that cannot be read is named with the option that named it.
test_bad_initrd_missing() {
	need_guests
	run_microvm run --initrd "$TMP/none.img" "$GUEST_ELF"
	expect_status 2
	expect_one_error_line "^microvm: --initrd $TMP/none.img: No such file or directory\$"
}
test_bad_initrd_too_big_for_mem() {
	need_guests
	# A PVH ELF whose image fits in 32M but whose initrd does not.
	head -c $((64 << 20)) /dev/zero >"$TMP/big.img"
	run_microvm run --mem 32M --initrd "$TMP/big.img" "$GUEST_ELF"
	expect_status 2
	expect_one_error_line 'big.img: '
}
# The test guest's PVH ELF with its segment's memory size raised to 64 MiB.
test_bad_kernel_too_big_for_mem() {
	need_guests
	python3 - "$GUEST_ELF" "$TMP/big.elf" <<'EOF'
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
phoff, = struct.unpack_from("<Q", b, 0x20)
phentsize, phnum = struct.unpack_from("<HH", b, 0x36)
for i in range(phnum):
    o = phoff + i * phentsize
    if struct.unpack_from("<I", b, o)[0] == 1:  # PT_LOAD: p_memsz at +40
        struct.pack_into("<Q", b, o + 40, 64 << 20)
        break
open(sys.argv[2], "wb").write(b)
EOF
	run_guest "$GUEST_ELF" hello -- --mem 32M # unmodified, it fits
	expect_status 1
	run_microvm run --mem 32M "$TMP/big.elf"
	expect_status 2
	expect_one_error_line 'big.elf: segment 0 needs 64 MiB from 0x100000.*use --mem 128M'
}
# Debian's bzImage needs about 52 MiB from 16 MiB (init_size).
test_bad_kernel_linux_too_big_for_mem() {
	[ -f "$LINUX_DIR/vmlinuz" ] || skip "no $LINUX_DIR/vmlinuz (make linux-image)"
	run_microvm run --mem 32M "$LINUX_DIR/vmlinuz"
	expect_status 2
	expect_one_error_line 'vmlinuz: the kernel needs [0-9]+ MiB from 0x1000000, only 15 MiB of RAM there; use --mem 128M'
}
test_bad_kernel_directory() { bad_kernel "$TMP" 'not a regular file'; }

# -- bad options --

bad_option() { # REGEX ARGS...
	local re=$1
	shift
	run_microvm "$@"
	expect_status 2
	expect_one_error_line "$re"
}
test_bad_option_mem_junk() { bad_option '--mem abc' run --mem abc "$GUEST_ELF"; }
test_bad_option_mem_small() { bad_option '--mem 1M' run --mem 1M "$GUEST_ELF"; }
test_bad_option_mem_huge() { bad_option '--mem 99999999T' run --mem 99999999T "$GUEST_ELF"; }
test_bad_option_cpus_zero() { bad_option '--cpus 0' run --cpus 0 "$GUEST_ELF"; }
test_bad_option_cpus_300() { bad_option '--cpus 300: expected a number from 1 to 254' run --cpus 300 "$GUEST_ELF"; }
test_bad_option_unknown() { bad_option 'unknown option --frobnicate' run --frobnicate "$GUEST_ELF"; }
test_bad_option_no_kernel() { bad_option 'missing KERNEL' run; }
test_bad_option_empty_kernel() { bad_option 'KERNEL is an empty name' run ''; }
test_bad_option_empty_initrd() { bad_option '--initrd needs a file name' run --initrd '' "$GUEST_ELF"; }
test_bad_option_on_panic() { bad_option "unknown action 'explode'" run --on-panic dump,explode "$GUEST_ELF"; }
test_bad_command() { bad_option "unknown command 'frob'" frob; }

# /dev/kvm that is some other device (here /dev/null, bind-mounted over it in
# a private mount namespace): the message names that, not an API version.
test_kvm_not_a_kvm_device() {
	need_guests
	unshare -m true 2>/dev/null || skip "unshare -m not permitted here"
	unshare -m sh -c 'mount --bind /dev/null /dev/kvm && exec "$0" run --debug-exit --cmdline test=hello "$1"' \
		"$MICROVM" "$GUEST_ELF" </dev/null >"$TMP/out" 2>&1
	status=$?
	expect_status 2
	expect_one_error_line '^microvm: /dev/kvm: not a KVM device \(KVM_GET_API_VERSION: Inappropriate ioctl for device\)$'
}

test_bad_option_unknown_in_cluster() { bad_option 'unknown option -x;' run -vx "$GUEST_ELF"; }

test_help() {
	run_microvm run --help
	expect_status 0
	expect_output '--mem SIZE'
	expect_output '--on-panic'
	run_microvm --help
	expect_status 0
	expect_output 'inspect FILE'
}

# A PVH command line longer than Linux keeps (2047 bytes) boots with a
# warning (the test guest takes 4095); one that fits, without.
test_pvh_long_cmdline_warns() {
	need_guests
	local long
	long=$(printf 'x%.0s' $(seq 2100))
	scenario "$GUEST_ELF" hello "$long"
	expect_output 'testguest.elf: the command line is 2111 bytes; a Linux kernel booted through PVH keeps only the first 2047$'
	scenario "$GUEST_ELF" hello
	expect_no_output 'keeps only the first'
}
