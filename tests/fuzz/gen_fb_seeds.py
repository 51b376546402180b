#!/usr/bin/env python3
"""(Re)write the seed corpora of the boot, inspect and snapshot fuzz targets
(tests/fuzz/corpus/NAME/), deterministically.

Usage: tests/fuzz/gen_fb_seeds.py [boot] [inspect] [snapshot]   (default: all)

boot:     bzImages and PVH ELFs (ELF64 and ELF32) shaped like the unit tests'
          fixtures (tests/unit/bzimage_fixture.h, pvh_fixture.h), each wrapped
          in the target's input header (tests/fuzz/boot_mutator.h) with a
          memory size, a command line and an initrd; the test guests the
          Makefile builds (build/guest-images/*.elf) when they exist.
inspect:  ELF cores laid out as vmm/dump.c writes them (shared/DESIGN.md §10)
          and a few QEMU-like and malformed variants.
snapshot: the state files build/unit-tests writes with MICROVM_FB_SEEDS set
          (see tests/unit/test_snapshot_parse.c), copied when present.
"""
import glob
import os
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")


def out(name, idx, data):
    d = os.path.join(CORPUS, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "fb-%03d" % idx), "wb") as f:
        f.write(data)


def clean(name):
    d = os.path.join(CORPUS, name)
    for p in glob.glob(os.path.join(d, "fb-*")):
        os.unlink(p)


# ---- boot ----

def bzimage(version=0x020F, setup_sects=4, loadflags=1, jump=0x6A, relocatable=1,
            payload=8192, code32=0x100000, align=0x200000, cmdline_size=2047,
            initrd_max=0x7FFFFFFF, pref=0x1000000, init_size=8 << 20, syssize=None):
    sects = setup_sects or 4
    setup = (sects + 1) * 512
    b = bytearray((0x5A ^ i) & 0xFF for i in range(setup))
    b[0x1F1] = setup_sects
    struct.pack_into("<I", b, 0x1F4, syssize if syssize is not None else (payload + 15) // 16)
    struct.pack_into("<H", b, 0x1FE, 0xAA55)
    b[0x200] = 0xEB
    b[0x201] = jump
    b[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", b, 0x206, version)
    b[0x210] = 0
    b[0x211] = loadflags
    struct.pack_into("<I", b, 0x214, code32)
    struct.pack_into("<III", b, 0x218, 0, 0, 0)
    struct.pack_into("<I", b, 0x228, 0)
    struct.pack_into("<I", b, 0x22C, initrd_max)
    struct.pack_into("<I", b, 0x230, align)
    b[0x234] = relocatable
    b[0x235] = 21
    struct.pack_into("<H", b, 0x236, 0x7F)
    struct.pack_into("<I", b, 0x238, cmdline_size)
    struct.pack_into("<Q", b, 0x250, 0x123456789ABCDEF)
    struct.pack_into("<Q", b, 0x258, pref)
    struct.pack_into("<I", b, 0x260, init_size)
    b += bytes((i * 7 + 3) & 0xFF for i in range(payload))
    return bytes(b)


def pvh_note(entry, size=4, align=4):
    name = b"Xen\0"
    desc = struct.pack("<I" if size == 4 else "<Q", entry & (0xFFFFFFFF if size == 4 else ~0 & (2**64 - 1)))
    pad = lambda n: (-n) % align
    other = struct.pack("<III", 4, 4, 6) + b"GNU\0" + b"\0" * 4
    return other + struct.pack("<III", 4, size, 18) + name + b"\0" * pad(4) + desc + b"\0" * pad(size)


def elf(is64=True, segs=((0x100000, 0x2000, 0x3000),), entry=None, machine=62, etype=2,
        note=True, note_in_section=False, entry_size=4):
    """segs: (paddr, filesz, memsz); data follows the headers at 0x1000."""
    entry = segs[0][0] if entry is None and segs else (entry or 0)
    ehsize, phsize, shsize = (64, 56, 64) if is64 else (52, 32, 40)
    notes = pvh_note(entry, entry_size)
    phs = []
    data = bytearray()
    off = 0x1000
    for i, (paddr, filesz, memsz) in enumerate(segs):
        phs.append((1, off + len(data), paddr, filesz, memsz))
        data += bytes(((i + 1) * 31 + j) & 0xFF for j in range(filesz))
        data += b"\0" * ((-len(data)) % 16)
    note_off = 0x200
    if note and not note_in_section:
        phs.insert(0, (4, note_off, 0, len(notes), len(notes)))
    phoff = ehsize
    shoff = 0
    body = bytearray(0x1000)
    body[note_off:note_off + len(notes)] = notes
    body += data
    if note_in_section:
        shoff = len(body)
        if is64:
            sh0 = b"\0" * 64
            sh1 = struct.pack("<IIQQQQIIQQ", 0, 7, 2, 0, note_off, len(notes), 0, 0, 4, 0)
        else:
            sh0 = b"\0" * 40
            sh1 = struct.pack("<IIIIIIIIII", 0, 7, 2, 0, note_off, len(notes), 0, 0, 4, 0)
        body += sh0 + sh1
    ident = b"\x7fELF" + bytes([2 if is64 else 1, 1, 1]) + b"\0" * 9
    if is64:
        eh = ident + struct.pack("<HHIQQQIHHHHHH", etype, machine, 1, entry, phoff, shoff, 0,
                                 ehsize, phsize, len(phs), shsize, 2 if shoff else 0, 0)
    else:
        eh = ident + struct.pack("<HHIIIIIHHHHHH", etype, machine, 1, entry, phoff, shoff, 0,
                                 ehsize, phsize, len(phs), shsize, 2 if shoff else 0, 0)
    body[0:len(eh)] = eh
    for i, (t, o, paddr, filesz, memsz) in enumerate(phs):
        at = phoff + i * phsize
        if is64:
            ph = struct.pack("<IIQQQQQQ", t, 7 if t == 1 else 4, o, paddr, paddr, filesz, memsz,
                             0x1000 if t == 1 else 4)
        else:
            ph = struct.pack("<IIIIIIII", t, o, paddr, paddr, filesz, memsz, 7 if t == 1 else 4,
                             0x1000 if t == 1 else 4)
        body[at:at + phsize] = ph
    return bytes(body)


MIB = 1 << 20


def boot_input(kernel, mem=0, cmdline=b"console=ttyS0", initrd=None, virt_initrd=None, pad=None):
    flags = mem
    initrd_len = 0
    if initrd is not None:
        flags |= 4
        initrd_len = len(initrd)
    if virt_initrd is not None:
        flags |= 4 | 8
        initrd_len = virt_initrd
        initrd = b""
    if pad is not None:
        flags |= 16
    d = struct.pack("<BHI", flags, len(cmdline), initrd_len) + cmdline + (initrd or b"") + kernel
    if pad is not None:
        d += struct.pack("<I", pad)
    return d


def gen_boot():
    clean("boot")
    seeds = []
    ini = bytes(range(256)) * 16
    for mem in range(4):
        seeds.append(boot_input(bzimage(), mem))
        seeds.append(boot_input(bzimage(), mem, initrd=ini))
        seeds.append(boot_input(elf(), mem, initrd=ini))
    seeds += [
        boot_input(bzimage(relocatable=0)),
        boot_input(bzimage(relocatable=0, pref=0x2000000), 1),
        boot_input(bzimage(version=0x0206)),
        boot_input(bzimage(version=0x0209, payload=4096)),
        boot_input(bzimage(version=0x0205)),
        boot_input(bzimage(setup_sects=0)),
        boot_input(bzimage(setup_sects=30)),
        boot_input(bzimage(init_size=30 * MIB)),
        boot_input(bzimage(init_size=30 * MIB), 1),
        boot_input(bzimage(init_size=0x1000, pref=0)),
        boot_input(bzimage(init_size=0, pref=0, payload=4096, syssize=(4096 + 31 * MIB) // 16), 0, pad=31 * MIB),
        boot_input(bzimage(init_size=0x1000, pref=0, payload=4096, syssize=(4096 + 30 * MIB) // 16), 0, pad=30 * MIB),
        boot_input(bzimage(init_size=0x1000, pref=0, relocatable=0, payload=4096, syssize=(4096 + 30 * MIB) // 16), 0, pad=30 * MIB),
        boot_input(bzimage(init_size=0x1000, pref=0, align=0x100000, payload=4096, syssize=(4096 + 30 * MIB) // 16), 0, pad=30 * MIB),
        boot_input(bzimage(pref=0x1E00000)),
        boot_input(bzimage(pref=0xBFE00000), 3),
        boot_input(bzimage(pref=0x100000000), 3),
        boot_input(bzimage(align=0x300000)),
        boot_input(bzimage(align=0)),
        boot_input(bzimage(loadflags=0)),
        boot_input(bzimage(code32=0x200000)),
        boot_input(bzimage(cmdline_size=4), cmdline=b"too long a line"),
        boot_input(bzimage(cmdline_size=0xFFFFFFFF), cmdline=b"x" * 3000),
        boot_input(bzimage(initrd_max=0x37FFFFFF), 2, virt_initrd=8 * MIB),
        boot_input(bzimage(initrd_max=0xFFFFF), initrd=ini),
        boot_input(bzimage(), 0, virt_initrd=24 * MIB),
        boot_input(bzimage(), 1, virt_initrd=39 * MIB),
        boot_input(bzimage(jump=0xFF)),
        boot_input(bzimage(jump=0)),
        boot_input(bzimage(syssize=0)),
        boot_input(bzimage(syssize=0xFFFFFFFF)),
        boot_input(bzimage(payload=100)[:0x300]),
        boot_input(bzimage()[:0x210]),
        boot_input(elf(is64=False)),
        boot_input(elf(is64=False), 3, initrd=ini),
        boot_input(elf(entry_size=8)),
        boot_input(elf(note_in_section=True)),
        boot_input(elf(is64=False, note_in_section=True)),
        boot_input(elf(note=False)),
        boot_input(elf(segs=((0x100000, 0x1000, 0x1000), (0x200000, 0x800, 0x4000)))),
        boot_input(elf(segs=((0x100000, 0x1000, 0x1000), (0x100800, 0x800, 0x4000)))),
        boot_input(elf(segs=((0x100000, 0x1000, 0x1000), (0x100000000, 0x800, 0x4000))), 3),
        boot_input(elf(segs=((0x100000, 0x1000, 0x1000), (0xC0000000, 0x800, 0x4000))), 3),
        boot_input(elf(segs=((0x1E00000, 0x1000, 0x200000),))),
        boot_input(elf(segs=((0x90000, 0x1000, 0x1000),))),
        boot_input(elf(segs=((0x8000, 0x1000, 0x1000),))),
        boot_input(elf(segs=((0xFFFFFFFFFFFFF000, 0x1000, 0x1000),), entry=0x100000)),
        boot_input(elf(segs=((0x100000, 0x3000, 0x1000),))),
        boot_input(elf(entry=0x500000)),
        boot_input(elf(machine=40)),
        boot_input(elf(etype=4)),
        boot_input(elf(segs=())),
        boot_input(elf(), cmdline=b"a" * 0xFFFF),
        boot_input(b"\x7fELF"),
        boot_input(b""),
        boot_input(b"MZ" + b"\0" * 0x300),
    ]
    for p in sorted(glob.glob(os.path.join(ROOT, "build", "guest-images", "*.elf")))[:6]:
        with open(p, "rb") as f:
            k = f.read()
        if len(k) <= 2 * MIB:
            seeds.append(boot_input(k, 1, cmdline=b"quiet"))
    for i, s in enumerate(seeds):
        out("boot", i, s)
    return len(seeds)


# ---- inspect ----

def note(name, ntype, desc):
    n = name + b"\0"
    return (struct.pack("<III", len(n), len(desc), ntype) + n + b"\0" * ((-len(n)) % 4) + desc +
            b"\0" * ((-len(desc)) % 4))


def prstatus(i):
    d = bytearray(336)
    struct.pack_into("<I", d, 32, i + 1)
    for r in range(27):
        struct.pack_into("<Q", d, 112 + 8 * r, 0x1000 * (i + 1) + r)
    struct.pack_into("<Q", d, 112 + 8 * 16, 0xFFFFFFFF81000001 + i)
    return bytes(d)


def qemu_state(i, size=440):
    d = bytearray(max(size, 8))
    struct.pack_into("<II", d, 0, 1, size)
    for r in range(18):
        struct.pack_into("<Q", d, 8 + 8 * r, 0x2000 * (i + 1) + r)
    for sgi in range(10):
        struct.pack_into("<IIIIQ", d, 152 + 24 * sgi, 0x10 + sgi, 0xFFFFFFFF, 0xA09B00, 0, 0)
    if size >= 432:
        struct.pack_into("<QQQQQ", d, 392, 0x80050033, 0, 0, 0x1C0A000, 0x3606F0)
    if size >= 440:
        struct.pack_into("<Q", d, 432, 0xFFFF88807DC00001)
    return bytes(d)


VMCI = b"OSRELEASE=6.1.0-fake\nPAGESIZE=4096\nSYMBOL(swapper_pg_dir)=ffffffff82a0a000\nNUMBER(phys_base)=0\nKERNELOFFSET=0\n"


def core(notes_list=None, loads=((0, 0x2000), (0x100000000, 0x1000)), cpus=2, vmci=VMCI,
         qemu=True, prst=True, extra_phdrs=(), xnum=False, truncate=None, data=True):
    if notes_list is None:
        notes_list = []
        for i in range(cpus):
            if prst:
                notes_list.append(note(b"CORE", 1, prstatus(i)))
        for i in range(cpus):
            if qemu:
                notes_list.append(note(b"QEMU", 0, qemu_state(i)))
        if vmci is not None:
            notes_list.append(note(b"VMCOREINFO", 0, vmci))
    notes = b"".join(notes_list)
    nph = 1 + len(loads) + len(extra_phdrs)
    phoff = 64
    note_off = phoff + 56 * nph
    off = note_off + len(notes)
    off = (off + 0xFFF) & ~0xFFF
    phs = [struct.pack("<IIQQQQQQ", 4, 0, note_off, 0, 0, len(notes), 0, 0)]
    body = bytearray()
    for paddr, size in loads:
        phs.append(struct.pack("<IIQQQQQQ", 1, 7, off + len(body), paddr, paddr, size, size, 0))
        if data:
            body += bytes(((paddr >> 12) + j) & 0xFF for j in range(size))
    for ph in extra_phdrs:
        phs.append(ph)
    shoff = 0
    phnum = nph
    tail = b""
    if xnum:
        phnum = 0xFFFF
        shoff = off + len(body)
        tail = struct.pack("<IIQQQQIIQQ", 0, 0, 0, 0, 0, 0, 0, nph, 0, 0)
    ident = b"\x7fELF" + bytes([2, 1, 1]) + b"\0" * 9
    eh = ident + struct.pack("<HHIQQQIHHHHHH", 4, 62, 1, 0, phoff, shoff, 0, 64, 56, phnum,
                             64 if xnum else 0, 1 if xnum else 0, 0)
    f = bytearray(eh + b"".join(phs) + notes)
    f += b"\0" * (off - len(f))
    f += body + tail
    return bytes(f[:truncate] if truncate else f)


def gen_inspect():
    clean("inspect")
    seeds = [
        core(),
        core(cpus=1),
        core(cpus=4),
        core(vmci=None),
        core(qemu=False),
        core(prst=False),
        core(vmci=b"A=1\n\x1b[2Jevil\n\xff"),
        core(vmci=b""),
        core(notes_list=[note(b"QEMU", 0, qemu_state(0, 432))]),
        core(notes_list=[note(b"QEMU", 0, qemu_state(0, 400))]),
        core(notes_list=[note(b"CORE", 1, prstatus(0)[:200])]),
        core(notes_list=[note(b"CORE", 6, b"x" * 512), note(b"LINUX", 0x202, b"\0" * 64)]),
        core(notes_list=[]),
        core(loads=()),
        core(loads=((0, 0x1000), (0x100000, 0x3000), (0xFFFFFFFF80000000, 0x1000))),
        core(truncate=0x300),
        core(truncate=100),
        core(truncate=64),
        core(data=False),
        core(xnum=True),
        core(extra_phdrs=[struct.pack("<IIQQQQQQ", 4, 0, 64 + 56 * 4, 0, 0, 356, 0, 0)]),
        core(extra_phdrs=[struct.pack("<IIQQQQQQ", 4, 0, 64 + 56 * 4, 0, 0, 0, 0, 0)]),
        core(extra_phdrs=[struct.pack("<IIQQQQQQ", 1, 0, 1 << 62, 0, 0, 1 << 40, 1 << 40, 0)]),
        core(extra_phdrs=[struct.pack("<IIQQQQQQ", 6, 0, 0, 0, 0, 0, 0, 0)]),
    ]
    # Program header or note fields made hostile, one at a time.
    base = core(cpus=1)
    for off, fmt, val in [(16, "<H", 2), (18, "<H", 3), (54, "<H", 32), (32, "<Q", 2**64 - 8),
                          (56, "<H", 0xFFFE), (56, "<H", 0xFFFF), (64 + 8, "<Q", 1 << 62),
                          (64 + 32, "<Q", 2**64 - 1), (64 + 56 * 3, "<I", 0x7FFFFFFF),
                          (64 + 56 * 3 + 4, "<I", 0xFFFFFFF0), (4, "B", 1), (5, "B", 2)]:
        b = bytearray(base)
        if off + struct.calcsize(fmt) <= len(b):
            struct.pack_into(fmt, b, off, val)
        seeds.append(bytes(b))
    for i, sd in enumerate(seeds):
        out("inspect", i, sd)
    return len(seeds)


def main():
    which = sys.argv[1:] or ["boot", "inspect", "snapshot"]
    for w in which:
        n = globals()["gen_" + w]()
        print("%s: %d seeds" % (w, n))


if __name__ == "__main__":
    main()
