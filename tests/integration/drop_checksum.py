#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write a loader script without one table's ADD_CHECKSUM, so the table
reaches the guest with checksum byte 0: the negative tests that show the
guest's and Linux's checksum checks can fail.

    drop_checksum.py DIR SIGNATURE

DIR holds `microvm tables` output (table-loader.bin, SIGNATURE.dat); the
result is DIR/loader.bin. The command dropped is the ADD_CHECKSUM on
etc/acpi/tables whose range is exactly that table and whose checksum byte is
its header's (offset 9). Exit 1 unless exactly one command matched.
"""
import os
import struct
import sys

LOADER_ENTRY = 128
ADD_CHECKSUM = 3
ACPI_CHECKSUM_OFFSET = 9


def main(d, sig):
    blob = open(os.path.join(d, "table-loader.bin"), "rb").read()
    size = os.path.getsize(os.path.join(d, sig + ".dat"))
    out, dropped = b"", 0
    for i in range(0, len(blob), LOADER_ENTRY):
        e = blob[i:i + LOADER_ENTRY]
        cmd, = struct.unpack_from("<I", e)
        off, start, length = struct.unpack_from("<III", e, 60)
        if (cmd == ADD_CHECKSUM and e[4:60].rstrip(b"\0") == b"etc/acpi/tables"
                and length == size and off == start + ACPI_CHECKSUM_OFFSET):
            dropped += 1
            continue
        out += e
    open(os.path.join(d, "loader.bin"), "wb").write(out)
    return 0 if dropped == 1 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
