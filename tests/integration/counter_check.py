#!/usr/bin/env python3
"""Check the test guest's counter output across snapshots and restores.

Usage: counter_check.py CPUS MIN_LINES FILE...
The files are the guest's console output of the original run and of each
restore, in order; their concatenation must read as one run: for every CPU
the lines "counter: cpu=ID n=N sum=0x... ok" have n = 1, 2, 3, ... with no
gap and no repetition, none is BAD, and the input acknowledgements
"counter: input ... total=K" count up by one. A line cut by a snapshot is
completed by the restore's first bytes, so the files are joined raw.
"""
import re
import sys

LINE = re.compile(r"^counter: cpu=(\d+) n=(\d+) sum=(0x[0-9a-f]+) (ok|BAD.*)$")
INPUT = re.compile(r"^counter: input .* total=(\d+)")


def main():
    cpus, min_lines, files = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    text = b"".join(open(f, "rb").read() for f in files).decode(errors="replace")
    last = {}
    seen_input = 0
    for raw in text.splitlines():
        line = raw.strip("\r")
        m = LINE.match(line)
        if m:
            cpu, n, status = int(m.group(1)), int(m.group(2)), m.group(4)
            if status != "ok":
                sys.exit("guest found its memory wrong: " + line)
            want = last.get(cpu, 0) + 1
            if n != want:
                sys.exit("cpu %d: line n=%d after n=%d (a %s)" %
                         (cpu, n, want - 1, "repetition" if n < want else "gap"))
            last[cpu] = n
            continue
        m = INPUT.match(line)
        if m:
            total = int(m.group(1))
            if total != seen_input + 1:
                sys.exit("input total %d after %d: a byte was %s" %
                         (total, seen_input, "repeated" if total <= seen_input else "lost"))
            seen_input = total
    if len(last) != cpus:
        sys.exit("saw counting CPUs %s, expected %d" % (sorted(last), cpus))
    for cpu, n in sorted(last.items()):
        if n < min_lines:
            sys.exit("cpu %d printed only %d lines (expected at least %d)" % (cpu, n, min_lines))
    print("continuous: " + ", ".join("cpu %d n=1..%d" % (c, n) for c, n in sorted(last.items())) +
          ("; %d input bytes acknowledged" % seen_input if seen_input else ""))
    print("inputs=%d" % seen_input)


if __name__ == "__main__":
    main()
