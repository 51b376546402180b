#!/usr/bin/env bash
# Parts of the Debian Linux guest beyond /boot (guest-images/linux.mk,
# docs/linux-guests.md), for the kernel recorded in LINUX_DIR/version; every
# package is fetched with `apt-get download` and unpacked with `dpkg -x`
# under LINUX_DIR, never installed; each result appears only once complete.
#
#   linux-parts.sh modules LINUX_DIR MODULE...
#       LINUX_DIR/modules/MODULE.ko, from the kernel's own image package
#   linux-parts.sh headers LINUX_DIR
#       LINUX_DIR/headers: linux-headers-<release> with -common and
#       linux-kbuild, rewired to find each other there (kbuild: make -C
#       LINUX_DIR/headers/usr/src/linux-headers-<release> M=DIR modules)
#   linux-parts.sh dbg LINUX_DIR
#       LINUX_DIR/vmlinux-dbg: the kernel with its debug information, from
#       linux-image-<release>-dbg (about 280 MB to fetch, once), for crash
#       and gdb; only that one file is extracted
set -eu
what=${1:?usage: linux-parts.sh modules|headers|dbg LINUX_DIR [MODULE...]}
LINUX_DIR=$(cd "${2:?LINUX_DIR}" && pwd)
shift 2

die() {
	echo "linux-parts: $*" >&2
	exit 1
}

[ -f "$LINUX_DIR/version" ] || die "$LINUX_DIR/version missing (make linux-image)"
read -r image_pkg version <"$LINUX_DIR/version"
release=${image_pkg#linux-image-}
sandbox=
[ "$(id -u)" != 0 ] || sandbox="-o APT::Sandbox::User=root"
tmp=$(mktemp -d "$LINUX_DIR/.parts.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

download() { # PACKAGE=VERSION...
	(cd "$tmp" && apt-get download -q $sandbox "$@" >"$tmp/apt.log" 2>&1) || {
		tail -n 5 "$tmp/apt.log" >&2
		die "apt-get download $* failed (run apt-get update as root; check the network)"
	}
}

case $what in
modules)
	[ $# -gt 0 ] || die "which modules?"
	echo "linux-parts: modules $* from $image_pkg $version"
	download "$image_pkg=$version"
	dpkg -x "$tmp"/"$image_pkg"_*.deb "$tmp/pkg"
	mkdir -p "$tmp/modules"
	for m in "$@"; do
		f=$(find "$tmp/pkg/lib/modules" -name "$m.ko" | head -n 1)
		[ -n "$f" ] || die "$image_pkg has no module $m"
		cp "$f" "$tmp/modules/$m.ko"
	done
	mkdir -p "$LINUX_DIR/modules"
	for m in "$@"; do mv "$tmp/modules/$m.ko" "$LINUX_DIR/modules/$m.ko"; done
	;;
headers)
	hdr=linux-headers-$release
	# The flavour's headers depend on -common and linux-kbuild of the same build.
	deps=$(apt-cache depends "$hdr=$version" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-headers-[^ ]*-common\|linux-kbuild-[^ ]*\)$/\1/p')
	[ -n "$deps" ] || die "cannot resolve what $hdr $version depends on (apt-get update?)"
	echo "linux-parts: $hdr and $(echo $deps) $version"
	pkgs="$hdr=$version"
	for d in $deps; do pkgs="$pkgs $d=$version"; done
	download $pkgs
	for deb in "$tmp"/*.deb; do dpkg -x "$deb" "$tmp/root"; done
	src=$tmp/root/usr/src/$hdr
	[ -f "$src/Makefile" ] || die "$hdr has no Makefile"
	# The flavour's Makefile includes /usr/src/linux-headers-*-common/Makefile
	# and its scripts and tools link to ../../lib/linux-kbuild-*: point them here.
	sed -i "s|^include /usr/src/|include $LINUX_DIR/headers/usr/src/|" "$src/Makefile"
	rm -rf "$LINUX_DIR/headers"
	mv "$tmp/root" "$LINUX_DIR/headers"
	;;
dbg)
	pkg=$image_pkg-dbg
	[ "${image_pkg%-unsigned}" = "$image_pkg" ] || pkg=${image_pkg%-unsigned}-dbg
	echo "linux-parts: $pkg $version (about 280 MB, once)"
	download "$pkg=$version"
	member=./usr/lib/debug/boot/vmlinux-$release
	dpkg-deb --fsys-tarfile "$tmp"/*.deb | tar -x -C "$tmp" "$member" ||
		die "$pkg has no $member"
	rm -f "$tmp"/*.deb
	mv "$tmp/$member" "$LINUX_DIR/vmlinux-dbg"
	;;
*) die "unknown part $what" ;;
esac
