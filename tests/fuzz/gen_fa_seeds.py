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


def main(argv):
    gens = {"fw_cfg": gen_fw_cfg}
    for name in argv[1:] or list(gens):
        gens[name]()
        print("%s: %d seeds" % (name, len(os.listdir(os.path.join(ROOT, "tests", "fuzz", "corpus", name)))))


if __name__ == "__main__":
    main(sys.argv)
