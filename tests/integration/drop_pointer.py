#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write a loader script without the ADD_POINTER into one file, so the
pointer field keeps its unpatched value (an offset into the source file):
the negative test that shows the loader scenario checks that pointers were
patched to where the executor placed the tables.

    drop_pointer.py DIR DEST

DIR holds `microvm tables` output (table-loader.bin); the result is
DIR/loader.bin. The command dropped is the ADD_POINTER whose destination
file is DEST (e.g. etc/acpi/rsdp: the RSDP's XSDT address). Exit 1 unless
exactly one command matched.
"""
import os
import struct
import sys

LOADER_ENTRY = 128
ADD_POINTER = 2


def main(d, dest):
    blob = open(os.path.join(d, "table-loader.bin"), "rb").read()
    out, dropped = b"", 0
    for i in range(0, len(blob), LOADER_ENTRY):
        e = blob[i:i + LOADER_ENTRY]
        cmd, = struct.unpack_from("<I", e)
        if cmd == ADD_POINTER and e[4:60].rstrip(b"\0") == dest.encode():
            dropped += 1
            continue
        out += e
    open(os.path.join(d, "loader.bin"), "wb").write(out)
    return 0 if dropped == 1 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
