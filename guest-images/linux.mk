# SPDX-License-Identifier: MIT
#
# The Debian Linux guest (docs/boot.md), included by the top Makefile.
# Not part of `all`: the integration tests and `make linux-image` ask for it.
#
#   build/guest-images/linux/vmlinuz         Debian's cloud kernel, a bzImage
#   build/guest-images/linux/vmlinux         the ELF inside it (PVH boot)
#   build/guest-images/linux/initrd.cpio.gz  busybox-static /init: banner, then
#                                            poweroff (or a panic on request)
#   build/guest-images/linux/version, config the package and its kernel config
#   build/guest-images/linux/vmlinux-dbg     the same kernel with debug info (crash, gdb)
#
# The kernel package is downloaded (apt-get download), never installed. Every
# file appears only once complete (written to a temporary name, then renamed),
# and existing files are kept, so re-running costs nothing.
# LINUX_PKG selects another flavour, e.g. LINUX_PKG=linux-image-amd64.

LINUX_DIR := $(B)/guest-images/linux
LINUX_PKG ?= linux-image-cloud-amd64
LINUX_BUSYBOX ?= /bin/busybox

.PHONY: linux-image
linux-image: $(LINUX_DIR)/vmlinuz $(LINUX_DIR)/vmlinux $(LINUX_DIR)/initrd.cpio.gz \
	$(LINUX_DIR)/vmlinux-dbg

# The kernel with its debug information, for crash and gdb on the dumps
# (the -dbg package, about 280 MB, fetched once; only vmlinux is kept).
$(LINUX_DIR)/vmlinux-dbg: $(LINUX_DIR)/vmlinuz guest-images/linux-parts.sh
	guest-images/linux-parts.sh dbg $(LINUX_DIR)

# What the initrd loads for the dump path: pvpanic (ACPI QEMU0001, handled
# by pvpanic-mmio), fw_cfg (QEMU0002, which also writes QEMU's vmcoreinfo
# record) from the kernel's own package, and our driver for QEMUVMCI, built
# with kbuild against the kernel's headers (guest-images/linux-parts.sh).
# For the power button (docs/acpi.md): button (ACPI PNP0C0C: Notify 0x80
# becomes KEY_POWER) and evdev (/dev/input/event*, which acpid reads); the
# GED driver (ACPI0013) is built into every Debian kernel.
LINUX_GUEST_MODULES := pvpanic pvpanic-mmio qemu_fw_cfg button evdev
LINUX_MODULE_SRC := guest-images/vmcoreinfo-module
LINUX_MODULE_FILES := $(LINUX_GUEST_MODULES:%=$(LINUX_DIR)/modules/%.ko)

# One download for all of them, again whenever one is missing (a module
# added to the list).
$(LINUX_MODULE_FILES) &: $(LINUX_DIR)/vmlinuz guest-images/linux-parts.sh
	guest-images/linux-parts.sh modules $(LINUX_DIR) $(LINUX_GUEST_MODULES)
	@touch $(LINUX_MODULE_FILES)

$(LINUX_DIR)/headers/.stamp: $(LINUX_DIR)/vmlinuz guest-images/linux-parts.sh
	guest-images/linux-parts.sh headers $(LINUX_DIR)
	@touch $@

# Warning-free, or the build fails.
$(LINUX_DIR)/microvm_vmcoreinfo.ko: $(wildcard $(LINUX_MODULE_SRC)/*) $(LINUX_DIR)/headers/.stamp
	@set -eu; \
	rel=$$(sed -n 's/^linux-image-\([^ ]*\) .*/\1/p' $(LINUX_DIR)/version); \
	bld=$(abspath $(LINUX_DIR))/module-build; \
	rm -rf "$$bld"; mkdir -p "$$bld"; cp $(LINUX_MODULE_SRC)/*.c $(LINUX_MODULE_SRC)/Kbuild "$$bld"/; \
	$(MAKE) -s -C $(LINUX_DIR)/headers/usr/src/linux-headers-$$rel M="$$bld" modules >"$$bld/build.log" 2>&1 || \
		{ cat "$$bld/build.log"; echo "linux-image: the vmcoreinfo module did not build" >&2; exit 1; }; \
	if grep -i 'warning' "$$bld/build.log"; then echo "linux-image: the module build warned" >&2; exit 1; fi; \
	cp "$$bld/microvm_vmcoreinfo.ko" $@.tmp; mv $@.tmp $@; \
	echo "linux-image: $@ built against linux-headers-$$rel"

# The metapackage depends on exactly one versioned image package: resolve it,
# download that .deb and unpack only /boot from it (the modules are not needed).
$(LINUX_DIR)/vmlinuz:
	@mkdir -p $(LINUX_DIR)
	@set -eu; \
	resolve() { apt-cache depends $(LINUX_PKG) 2>/dev/null | \
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$$/\1/p' | head -n 1; }; \
	pkg=$$(resolve); \
	if [ -z "$$pkg" ] && [ "$$(id -u)" = 0 ]; then \
		echo "linux-image: no package lists for $(LINUX_PKG); running apt-get update"; \
		apt-get update -q >/dev/null; pkg=$$(resolve); fi; \
	[ -n "$$pkg" ] || { echo "linux-image: cannot resolve $(LINUX_PKG) with apt-cache depends" \
		"(run apt-get update as root)" >&2; exit 1; }; \
	tmp=$$(mktemp -d $(LINUX_DIR)/.download.XXXXXX); \
	trap 'rm -rf "$$tmp"' EXIT INT TERM; \
	sandbox=; [ "$$(id -u)" != 0 ] || sandbox="-o APT::Sandbox::User=root"; \
	echo "linux-image: downloading $$pkg"; \
	(cd "$$tmp" && apt-get download -q $$sandbox "$$pkg" >/dev/null); \
	deb=$$(ls "$$tmp"/*.deb); \
	dpkg-deb --fsys-tarfile "$$deb" | tar -x -C "$$tmp" --wildcards './boot/vmlinuz-*' './boot/config-*'; \
	set -- "$$tmp"/boot/vmlinuz-*; [ $$# = 1 ] && [ -s "$$1" ] || \
		{ echo "linux-image: $$deb holds no single /boot/vmlinuz-*" >&2; exit 1; }; \
	dpkg-deb -W --showformat='$${Package} $${Version}\n' "$$deb" >"$$tmp/version"; \
	mv "$$tmp"/boot/config-* $(LINUX_DIR)/config; \
	mv "$$tmp/version" $(LINUX_DIR)/version; \
	mv "$$1" $@; \
	echo "linux-image: $@ from $$(cat $(LINUX_DIR)/version)"

$(LINUX_DIR)/vmlinux: $(LINUX_DIR)/vmlinuz guest-images/extract-vmlinux.sh
	guest-images/extract-vmlinux.sh $< $@

# /init is a busybox shell script. Only statically linked busybox works in an
# initramfs without a libc, hence busybox-static.
define LINUX_INIT
#!/bin/sh
# microvm test initramfs (guest-images/linux.mk): print a banner, then act on
# microvm.action= from the kernel command line: poweroff (default), reboot
# (until the console says poweroff), panic (sysrq-trigger crash, for the dump
# path), wait (for the ACPI power button) or shell. Whatever the action, the
# ACPI power button (QMP system_powerdown) powers off.
export PATH=/bin
mkdir -p /proc /sys /dev
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
# Without a /dev/console node in the archive the kernel starts us with no stdio.
[ -t 1 ] || exec </dev/console >/dev/console 2>&1
echo "microvm initrd: Linux $$(uname -r) is up ($$(nproc) CPU, $$(sed -n 's/^MemTotal: *//p' /proc/meminfo))"
echo "microvm initrd: cmdline: $$(cat /proc/cmdline)"
echo "microvm initrd: time $$(date +%s) ($$(date -u))"
action=poweroff
for word in $$(cat /proc/cmdline); do
	case $$word in microvm.action=*) action=$${word#microvm.action=} ;; esac
done
# The dump path's drivers (guest-images/linux.mk): pvpanic, fw_cfg (which
# publishes the note for --vmcoreinfo=fwcfg) and ours (for --vmcoreinfo).
# The power button: button makes the GED's Notify (PWRB, 0x80) a KEY_POWER
# on an evdev node, which busybox acpid maps to /etc/acpi/PWRF/00000080.
for m in pvpanic pvpanic-mmio qemu_fw_cfg microvm_vmcoreinfo evdev button; do
	if insmod /lib/modules/$$m.ko 2>/dev/null; then echo "microvm initrd: loaded $$m"
	else echo "microvm initrd: $$m not loaded (see the kernel log)"; fi
done
mkdir -p /etc/acpi/PWRF
cat >/etc/acpi/PWRF/00000080 <<'HANDLER'
#!/bin/sh
echo "microvm initrd: power button pressed, powering off"
poweroff -f
HANDLER
chmod 0755 /etc/acpi/PWRF/00000080
acpid -d -c /etc/acpi &
acpid_pid=$$!
# Ready once it holds an input device open: a key press no reader has open is lost.
for i in $$(seq 50); do
	case "$$(ls -l /proc/$$acpid_pid/fd 2>/dev/null)" in
	*/dev/input/event*) echo "microvm initrd: acpid is listening for the power button"; break ;;
	esac
	sleep 0.1
done
[ -r /sys/kernel/vmcoreinfo ] && echo "microvm initrd: /sys/kernel/vmcoreinfo: $$(cat /sys/kernel/vmcoreinfo)"
echo "microvm initrd: action $$action"
case $$action in
panic)	echo 1 >/proc/sys/kernel/sysrq; echo c >/proc/sysrq-trigger ;;
reboot)	# Reboots until a console line "poweroff" arrives (a test sends it on
	# the second boot).
	echo "microvm initrd: a console line 'poweroff' within 5 s powers off, else reboot"
	if read -t 5 line && [ "$$line" = poweroff ]; then poweroff -f; fi
	reboot -f ;;
wait)	# Until the power button (QMP system_powerdown) ends the machine; console
	# lines meanwhile: ping (uptime and wall clock, for snapshot tests), panic.
	echo "microvm initrd: waiting up to 600 s for the power button (console: ping, panic)"
	while read -t 600 line; do
		case $$line in
		ping) echo "microvm initrd: pong uptime $$(cat /proc/uptime) time $$(date +%s)" ;;
		panic) echo 1 >/proc/sys/kernel/sysrq; echo c >/proc/sysrq-trigger ;;
		esac
	done
	sleep 600 ;;
shell)	setsid cttyhack sh; poweroff -f ;;
*)	poweroff -f ;;
esac
sleep 5
echo "microvm initrd: $$action did not stop the machine"
endef
export LINUX_INIT

LINUX_APPLETS := sh mkdir mount echo cat sed uname nproc sleep date insmod poweroff reboot setsid cttyhack \
	chmod ls seq acpid

$(LINUX_DIR)/initrd.cpio.gz: guest-images/linux.mk $(LINUX_MODULE_FILES) $(LINUX_DIR)/microvm_vmcoreinfo.ko
	@mkdir -p $(LINUX_DIR)
	@set -eu; \
	bb=$(LINUX_BUSYBOX); \
	[ -x "$$bb" ] || { echo "linux-image: $$bb missing (apt-get install busybox-static)" >&2; exit 1; }; \
	if readelf -lW "$$bb" | grep -q INTERP; then \
		echo "linux-image: $$bb is dynamically linked; install busybox-static" >&2; exit 1; fi; \
	tmp=$$(mktemp -d $(LINUX_DIR)/.initrd.XXXXXX); \
	trap 'rm -rf "$$tmp"' EXIT INT TERM; \
	mkdir -p "$$tmp/root/bin" "$$tmp/root/proc" "$$tmp/root/sys" "$$tmp/root/dev" "$$tmp/root/lib/modules"; \
	cp $(LINUX_DIR)/modules/*.ko $(LINUX_DIR)/microvm_vmcoreinfo.ko "$$tmp/root/lib/modules/"; \
	cp "$$bb" "$$tmp/root/bin/busybox"; \
	for a in $(LINUX_APPLETS); do ln -s busybox "$$tmp/root/bin/$$a"; done; \
	[ "$$(id -u)" != 0 ] || mknod -m 600 "$$tmp/root/dev/console" c 5 1; \
	printf '%s\n' "$$LINUX_INIT" >"$$tmp/root/init"; \
	chmod 0755 "$$tmp/root/init"; \
	find "$$tmp/root" -exec touch -h -d @0 {} +; \
	(cd "$$tmp/root" && find . | LC_ALL=C sort | \
		cpio -o -H newc -R 0:0 --reproducible --quiet) | gzip -9n >"$$tmp/initrd.cpio.gz"; \
	mv "$$tmp/initrd.cpio.gz" $@; \
	echo "linux-image: $@ ($$(stat -c %s $@) bytes)"
