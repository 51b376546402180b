#!/bin/sh
# SPDX-License-Identifier: MIT
#
# extract-vmlinux.sh BZIMAGE OUT
#
# Write the uncompressed kernel ELF inside a Linux bzImage to OUT and check it
# is a PVH kernel (an ELF note "Xen" of type 18, XEN_ELFNOTE_PHYS32_ENTRY).
#
# The setup header says where the compressed payload is (boot protocol 2.08+,
# Documentation/arch/x86/boot.rst): payload_offset (0x248) counts from the
# start of the protected-mode code, which begins ((setup_sects or 4) + 1) *
# 512 bytes into the file; payload_length (0x24c) is its size. Every format
# but gzip carries the uncompressed size as a trailing 32-bit little-endian
# number (scripts/Makefile.lib, size_append), which must be cut off before
# decompressing and is then checked against the output.
#
# OUT appears only when everything succeeded.
set -eu

die() {
	echo "extract-vmlinux: $*" >&2
	exit 1
}

[ $# -eq 2 ] || die "usage: extract-vmlinux.sh BZIMAGE OUT"
in=$1
out=$2
[ -r "$in" ] || die "$in: cannot read"

# u8/u16/u32 at a byte offset, little-endian, as decimal.
le() { od -An -t u"$2" -j "$1" -N "$2" --endian=little "$in" | tr -d ' \n'; }

size=$(stat -c %s "$in")
[ "$size" -ge 1024 ] || die "$in: truncated ($size bytes)"
[ "$(dd if="$in" bs=1 skip=514 count=4 2>/dev/null)" = HdrS ] || die "$in: not a bzImage (no HdrS)"
version=$(le 518 2)
[ "$version" -ge $((0x208)) ] ||
	die "$in: boot protocol $(printf '%x' "$version") has no payload_offset (2.08+ needed)"
sects=$(le 497 1)
[ "$sects" -ne 0 ] || sects=4
pm=$(((sects + 1) * 512))
poff=$((pm + $(le 584 4)))
plen=$(le 588 4)
[ "$plen" -gt 4 ] && [ $((poff + plen)) -le "$size" ] ||
	die "$in: payload at $poff+$plen lies outside the ${size}-byte file"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/extract-vmlinux.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
tail -c +$((poff + 1)) "$in" | head -c "$plen" >"$tmp/payload"

magic=$(od -An -t x1 -N 6 "$tmp/payload" | tr -d ' \n')
case $magic in
1f8b*)		fmt=gzip tool="gzip -dc" sized=0 ;;
fd377a585a00)	fmt=xz tool="xz -dc" sized=1 ;;
28b52ffd*)	fmt=zstd tool="zstd -dcq" sized=1 ;;
02214c18*)	fmt=lz4 tool="lz4 -dcq" sized=1 ;;
425a68*)	fmt=bzip2 tool="bzip2 -dc" sized=1 ;;
5d0000*)	fmt=lzma tool="xz --format=lzma -dc" sized=1 ;;
894c5a4f*)	fmt=lzo tool="lzop -dc" sized=1 ;;
*)		die "$in: unknown payload compression (magic $magic)" ;;
esac
command -v "${tool%% *}" >/dev/null ||
	die "$in: the payload is $fmt-compressed; install ${tool%% *} (Debian: see DEB_PKGS)"

if [ $sized = 1 ]; then
	want=$(od -An -t u4 -j $((plen - 4)) -N 4 --endian=little "$tmp/payload" | tr -d ' \n')
	head -c $((plen - 4)) "$tmp/payload" >"$tmp/stream"
else
	want=
	mv "$tmp/payload" "$tmp/stream"
fi
$tool <"$tmp/stream" >"$tmp/vmlinux" || die "$in: $fmt decompression failed"
got=$(stat -c %s "$tmp/vmlinux")
[ -z "$want" ] || [ "$got" -eq "$want" ] ||
	die "$in: decompressed $got bytes, the image says $want"

[ "$(od -An -t x1 -N 4 "$tmp/vmlinux" | tr -d ' \n')" = 7f454c46 ] ||
	die "$in: the $fmt payload is not an ELF file"
# readelf names the note XEN_ELFNOTE_PHYS32_ENTRY in newer binutils, 0x12 in older ones.
readelf -nW "$tmp/vmlinux" | grep -Eq '^[[:space:]]*Xen[[:space:]].*(PHYS32_ENTRY|0x00000012)' ||
	die "$in: the kernel has no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY); it needs CONFIG_PVH=y"

mv "$tmp/vmlinux" "$out.part"
mv "$out.part" "$out"
echo "extract-vmlinux: $out: $got bytes from a $fmt payload, PVH entry note present"
