#!/usr/bin/env python3
"""Edit one property of a snapshot's state file in place and re-seal its
crc32, to build files that are well-formed but say something microvm must
refuse (a format from the future, another CPU vendor).

Usage: statefile.py FILE NODE PROP VALUE
  NODE  "/" or a node name under the root ("header"); PROP a property;
  VALUE an integer (the property must be 4 bytes) or a string of the
  property's length.
The flattened device tree format: devicetree.org specification, chapter 5.
"""
import struct
import sys
import zlib

FDT_BEGIN_NODE, FDT_END_NODE, FDT_PROP, FDT_NOP, FDT_END = 1, 2, 3, 4, 9


def props(blob):
    """(path, name, value offset, length) of every property."""
    off_struct, off_strings = struct.unpack_from(">II", blob, 8)
    pos, path = off_struct, []
    while True:
        (tok,) = struct.unpack_from(">I", blob, pos)
        pos += 4
        if tok == FDT_BEGIN_NODE:
            end = blob.index(b"\0", pos)
            path.append(blob[pos:end].decode())
            pos = (end + 1 + 3) & ~3
        elif tok == FDT_END_NODE:
            path.pop()
        elif tok == FDT_PROP:
            length, nameoff = struct.unpack_from(">II", blob, pos)
            pos += 8
            name_end = blob.index(b"\0", off_strings + nameoff)
            name = blob[off_strings + nameoff:name_end].decode()
            yield "/".join(path[1:]) or "/", name, pos, length
            pos = (pos + length + 3) & ~3
        elif tok == FDT_NOP:
            continue
        elif tok == FDT_END:
            return
        else:
            raise ValueError("bad token %d at %d" % (tok, pos - 4))


def find(blob, node, prop):
    for p, n, off, length in props(blob):
        if p == node and n == prop:
            return off, length
    raise SystemExit("no property %s in node %s" % (prop, node))


def main():
    path, node, prop, value = sys.argv[1:5]
    blob = bytearray(open(path, "rb").read())
    off, length = find(blob, node, prop)
    if value.lstrip("-").isdigit():
        if length != 4:
            raise SystemExit("%s/%s has %d bytes, not 4" % (node, prop, length))
        blob[off:off + 4] = struct.pack(">I", int(value) & 0xFFFFFFFF)
    else:
        data = value.encode() + b"\0"
        if len(data) != length:
            raise SystemExit("%s/%s has %d bytes; give a string of %d characters" %
                             (node, prop, length, length - 1))
        blob[off:off + length] = data
    coff, clen = find(blob, "/", "crc32")
    blob[coff:coff + 4] = b"\0\0\0\0"
    blob[coff:coff + 4] = struct.pack(">I", zlib.crc32(bytes(blob)) & 0xFFFFFFFF)
    open(path, "wb").write(blob)


if __name__ == "__main__":
    main()
