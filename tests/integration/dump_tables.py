#!/usr/bin/env python3
"""Extract the ACPI tables, as the firmware left them in guest RAM, from a
microvm ELF core: find the RSDP in the FSEG, follow the XSDT, and write
every table to OUTDIR/<SIG>[-<OEM table id>].dat (the DSDT too, via the
FADT's X_DSDT). Prints one line per table: signature, id, address, length.

Usage: dump_tables.py CORE OUTDIR
"""
import os
import struct
import sys


class Core:
    def __init__(self, path):
        self.f = open(path, "rb")
        hdr = self.f.read(64)
        if hdr[:4] != b"\x7fELF" or hdr[4] != 2:
            raise SystemExit(f"{path}: not an ELF64 file")
        phoff, = struct.unpack_from("<Q", hdr, 32)
        phentsize, phnum = struct.unpack_from("<HH", hdr, 54)
        if phnum == 0xFFFF:  # PN_XNUM: the real count is in section header 0
            shoff, = struct.unpack_from("<Q", hdr, 40)
            self.f.seek(shoff)
            phnum = struct.unpack_from("<I", self.f.read(64), 44)[0]
        self.loads = []
        self.f.seek(phoff)
        table = self.f.read(phentsize * phnum)
        for i in range(phnum):
            p_type, _, off, _, paddr, filesz, _, _ = struct.unpack_from(
                "<IIQQQQQQ", table, i * phentsize)
            if p_type == 1:
                self.loads.append((paddr, filesz, off))

    def read(self, gpa, size):
        for paddr, filesz, off in self.loads:
            if paddr <= gpa and gpa + size <= paddr + filesz:
                self.f.seek(off + gpa - paddr)
                return self.f.read(size)
        raise SystemExit(f"0x{gpa:x}+{size} is not in the dump")


def checksum_ok(b):
    return sum(b) & 0xFF == 0


def main():
    core, outdir = Core(sys.argv[1]), sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    fseg = core.read(0xE0000, 0x20000)
    at = next((i for i in range(0, len(fseg), 16) if fseg[i:i + 8] == b"RSD PTR "), None)
    if at is None:
        raise SystemExit("no RSDP in 0xE0000-0xFFFFF")
    rsdp = fseg[at:at + 36]
    if not checksum_ok(rsdp[:20]) or not checksum_ok(rsdp):
        raise SystemExit("RSDP checksum bad")
    xsdt_addr, = struct.unpack_from("<Q", rsdp, 24)
    print(f"RSDP 0x{0xE0000 + at:x} -> XSDT 0x{xsdt_addr:x}")

    def table(addr):
        hdr = core.read(addr, 36)
        length, = struct.unpack_from("<I", hdr, 4)
        body = core.read(addr, length)
        if not checksum_ok(body):
            raise SystemExit(f"{hdr[:4].decode()} at 0x{addr:x}: checksum bad")
        sig = body[:4].decode()
        oem_id = body[16:24].decode().rstrip(" \0")
        name = f"{sig}-{oem_id}" if sig == "SSDT" else sig
        with open(os.path.join(outdir, name + ".dat"), "wb") as f:
            f.write(body)
        print(f"{sig} {oem_id} 0x{addr:x} {length}")
        return body

    xsdt = table(xsdt_addr)
    for i in range(36, len(xsdt), 8):
        addr, = struct.unpack_from("<Q", xsdt, i)
        body = table(addr)
        if body[:4] == b"FACP":
            x_dsdt, = struct.unpack_from("<Q", body, 140)
            table(x_dsdt)


main()
