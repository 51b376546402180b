#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Read what the integration tests need from an ELF core (shared/DESIGN.md §10).

A second, independent reader of microvm's dumps (readelf, eu-readelf and gdb
are the others): program headers and notes parsed with struct, memory read by
guest physical address through the PT_LOAD headers.

    elfcore.py notes DUMP                 one line per note: NAME TYPE DESCSZ
    elfcore.py vmcoreinfo DUMP            the VMCOREINFO note's text (exit 3: none)
    elfcore.py regs DUMP                  each vCPU's NT_PRSTATUS registers, NAME=0xVALUE
    elfcore.py note DUMP NAME             the descriptors of the notes named NAME, one hex line each
    elfcore.py read DUMP PADDR LEN        raw bytes at a guest physical address
    elfcore.py pattern DUMP PADDR LEN     LEN bytes hold the test guest's pattern
    elfcore.py zero DUMP PADDR LEN        LEN bytes are all zero

Exit status: 0 yes/ok, 1 no (the first difference is printed), 2 usage or a
malformed file, 3 absent (no such note, address not in any PT_LOAD).
"""
import struct
import sys

PT_LOAD, PT_NOTE = 1, 4
# The test guest's pattern (guest-images/testguest/scn_vmcoreinfo.c): the
# 8-byte word at guest physical address p holds p * MUL ^ XOR (mod 2^64).
PATTERN_MUL = 0x9E3779B97F4A7C15
PATTERN_XOR = 0x6D6963726F766D21
MASK64 = (1 << 64) - 1
NT_PRSTATUS = 1
# struct elf_prstatus: pr_reg (27 x u64, this order) starts at byte 112.
PRSTATUS_REGS = ("r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx rsi rdi orig_rax "
                 "rip cs eflags rsp ss fs_base gs_base ds es fs gs").split()
PRSTATUS_REG_OFF = 112


class Core:
    def __init__(self, path):
        self.f = open(path, "rb")
        eh = self.f.read(64)
        if len(eh) < 64 or eh[:4] != b"\x7fELF" or eh[4] != 2 or eh[5] != 1:
            raise ValueError("not a little-endian ELF64 file")
        e_type, e_machine = struct.unpack_from("<HH", eh, 16)
        if e_type != 4 or e_machine != 62:
            raise ValueError("not an x86-64 ELF core (type %d, machine %d)" % (e_type, e_machine))
        phoff, = struct.unpack_from("<Q", eh, 32)
        shoff, = struct.unpack_from("<Q", eh, 40)
        phentsize, phnum = struct.unpack_from("<HH", eh, 54)
        if phnum == 0xFFFF:  # the real count is in section header 0's sh_info
            self.f.seek(shoff)
            phnum, = struct.unpack_from("<I", self.f.read(64), 44)
        self.f.seek(phoff)
        raw = self.f.read(phentsize * phnum)
        self.phdrs = [struct.unpack_from("<IIQQQQQQ", raw, i * phentsize) for i in range(phnum)]

    def notes(self):
        for p_type, _, off, _, _, filesz, _, _ in self.phdrs:
            if p_type != PT_NOTE:
                continue
            self.f.seek(off)
            data = self.f.read(filesz)
            pos = 0
            while pos + 12 <= len(data):
                namesz, descsz, ntype = struct.unpack_from("<III", data, pos)
                name_end = pos + 12 + namesz
                desc = pos + 12 + ((namesz + 3) & ~3)
                if desc + descsz > len(data):
                    raise ValueError("note at %d overruns its segment" % pos)
                name = data[pos + 12:name_end].rstrip(b"\0").decode("latin-1")
                yield name, ntype, data[desc:desc + descsz]
                pos = desc + ((descsz + 3) & ~3)

    def read(self, paddr, length):
        """Bytes at guest physical [paddr, paddr + length), or None if not all dumped."""
        out = bytearray()
        while length:
            for p_type, _, off, _, p_paddr, filesz, memsz, _ in self.phdrs:
                if p_type == PT_LOAD and p_paddr <= paddr < p_paddr + memsz:
                    n = min(length, p_paddr + memsz - paddr)
                    in_file = max(0, min(n, p_paddr + filesz - paddr))
                    self.f.seek(off + paddr - p_paddr)
                    chunk = self.f.read(in_file)
                    out += chunk + bytes(n - len(chunk))
                    paddr += n
                    length -= n
                    break
            else:
                return None
        return bytes(out)


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    cmd, path = argv[1], argv[2]
    try:
        core = Core(path)
        if cmd == "notes":
            for name, ntype, desc in core.notes():
                print(name, ntype, len(desc))
            return 0
        if cmd == "vmcoreinfo":
            for name, ntype, desc in core.notes():
                if name == "VMCOREINFO" and ntype == 0:
                    sys.stdout.write(desc.decode("latin-1"))
                    return 0
            return 3
        if cmd == "note":
            found = [desc.hex() for name, _, desc in core.notes() if name == argv[3]]
            print("\n".join(found))
            return 0 if found else 3
        if cmd == "regs":
            cpu = 0
            for name, ntype, desc in core.notes():
                if name != "CORE" or ntype != NT_PRSTATUS:
                    continue
                vals = struct.unpack_from("<27Q", desc, PRSTATUS_REG_OFF)
                print("cpu%d %s" % (cpu, " ".join("%s=0x%x" % rv for rv in zip(PRSTATUS_REGS, vals))))
                cpu += 1
            return 0 if cpu else 3
        paddr, length = int(argv[3], 0), int(argv[4], 0)
        data = core.read(paddr, length)
    except (OSError, ValueError, IndexError, struct.error) as e:
        print("elfcore: %s: %s" % (path, e), file=sys.stderr)
        return 2
    if data is None:
        print("elfcore: 0x%x+0x%x is not in any PT_LOAD" % (paddr, length), file=sys.stderr)
        return 3
    if cmd == "read":
        sys.stdout.buffer.write(data)
        return 0
    if cmd == "pattern":
        for i in range(0, length - 7, 8):
            p = paddr + i
            want = ((p * PATTERN_MUL) & MASK64) ^ PATTERN_XOR
            got, = struct.unpack_from("<Q", data, i)
            if got != want:
                print("0x%x: 0x%016x, want 0x%016x" % (p, got, want))
                return 1
        return 0
    if cmd == "zero":
        i = next((i for i, b in enumerate(data) if b), None)
        if i is not None:
            print("0x%x: 0x%02x, want 0" % (paddr + i, data[i]))
            return 1
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
