#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The stock-Linux part of `make bench` (docs/performance.md): microvm and
QEMU's microvm machine side by side on one KVM, with Debian's cloud kernel
and the test initrd of `make linux-image`.

    linux_bench.py LINUX_DIR DUMP_DIR REPEAT

1. Boot: seconds from exec to the initrd's first line ("microvm initrd:
   Linux ... is up"), same kernel, initrd, command line and 512 MiB.
2. Dump: a 2 GiB guest panics (sysrq c); microvm's dump (its own timing,
   from the panic to the fsync'd file) against QEMU's QMP dump-guest-memory
   of the same guest (from the command to query-dump "completed"), into the
   same directory.

Best of REPEAT runs each. Prints markdown tables.
"""
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

UP = re.compile(rb"microvm initrd: Linux \S+ is up")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MICROVM = os.path.join(ROOT, "build", "microvm")


def time_to_line(cmd, limit=300):
    """Seconds from exec to the first line matching UP; the process is killed after."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    got, tail = None, b""
    try:
        while time.monotonic() - t0 < limit:
            line = p.stdout.readline()
            if not line:
                break
            tail = (tail + line)[-4000:]
            if UP.search(line):
                got = time.monotonic() - t0
                break
    finally:
        p.kill()
        p.wait()
    if got is None:
        sys.stderr.write(tail.decode(errors="replace"))
        raise SystemExit("linux_bench: %s did not reach the initrd" % cmd[0])
    return got


def qemu_cmd(linux, mem, action, extra=()):
    return ["qemu-system-x86_64", "-M", "microvm,acpi=on", "-accel", "kvm", "-cpu", "host",
            "-m", mem, "-nographic", "-no-reboot", "-kernel", os.path.join(linux, "vmlinuz"),
            "-initrd", os.path.join(linux, "initrd.cpio.gz"),
            "-append", "console=ttyS0 microvm.action=%s" % action] + list(extra)


def microvm_cmd(linux, mem, action, extra=()):
    return [MICROVM, "run", "--mem", mem] + list(extra) + [
        "--initrd", os.path.join(linux, "initrd.cpio.gz"),
        "--cmdline", "console=ttyS0 microvm.action=%s" % action, os.path.join(linux, "vmlinuz")]


def microvm_dump(linux, outdir):
    for f in os.listdir(outdir):
        os.unlink(os.path.join(outdir, f))
    r = subprocess.run(microvm_cmd(linux, "2G", "panic", ["--vmcoreinfo", "--dump-dir", outdir]),
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=600)
    m = re.search(rb"dump: wrote .* \((\d+) MiB of RAM, (\d+) MiB of data, ([0-9.]+) s", r.stdout)
    if not m:
        sys.stderr.write(r.stdout.decode(errors="replace")[-3000:])
        raise SystemExit("linux_bench: microvm wrote no dump")
    size = sum(os.stat(os.path.join(outdir, f)).st_blocks * 512 for f in os.listdir(outdir))
    return float(m.group(3)), size


def qmp(f, cmd, **args):
    f.write(json.dumps({"execute": cmd, "arguments": args}) + "\n")
    f.flush()
    while True:
        m = json.loads(f.readline())
        if "return" in m or "error" in m:
            return m


def qemu_dump(linux, outdir):
    for f in os.listdir(outdir):
        os.unlink(os.path.join(outdir, f))
    tmp = tempfile.mkdtemp(prefix="linux-bench.")
    sock = os.path.join(tmp, "qmp")
    out = os.path.join(outdir, "qemu.core")
    p = subprocess.Popen(qemu_cmd(linux, "2G", "panic", ["-device", "vmcoreinfo", "-device", "pvpanic",
                                                         "-action", "panic=pause", "-qmp",
                                                         "unix:%s,server=on,wait=off" % sock]),
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                s = socket.socket(socket.AF_UNIX)
                s.connect(sock)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("linux_bench: no QMP socket from QEMU")
                time.sleep(0.1)
        f = s.makefile("rw")
        f.readline()
        qmp(f, "qmp_capabilities")
        deadline = time.monotonic() + 300
        while qmp(f, "query-status")["return"]["status"] != "guest-panicked":
            if time.monotonic() > deadline or p.poll() is not None:
                raise SystemExit("linux_bench: the guest did not panic under QEMU")
            time.sleep(0.1)
        t0 = time.monotonic()
        r = qmp(f, "dump-guest-memory", paging=False, protocol="file:" + out)
        if "error" in r:
            raise SystemExit("linux_bench: dump-guest-memory: %s" % r["error"])
        while qmp(f, "query-dump")["return"]["status"] not in ("completed", "failed"):
            time.sleep(0.02)
        t = time.monotonic() - t0
        os.sync()
        t_sync = time.monotonic() - t0
        qmp(f, "quit")
    finally:
        p.kill()
        p.wait()
        if os.path.exists(sock):
            os.unlink(sock)
        os.rmdir(tmp)
    return t, t_sync, os.stat(out).st_blocks * 512


def main(argv):
    if len(argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    linux, outdir, repeat = argv[1], argv[2], int(argv[3])
    os.makedirs(outdir, exist_ok=True)
    print("stock Linux (%s), best of %d" % (open(os.path.join(linux, "version")).read().split()[0],
                                           repeat))
    print()
    print("| what | microvm | QEMU microvm | QEMU / microvm |")
    print("|------|---------|--------------|----------------|")
    ours = min(time_to_line(microvm_cmd(linux, "512M", "poweroff")) for _ in range(repeat))
    theirs = min(time_to_line(qemu_cmd(linux, "512M", "poweroff")) for _ in range(repeat))
    print("| boot to init, 512 MiB (s) | %.2f | %.2f | %.2f |" % (ours, theirs, theirs / ours))
    sys.stdout.flush()
    d_ours = min(microvm_dump(linux, outdir) for _ in range(repeat))
    d_theirs = min(qemu_dump(linux, outdir) for _ in range(repeat))
    print("| dump of a 2 GiB guest (s) | %.2f | %.2f (%.2f with sync) | %.2f |"
          % (d_ours[0], d_theirs[0], d_theirs[1], d_theirs[1] / d_ours[0]))
    print("| dump's disk blocks (MiB) | %d | %d | %.1f |"
          % (d_ours[1] >> 20, d_theirs[2] >> 20, d_theirs[2] / max(d_ours[1], 1)))
    for f in os.listdir(outdir):
        os.unlink(os.path.join(outdir, f))
    os.rmdir(outdir)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
