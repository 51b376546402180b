#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Seed corpora of the fw_cfg, loader_exec and vmcoreinfo fuzz targets.

    tests/fuzz/gen_fa_seeds.py [fw_cfg|loader_exec|vmcoreinfo ...]

Writes tests/fuzz/corpus/NAME/ afresh (files named after what they do) in
each target's input encoding (see the comment at the top of each
tests/fuzz/fuzz_NAME.c). The loader seeds start from the real script: this
runs `build/microvm tables --vmcoreinfo DIR` (make all first) and mutates
what it writes.
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GiB = 1 << 30


def out_dir(name):
    d = os.path.join(ROOT, "tests", "fuzz", "corpus", name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def write(d, label, data):
    with open(os.path.join(d, label), "wb") as f:
        f.write(bytes(data))


# ---- shared encodings (tests/fuzz/fuzz_fa_util.h) ----

def addr_raw(a):
    """fa_pick_addr: 0xff then a raw u64."""
    return b"\xff" + struct.pack("<Q", a & (2**64 - 1))


def addr_edge(sel, delta=0, big=False):
    """fa_pick_addr: base number sel plus delta (times 64 when big)."""
    return bytes([sel, delta & 0xff, 0 if big else 1])


# ---- fw_cfg (tests/fuzz/fuzz_fw_cfg.c) ----

# Files in key order (name order) as the target registers them.
FW_FILES = [("a", 3, True), ("etc/acpi/rsdp", 36, False), ("etc/big", 5000, False),
            ("etc/empty", 0, False), ("etc/vmcoreinfo-addr", 8, True), ("etc/w16", 16, True),
            ("etc/wempty", 0, True), ("zz/last", 1, False)]
FW_KEYS = [0x00, 0x01, 0x02, 0x03, 0x19, 0x1f, 0x4020, 0x4019,
           0x8002, 0x8000, 0x801f, 0x8020, 0xc002, 0xffff, 0x3fff, 0x7fff]
READ, SKIP, SELECT, WRITE, ERROR = 0x02, 0x04, 0x08, 0x10, 0x01
# Region numbers for addr_edge: 2*r = start of region r, 2*r+1 its end; then 0, 3 GiB, 4 GiB, 2^64.
R_LOW, R_3G, R_4G, R_TOP = 0, 1, 2, 3
E_ZERO, E_3G, E_4G, E_2_64 = 8, 9, 10, 11


def fw_key(k):
    if 0x20 <= k < 0x20 + len(FW_FILES) + 1:
        return bytes([k - 0x20])
    if k in FW_KEYS:
        return bytes([0x80 + FW_KEYS.index(k)])
    return b"\xc0" + struct.pack("<H", k)


def fw_len(n):
    if n < 0x48:
        return bytes([n])
    return b"\xff" + struct.pack("<I", n)


def fw_desc(bits, key, length, addr):
    """place_desc: control bits (0..0x1f), key, length, buffer address (bytes from addr_*)."""
    return bytes([bits & 0x1f]) + fw_key(key) + fw_len(length) + addr


def fw_dma(desc_at, bits, key, length, addr, mode=0):
    """Op 4: one descriptor at desc_at (address bytes), started by encoding mode."""
    return b"\x04" + desc_at + fw_desc(bits, key, length, addr) + bytes([mode])


def fw_chain(desc_at, descs):
    """Op 5: up to 4 descriptors one after another; descs = [(bits, key, len, addr, mode)]."""
    out = b"\x05" + desc_at + bytes([len(descs) - 1])
    for bits, key, length, addr, mode in descs:
        out += fw_desc(bits, key, length, addr) + bytes([mode])
    return out


def fw_select(key):
    return b"\x00" + fw_key(key)


def fw_reads(n):
    return b"\x01" + bytes([n - 1])


def fw_port_read(off, len_code):
    return b"\x02" + bytes([off, len_code])


def fw_port_write(off, len_code, val):
    return b"\x03" + bytes([off, len_code]) + struct.pack("<Q", val)


def fw_poke(addr, data):
    return b"\x06" + addr + bytes([len(data)]) + bytes(data)


def gen_fw_cfg():
    d = out_dir("fw_cfg")
    desc = addr_raw(0x100)
    buf = addr_raw(0x1000)
    # The signature and ID through the data port, then the DMA signature.
    write(d, "sig-data-port", fw_select(0) + fw_reads(4) + fw_select(1) + fw_reads(4))
    write(d, "dma-signature", b"".join(fw_port_read(4 + i, c) for i, c in
                                        [(0, 0), (1, 1), (2, 2), (0, 3), (3, 3), (4, 2), (7, 0)]))
    write(d, "directory-dma", fw_dma(desc, SELECT | READ, 0x19, 4, buf) +
          fw_dma(desc, READ, 0x19, 64 * len(FW_FILES), addr_raw(0x1004)))
    for i, (name, size, writable) in enumerate(FW_FILES):
        tag = name.replace("/", "_")
        key = 0x20 + i
        write(d, "read-%s" % tag, fw_dma(desc, SELECT | READ, key, size, buf))
        write(d, "read-past-end-%s" % tag, fw_dma(desc, SELECT | READ, key, size + 20, buf))
        write(d, "skip-read-%s" % tag, fw_chain(desc, [(SELECT | SKIP, key, size // 2, buf, 0),
                                                      (READ, key, size, buf, 1)]))
        write(d, "data-port-%s" % tag, fw_select(key) + fw_reads(min(size + 2, 64)))
        if writable:
            write(d, "write-%s" % tag, fw_dma(desc, SELECT | WRITE, key, size, buf) +
                  fw_dma(desc, SELECT | READ, key, size, addr_raw(0x2000)))
            write(d, "write-at-offset-%s" % tag,
                  fw_chain(desc, [(SELECT | SKIP, key, 1, buf, 0), (WRITE, key, max(size - 1, 0), buf, 2)]))
            write(d, "write-too-long-%s" % tag, fw_dma(desc, SELECT | WRITE, key, size + 1, buf))
        else:
            write(d, "write-readonly-%s" % tag, fw_dma(desc, SELECT | WRITE, key, max(size, 1), buf))
    # Encodings of the address register: low only, 8 bytes, wrong byte order, high latched.
    for mode in range(6):
        write(d, "kick-mode-%d" % mode, fw_dma(desc, SELECT | READ, 0x21, 36, buf, mode))
    write(d, "latched-high-then-low", fw_dma(addr_raw(4 * GiB + 0x20), SELECT | READ, 0x21, 36,
                                             addr_raw(4 * GiB + 0x100), 4) +
          fw_port_write(8, 2, 0x20000000))
    # Descriptors and buffers at the RAM edges: below 3 GiB, at 4 GiB, near 2^64.
    for r in (R_LOW, R_3G, R_4G, R_TOP):
        write(d, "desc-at-end-of-region-%d" % r,
              fw_dma(addr_edge(2 * r + 1, -16), SELECT | READ, 0x22, 64, addr_edge(2 * r + 1, -64)))
        write(d, "desc-across-end-of-region-%d" % r,
              fw_dma(addr_edge(2 * r + 1, -8), SELECT | READ, 0x22, 64, addr_edge(2 * r, 0)))
        write(d, "desc-only-control-in-region-%d" % r,
              fw_dma(addr_edge(2 * r + 1, -4), SELECT | READ, 0x22, 4, addr_edge(2 * r, 0)))
        write(d, "buffer-across-end-of-region-%d" % r,
              fw_dma(addr_edge(2 * r, 0), SELECT | READ, 0x22, 64, addr_edge(2 * r + 1, -32)))
        write(d, "buffer-before-region-%d" % r,
              fw_dma(addr_edge(2 * r, 0), SELECT | READ, 0x22, 16, addr_edge(2 * r, -8)))
        write(d, "write-from-end-of-region-%d" % r,
              fw_dma(addr_edge(2 * r, 0), SELECT | WRITE, 0x25, 16, addr_edge(2 * r + 1, -16)))
    write(d, "buffer-wraps-2^64", fw_dma(desc, SELECT | READ, 0x22, 0x2000, addr_raw(2**64 - 0x1000)))
    write(d, "buffer-at-2^64-minus-1", fw_dma(desc, SELECT | READ, 0x27, 1, addr_raw(2**64 - 1)))
    write(d, "desc-at-2^64-minus-16", fw_dma(addr_raw(2**64 - 16), SELECT | READ, 0x22, 4, buf))
    write(d, "buffer-in-3g-hole", fw_dma(desc, SELECT | READ, 0x22, 16, addr_raw(3 * GiB + 0x10)))
    write(d, "buffer-straddles-4g", fw_dma(desc, SELECT | READ, 0x22, 32, addr_raw(4 * GiB - 16)))
    write(d, "huge-length", fw_dma(desc, SELECT | READ, 0x22, 0xffffffff, buf))
    # Priorities and flag bits.
    write(d, "read-and-write", fw_dma(desc, SELECT | READ | WRITE, 0x25, 16, buf))
    write(d, "write-and-skip", fw_dma(desc, SELECT | WRITE | SKIP, 0x25, 16, buf))
    write(d, "error-bit-only", fw_dma(desc, ERROR, 0x25, 16, buf))
    write(d, "select-only", fw_dma(desc, SELECT, 0x22, 16, buf) + fw_reads(8))
    write(d, "no-select-read", fw_select(0x22) + fw_reads(3) + fw_dma(desc, READ, 0, 16, buf))
    write(d, "arch-and-flags", fw_dma(desc, SELECT | READ, 0x8002, 4, buf) +
          fw_dma(desc, SELECT | READ, 0x4020, 3, buf) + fw_dma(desc, SELECT | READ, 0xc002, 4, buf) +
          fw_dma(desc, SELECT | READ, 0xffff, 4, buf))
    write(d, "ram-size-item", fw_select(3) + fw_reads(8) + fw_dma(desc, SELECT | READ, 3, 16, buf))
    write(d, "desc-is-buffer", fw_dma(desc, SELECT | READ, 0x22, 16, desc))
    write(d, "write-from-desc", fw_dma(desc, SELECT | WRITE, 0x25, 16, desc))
    write(d, "reset-mid-file", fw_select(0x22) + fw_reads(10) + b"\x07" + fw_reads(4))
    write(d, "poke-then-write", fw_poke(buf, b"0123456789abcdef") + fw_dma(desc, SELECT | WRITE, 0x25, 16, buf) +
          fw_dma(desc, SELECT | READ, 0x25, 16, addr_raw(0x2000)))
    write(d, "selector-odd-widths", fw_port_write(0, 2, 0x22) + fw_port_write(0, 0, 5) + fw_port_write(1, 0, 7) +
          fw_port_write(0, 2, 0x23) + fw_reads(4) + fw_port_read(0, 1) + fw_port_read(1, 2))


# ---- loader_exec (tests/fuzz/fuzz_loader_exec.c) ----

def real_loader_script():
    """etc/table-loader of the default machine with --vmcoreinfo, as build/microvm writes it."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([os.path.join(ROOT, "build", "microvm"), "tables", "--vmcoreinfo", tmp],
                       check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(tmp, "table-loader.bin"), "rb") as f:
            return f.read()


def name_field(name):
    return name.encode().ljust(56, b"\0")[:56]


def ld_entry(cmd, body):
    return (struct.pack("<I", cmd) + body).ljust(128, b"\0")


def ld_alloc(name, align, zone):
    return ld_entry(1, name_field(name) + struct.pack("<IB", align, zone))


def ld_ptr(dst, src, off, size):
    return ld_entry(2, name_field(dst) + name_field(src) + struct.pack("<IB", off, size))


def ld_cksum(name, off, start, length):
    return ld_entry(3, name_field(name) + struct.pack("<III", off, start, length))


def ld_wptr(dst, src, dst_off, src_off, size):
    return ld_entry(4, name_field(dst) + name_field(src) + struct.pack("<IIB", dst_off, src_off, size))


def ld_input(lay, entries, n=None, patch_off=0, patch=b""):
    blob = b"".join(entries)
    if n is None:
        n = len(blob) // 128
    return bytes([lay, n]) + blob + struct.pack("<H", patch_off) + patch


def gen_loader_exec():
    d = out_dir("loader_exec")
    real = real_loader_script()
    cmds = [real[i:i + 128] for i in range(0, len(real), 128)]
    for lay in range(4):
        write(d, "real-layout-%d" % lay, ld_input(lay, cmds))
        write(d, "real-layout-%d-misaligned" % lay, ld_input(lay | (5 << 2), cmds))
    for k in range(1, len(cmds)):
        write(d, "real-first-%d" % k, ld_input(0, cmds[:k]))
    # One field of one real command broken (the executor must stop there, touching nothing).
    def broken(label, k, off, data):
        c = bytearray(cmds[k])
        c[off:off + len(data)] = data
        write(d, "real-broken-%s" % label, ld_input(0, cmds[:k] + [bytes(c)] + cmds[k + 1:]))
    kinds = [struct.unpack_from("<I", c)[0] for c in cmds]
    first = {kind: kinds.index(kind) for kind in set(kinds)}
    broken("alloc-align-3", first[1], 60, struct.pack("<I", 3))
    broken("alloc-align-huge", first[1], 60, struct.pack("<I", 1 << 31))
    broken("alloc-zone-0", first[1], 64, b"\0")
    broken("alloc-zone-3", first[1], 64, b"\3")
    broken("alloc-name-unterminated", first[1], 4, b"x" * 56)
    broken("alloc-no-file", first[1], 4, name_field("etc/none"))
    broken("ptr-size-3", first[2], 120, b"\3")
    broken("ptr-size-1", first[2], 120, b"\1")
    broken("ptr-offset-past-end", first[2], 116, struct.pack("<I", 0xfffffffc))
    broken("ptr-src-unallocated", first[2], 60, name_field("etc/e820"))
    broken("cksum-offset-past-end", first[3], 60, struct.pack("<I", 0x100000))
    broken("cksum-length-wraps", first[3], 68, struct.pack("<I", 0xffffffff))
    broken("wptr-into-readonly", first[4], 4, name_field("etc/acpi/rsdp"))
    broken("wptr-src-offset-past-end", first[4], 120, struct.pack("<I", 4096))
    broken("wptr-size-4", first[4], 124, b"\4")
    broken("wptr-size-1", first[4], 124, b"\1")
    broken("unknown-command", first[3], 0, struct.pack("<I", 7))
    broken("command-0", first[2], 0, struct.pack("<I", 0))
    # Hand-made scripts over the same files.
    write(d, "alloc-twice", ld_input(0, [ld_alloc("etc/e820", 8, 1), ld_alloc("etc/e820", 8, 1)]))
    write(d, "alloc-empty", ld_input(0, [ld_alloc("etc/empty", 1, 1)]))
    write(d, "alloc-loader-itself", ld_input(0, [ld_alloc("etc/table-loader", 4096, 2)]))
    write(d, "alloc-unloadable", ld_input(0, [ld_alloc("etc/e820", 8, 1), ld_alloc("etc/unloadable", 16, 1)]))
    write(d, "alloc-33", ld_input(0, [ld_alloc("etc/s/%d" % i, 1, 1) for i in range(32)] +
                                  [ld_alloc("etc/e820", 1, 2)]))
    write(d, "alloc-32-then-patch", ld_input(0, [ld_alloc("etc/s/%d" % i, 1 << (i % 4), 1 + i % 2) for i in range(32)] +
                                             [ld_ptr("etc/s/7", "etc/s/31", 0, 8), ld_cksum("etc/s/30", 6, 0, 7),
                                              ld_wptr("etc/s/4", "etc/s/9", 0, 1, 4)]))
    write(d, "alloc-fills-fseg", ld_input(1, [ld_alloc("etc/acpi/rsdp", 16, 2), ld_alloc("etc/e820", 1, 2)]))
    write(d, "alloc-many", ld_input(0, [ld_alloc(n, 1 << i, 1 + i % 2) for i, n in
                                        enumerate(["etc/e820", "etc/acpi/rsdp", "etc/vmcoreinfo",
                                                   "etc/acpi/tables", "etc/table-loader"])]))
    for lay in range(4):
        write(d, "ptr-sizes-layout-%d" % lay, ld_input(lay, [
            ld_alloc("etc/e820", 8, 1), ld_alloc("etc/acpi/rsdp", 16, 2),
            ld_ptr("etc/e820", "etc/acpi/rsdp", 0, 8), ld_ptr("etc/e820", "etc/acpi/rsdp", 8, 4),
            ld_ptr("etc/e820", "etc/e820", 32, 8), ld_cksum("etc/e820", 39, 0, 40),
            ld_wptr("etc/vmcoreinfo-addr", "etc/e820", 0, 39, 8),
            ld_wptr("etc/vmcoreinfo-addr", "etc/acpi/rsdp", 4, 0, 4),
            ld_ptr("etc/e820", "etc/acpi/rsdp", 12, 2), ld_ptr("etc/e820", "etc/acpi/rsdp", 14, 1)]))
    write(d, "cksum-whole-file", ld_input(0, [ld_alloc("etc/acpi/rsdp", 16, 2), ld_cksum("etc/acpi/rsdp", 8, 0, 20),
                                              ld_cksum("etc/acpi/rsdp", 32, 0, 36)]))
    write(d, "wptr-at-end", ld_input(0, [ld_alloc("etc/e820", 8, 1), ld_wptr("etc/vmcoreinfo-addr", "etc/e820", 7, 0, 1),
                                         ld_wptr("etc/vmcoreinfo-addr", "etc/e820", 7, 0, 2)]))
    # Offsets counted back from the end of the file (last byte of the entry, bit 7).
    def rel(entry):
        return entry[:127] + b"\x80"
    allocs = [ld_alloc("etc/acpi/tables", 64, 1), ld_alloc("etc/acpi/rsdp", 16, 2), ld_alloc("etc/e820", 8, 1)]
    for size in (1, 2, 4, 8):
        for lay in (0, 3):
            write(d, "rel-ptr-last-%d-bytes-layout-%d" % (size, lay),
                  ld_input(lay, allocs + [rel(ld_ptr("etc/e820", "etc/acpi/rsdp", size, size)),
                                          rel(ld_ptr("etc/acpi/tables", "etc/e820", size, size))]))
        write(d, "rel-wptr-last-%d-bytes" % size,
              ld_input(0, allocs + [rel(ld_wptr("etc/vmcoreinfo-addr", "etc/acpi/rsdp", size, 1, size))]))
    write(d, "rel-cksum-last-byte", ld_input(0, allocs + [rel(ld_cksum("etc/acpi/rsdp", 1, 36, 36)),
                                                         rel(ld_cksum("etc/e820", 1, 1, 1))]))
    write(d, "truncated-blob", ld_input(0, cmds[:3])[:2 + 3 * 128 - 5])
    write(d, "empty-script", ld_input(0, []))
    # The table blob itself mutated: pointer fields that overflow when patched.
    write(d, "tables-patched-ff", ld_input(0, cmds, patch_off=36, patch=b"\xff" * 64))
    write(d, "tables-patched-high-layout-3", ld_input(3, cmds, patch_off=0, patch=bytes(range(1, 200))))

# ---- vmcoreinfo (tests/fuzz/fuzz_vmcoreinfo.c) ----

VC_SIZES = [12, 16, 23, 24, 25, 28, 4132, 1 << 20, (1 << 20) + 1, 11, 0, 0x4000, 0x3ff0,
            0xffffffff, 0x80000000, 0xfffffff4]
RSZ = 0x4000
VC_REGIONS = [0, 3 * GiB - RSZ, 4 * GiB, 2**64 - RSZ - 1]


def vc_size(n):
    if n in VC_SIZES:
        return bytes([VC_SIZES.index(n)])
    return b"\xc0" + struct.pack("<I", n)


def vc_write(off, data, flags=0):
    return bytes([0, flags, off, len(data)]) + bytes(data)


def vc_publish_acpi(addr):
    return b"\x01" + addr_raw(addr)


def vc_publish_fwcfg(paddr, size, fmt=1, host_zero=False):
    f = (0x80 if host_zero else 0) | (0x40 if fmt not in (0, 1) else 0) | (1 if fmt == 1 else 0)
    out = b"\x01" + bytes([f])
    if f & 0x40:
        out += struct.pack("<H", fmt)
    return out + vc_size(size) + addr_raw(paddr)


def vc_header(paddr, size, version=0, at=None):
    """Op 3: at None = the published address (which must be set)."""
    sel = (0 if at is not None else 1) | (0x80 if version else 0)
    out = b"\x03" + bytes([sel])
    if at is not None:
        out += addr_raw(at)
    if version:
        out += struct.pack("<I", version)
    return out + addr_raw(paddr) + vc_size(size)


def vc_note(text=b"OSRELEASE=6.1.0\nPAGESIZE=4096\n", at=None, namesz=11, descsz=None, ntype=0,
            name_xor=None):
    """Op 4: at None = where the header or record points."""
    out = b"\x04" + bytes([0 if at is None else 1])
    if at is not None:
        out += addr_raw(at)
    names = [11, 11, 11, 0, 10, 12, 0xffffffff, 0xfffffffd]
    out += bytes([names.index(namesz)]) if namesz in names else b"\x80" + struct.pack("<I", namesz)
    text = bytes(text[:39])
    out += bytes([len(text)])
    if descsz is None:
        out += b"\x00"
    elif len(text) <= descsz < len(text) + 8:
        out += bytes([0x80 + descsz - len(text)])
    else:
        out += b"\xc0" + struct.pack("<I", descsz)
    out += b"\x80" + struct.pack("<I", ntype) if ntype else b"\x00"
    out += b"\x80" + bytes(name_xor) if name_xor else b"\x00"
    return out + text


def vc_check_buffer(data, plausible=False):
    if plausible:
        return b"\x07" + bytes([len(data), 1]) + bytes(data)
    return b"\x07" + bytes([len(data)]) + bytes(data)


def gen_vmcoreinfo():
    d = out_dir("vmcoreinfo")
    READ_, RESET = b"\x06", b"\x02"
    text = b"OSRELEASE=6.1.0\nPAGESIZE=4096\n"
    for r, base in enumerate(VC_REGIONS):
        page = base + 0x1000 if r == 0 else base
        note = base + 0x3000 if r != 0 else 0x9000
        write(d, "acpi-valid-region-%d" % r,
              b"\x00" + vc_publish_acpi(page + 40) + vc_header(note, 4132 if r == 0 else 0x400) + vc_note(text) + READ_)
        write(d, "fwcfg-valid-region-%d" % r,
              b"\x01" + vc_publish_fwcfg(note, 24 + 32) + vc_note(text, at=note) + READ_)
        end = base + RSZ if r else 0x10000
        write(d, "acpi-note-across-end-%d" % r,
              b"\x00" + vc_publish_acpi(0x1028) + vc_header(end - 20, 4132) + vc_note(text, at=end - 20) + READ_)
        write(d, "fwcfg-note-across-end-%d" % r,
              b"\x01" + vc_publish_fwcfg(end - 24, 60) + vc_note(text, at=end - 24) + READ_)
        write(d, "acpi-header-across-end-%d" % r, b"\x00" + vc_publish_acpi(end - 8) + READ_)
        write(d, "fwcfg-exact-end-%d" % r,
              b"\x01" + vc_publish_fwcfg(end - 24, 24) + vc_note(b"", at=end - 24) + READ_)
    for proto in (0, 1):
        p = b"\x00" if proto == 0 else b"\x01"
        def pub(paddr, size):
            if proto == 0:
                return vc_publish_acpi(0x1028) + vc_header(paddr, size)
            return vc_publish_fwcfg(paddr, size)
        tag = "acpi" if proto == 0 else "fwcfg"
        write(d, "%s-note-near-2^64" % tag, p + pub(2**64 - 8, 16) + READ_)
        write(d, "%s-note-wraps" % tag, p + pub(2**64 - 0x10, 0x100) + READ_)
        write(d, "%s-size-max" % tag, p + pub(0x8000, 1 << 20) + vc_note(text, at=0x8000) + READ_)
        write(d, "%s-size-too-big" % tag, p + pub(0x8000, (1 << 20) + 1) + vc_note(text, at=0x8000) + READ_)
        write(d, "%s-size-11" % tag, p + pub(0x8000, 11) + READ_)
        write(d, "%s-namesz-huge" % tag, p + pub(0x8000, 0x1000) + vc_note(text, at=0x8000, namesz=0xffffffff) + READ_)
        write(d, "%s-descsz-huge" % tag, p + pub(0x8000, 0x1000) + vc_note(text, at=0x8000, descsz=0xfffffff0) + READ_)
        write(d, "%s-descsz-just-over" % tag, p + pub(0x8000, 24 + 32) + vc_note(text, at=0x8000, descsz=33) + READ_)
        write(d, "%s-wrong-name" % tag, p + pub(0x8000, 0x100) + vc_note(text, at=0x8000, name_xor=b"\x03\x20") + READ_)
        write(d, "%s-namesz-10" % tag, p + pub(0x8000, 0x100) + vc_note(text, at=0x8000, namesz=10) + READ_)
        write(d, "%s-type-1" % tag, p + pub(0x8000, 0x100) + vc_note(text, at=0x8000, ntype=1) + READ_)
        write(d, "%s-published-then-reset" % tag, p + pub(0x8000, 0x100) + vc_note(text, at=0x8000) + READ_ + RESET + READ_)
        write(d, "%s-nothing-published" % tag, p + READ_)
        write(d, "%s-write-too-long" % tag, p + vc_write(0, bytes(range(17))) + vc_write(8, bytes(range(9))) + READ_)
        write(d, "%s-write-at-end" % tag, p + vc_write(16 if proto else 8, b"\x01") + vc_write(7 if proto == 0 else 15, b"\x01\x02"))
        write(d, "%s-write-channel-flag" % tag, p + vc_write(0, bytes(16 if proto else 8), flags=1) + READ_)
        write(d, "%s-zero-length-write" % tag, p + vc_write(3, b"") + READ_)
    # The ACPI protocol: the address is the file, whatever wrote it.
    write(d, "acpi-partial-high-half", b"\x00" + vc_write(4, b"\x01\x00\x00\x00") + READ_)
    write(d, "acpi-partial-low-half", b"\x00" + vc_publish_acpi(0x1028) + vc_write(0, b"\x28\x20") + READ_)
    write(d, "acpi-version-1", b"\x00" + vc_publish_acpi(0x1028) + vc_header(0x8000, 0x100, version=1) +
          vc_note(text, at=0x8000) + READ_)
    write(d, "acpi-empty-page", b"\x00" + vc_publish_acpi(0x1028) + vc_header(0, 0) + READ_)
    write(d, "acpi-address-2^64-minus-16", b"\x00" + vc_publish_acpi(2**64 - 16) + READ_)
    write(d, "acpi-address-in-3g-hole", b"\x00" + vc_publish_acpi(3 * GiB + 40) + READ_)
    write(d, "acpi-header-elsewhere", b"\x00" + vc_header(0x8000, 0x100, at=0x3028) + vc_publish_acpi(0x3028) +
          vc_note(text, at=0x8000) + READ_)
    # The fw_cfg protocol: only a whole record at offset 0 publishes.
    write(d, "fwcfg-partial-record", b"\x01" + vc_write(0, b"\x01\x00\x01\x00" + struct.pack("<I", 56)) +
          vc_write(8, struct.pack("<Q", 0x8000)) + vc_note(text, at=0x8000) + READ_)
    write(d, "fwcfg-guest-format-0", b"\x01" + vc_publish_fwcfg(0x8000, 0x100, fmt=0) + READ_)
    write(d, "fwcfg-guest-format-2", b"\x01" + vc_publish_fwcfg(0x8000, 0x100, fmt=2) + READ_)
    write(d, "fwcfg-host-format-overwritten", b"\x01" + vc_publish_fwcfg(0x8000, 0x100, host_zero=True) +
          vc_note(text, at=0x8000) + READ_ + RESET + READ_)
    write(d, "fwcfg-republish", b"\x01" + vc_publish_fwcfg(0x8000, 0x100) + vc_publish_fwcfg(0x9000, 0x80) +
          vc_note(text) + READ_)
    # vmcoreinfo_note_check on heap buffers of exact sizes.
    for n in (0, 11, 12, 23, 24, 25, 36, 60):
        write(d, "buffer-%d" % n, b"\x00" + vc_check_buffer(bytes([n % 7] * n)))
        if n >= 12:
            write(d, "buffer-plausible-%d" % n, b"\x00" + vc_check_buffer(bytes([n - 24 if n >= 24 else 0, 0]) + bytes(range(n)), True))


def main(argv):
    gens = {"fw_cfg": gen_fw_cfg, "loader_exec": gen_loader_exec, "vmcoreinfo": gen_vmcoreinfo}
    for name in argv[1:] or list(gens):
        gens[name]()
        print("%s: %d seeds" % (name, len(os.listdir(os.path.join(ROOT, "tests", "fuzz", "corpus", name)))))


if __name__ == "__main__":
    main(sys.argv)
