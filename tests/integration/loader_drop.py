#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write a loader script with one command left out, for the negative tests
that show the guest's and Linux's checks can fail.

    loader_drop.py DIR checksum SIGNATURE
        the ADD_CHECKSUM on etc/acpi/tables whose range is exactly the table
        DIR/SIGNATURE.dat and whose checksum byte is its header's (offset 9):
        the table reaches the guest with checksum byte 0
    loader_drop.py DIR pointer DEST
        the ADD_POINTER into file DEST (e.g. etc/acpi/rsdp: the RSDP's XSDT
        address): the field keeps its unpatched offset

DIR holds `microvm tables` output (table-loader.bin); the result is
DIR/loader.bin. Exit 1 unless exactly one command matched, 2 on bad usage.
"""
import os
import struct
import sys

LOADER_ENTRY = 128
ADD_POINTER, ADD_CHECKSUM = 2, 3
ACPI_CHECKSUM_OFFSET = 9


def file_field(e):
    return e[4:60].rstrip(b"\0")


def matcher(d, what, arg):
    if what == "checksum":
        size = os.path.getsize(os.path.join(d, arg + ".dat"))

        def drop(cmd, e):
            off, start, length = struct.unpack_from("<III", e, 60)
            return (cmd == ADD_CHECKSUM and file_field(e) == b"etc/acpi/tables"
                    and length == size and off == start + ACPI_CHECKSUM_OFFSET)
        return drop
    if what == "pointer":
        return lambda cmd, e: cmd == ADD_POINTER and file_field(e) == arg.encode()
    return None


def main(argv):
    if len(argv) != 4 or matcher(argv[1], argv[2], argv[3]) is None:
        sys.stderr.write(__doc__)
        return 2
    d = argv[1]
    drop = matcher(d, argv[2], argv[3])
    blob = open(os.path.join(d, "table-loader.bin"), "rb").read()
    out, dropped = b"", 0
    for i in range(0, len(blob), LOADER_ENTRY):
        e = blob[i:i + LOADER_ENTRY]
        cmd, = struct.unpack_from("<I", e)
        if drop(cmd, e):
            dropped += 1
            continue
        out += e
    open(os.path.join(d, "loader.bin"), "wb").write(out)
    return 0 if dropped == 1 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
