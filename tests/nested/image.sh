#!/usr/bin/env bash
# Builds the nested-KVM VM's kernel and initramfs for tests/with-kvm
# (docs/testing.md):
#
#   tests/nested/image.sh DIR
#
#   DIR/kernel/vmlinuz, DIR/kernel/modules/*.ko, DIR/kernel/version
#       Debian's generic kernel (WITH_KVM_KERNEL_PKG, default
#       linux-image-amd64: it has 9p, which the cloud flavour lacks), fetched
#       with `apt-get download` and unpacked with `dpkg -x`, once; nothing is
#       installed. Only the modules the VM loads are kept, in dependency
#       order read from each module's .modinfo (no depmod or kmod needed).
#   DIR/initramfs.cpio.gz
#       busybox-static, tests/nested/init and those modules; rebuilt when one
#       of them changes.
#
# Everything appears under DIR only once complete (temporary name, rename),
# so an interrupted run leaves nothing half-written and the next one resumes.
set -eu
DIR=${1:?usage: tests/nested/image.sh DIR}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
PKG=${WITH_KVM_KERNEL_PKG:-linux-image-amd64}
BUSYBOX=${WITH_KVM_BUSYBOX:-/bin/busybox}
# What the VM needs (9p over virtio-pci, virtio-serial, KVM on the emulated
# AMD SVM); their dependencies are added below.
WANT="virtio_pci 9pnet_virtio 9p virtio_console kvm_amd"
KERNEL=$DIR/kernel
tmp=

die() {
	echo "with-kvm: $*" >&2
	exit 1
}

initramfs_fresh() {
	local f
	[ -f "$DIR/initramfs.cpio.gz" ] || return 1
	for f in "$HERE/init" "$HERE/image.sh" "$KERNEL/version" "$BUSYBOX"; do
		[ "$DIR/initramfs.cpio.gz" -nt "$f" ] || return 1
	done
}

# The metapackage depends on one versioned image package.
resolve() {
	apt-cache depends "$PKG" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1
}

fetch_kernel() {
	local deb_pkg deb sandbox= vmlinuz kver moddir ko name m
	for tool in apt-get apt-cache dpkg dpkg-deb objcopy; do
		command -v $tool >/dev/null || die "$tool not found (make deps installs what is missing)"
	done
	tmp=$(mktemp -d "$DIR/.kernel.XXXXXX")
	trap '[ -z "$tmp" ] || rm -rf "$tmp"' EXIT
	deb_pkg=$(resolve)
	if [ -z "$deb_pkg" ] && [ "$(id -u)" = 0 ]; then
		apt-get update -q >/dev/null 2>&1 || true
		deb_pkg=$(resolve)
	fi
	[ -n "$deb_pkg" ] || die "cannot resolve $PKG with apt-cache depends: run apt-get update (as root) and check the network"
	[ "$(id -u)" != 0 ] || sandbox="-o APT::Sandbox::User=root"
	echo "with-kvm: fetching $deb_pkg for the nested-KVM VM (once, into $DIR)" >&2
	(cd "$tmp" && apt-get download -q $sandbox "$deb_pkg" >"$tmp/apt.log" 2>&1) ||
		{ tail -n 5 "$tmp/apt.log" >&2; die "apt-get download $deb_pkg failed: check the network and apt sources"; }
	deb=$(ls "$tmp"/*.deb)
	dpkg -x "$deb" "$tmp/pkg"
	set -- "$tmp"/pkg/boot/vmlinuz-*
	[ $# = 1 ] && [ -s "$1" ] || die "$deb holds no single /boot/vmlinuz-*"
	vmlinuz=$1
	kver=${vmlinuz##*/vmlinuz-}
	moddir=$tmp/pkg/lib/modules/$kver/kernel

	# Index: module name (dashes read as underscores, as the kernel does) -> file.
	declare -A file_of seen
	while IFS= read -r ko; do
		name=${ko##*/}
		name=${name%.ko}
		file_of[${name//-/_}]=$ko
	done < <(find "$moddir" -name '*.ko')
	order=()
	# Depth first: a module comes after everything it depends on.
	visit() {
		local m=${1//-/_} d
		[ -z "${seen[$m]:-}" ] || return 0
		seen[$m]=1
		[ -n "${file_of[$m]:-}" ] || die "module $m is not in $deb_pkg"
		for d in $(objcopy -O binary -j .modinfo "${file_of[$m]}" /dev/stdout |
			tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' ' '); do
			visit "$d"
		done
		order+=("$m")
	}
	for m in $WANT; do visit "$m"; done

	mkdir -p "$tmp/kernel/modules"
	mv "$vmlinuz" "$tmp/kernel/vmlinuz"
	for m in "${order[@]}"; do cp "${file_of[$m]}" "$tmp/kernel/modules/$m.ko"; done
	printf '%s\n' "${order[@]}" >"$tmp/kernel/modules/order"
	echo "$deb_pkg $(dpkg-deb -f "$deb" Version); modules: ${order[*]}" >"$tmp/kernel/version"
	rm -rf "$KERNEL"
	mv "$tmp/kernel" "$KERNEL"
	rm -rf "$tmp"
	trap - EXIT
}

build_initramfs() {
	command -v cpio >/dev/null || die "cpio not found (make deps installs what is missing)"
	[ -x "$BUSYBOX" ] || die "$BUSYBOX missing: apt-get install busybox-static (make deps)"
	if readelf -lW "$BUSYBOX" 2>/dev/null | grep -q INTERP; then
		die "$BUSYBOX is dynamically linked: apt-get install busybox-static (make deps)"
	fi
	tmp=$(mktemp -d "$DIR/.initramfs.XXXXXX")
	trap '[ -z "$tmp" ] || rm -rf "$tmp"' EXIT
	mkdir -p "$tmp"/root/{bin,dev,proc,sys,newroot,job}
	cp "$BUSYBOX" "$tmp/root/bin/busybox"
	ln -s busybox "$tmp/root/bin/sh"
	cp "$HERE/init" "$tmp/root/init"
	chmod 0755 "$tmp/root/init"
	cp -r "$KERNEL/modules" "$tmp/root/modules"
	find "$tmp/root" -exec touch -h -d @0 {} +
	(cd "$tmp/root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet) |
		gzip -6n >"$tmp/initramfs.cpio.gz"
	mv "$tmp/initramfs.cpio.gz" "$DIR/initramfs.cpio.gz"
	rm -rf "$tmp"
	trap - EXIT
}

# Leftovers of an interrupted run (the caller holds a lock on DIR).
rm -rf "$DIR"/.kernel.* "$DIR"/.initramfs.*
[ -f "$KERNEL/version" ] || fetch_kernel
initramfs_fresh || build_initramfs
