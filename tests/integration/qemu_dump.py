#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Boot a test guest under QEMU with its vmcoreinfo and pvpanic devices, let
it panic, and take QEMU's own dump (QMP dump-guest-memory, paging off): the
peer that microvm's dumps are compared with.

    qemu_dump.py KERNEL CMDLINE OUT.core [MEM] [initrd=FILE] [cpu=MODEL]

MEM defaults to 256M, the CPU model to qemu64,-cx16 (the test guest's);
a stock Linux guest takes its initrd and cpu=host (the peer of
tests/linux-guest/dump.sh).

Exit status 0 with OUT.core written; 77 when QEMU cannot run here (last line
says why); 1 on any other failure (QEMU's console and messages printed).
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

PANIC_WAIT = 90  # seconds for the guest to reach its panic
DUMP_WAIT = 60


def qmp_open(path, deadline):
    while True:
        try:
            s = socket.socket(socket.AF_UNIX)
            s.connect(path)
            return s, s.makefile("rw")
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.1)


def qmp(f, cmd, **args):
    f.write(json.dumps({"execute": cmd, "arguments": args}) + "\n")
    f.flush()
    while True:
        line = f.readline()
        if not line:
            raise OSError("QMP connection closed during %s" % cmd)
        m = json.loads(line)
        if "return" in m or "error" in m:
            return m


def main(argv):
    if len(argv) < 4:
        sys.stderr.write(__doc__)
        return 2
    kernel, cmdline, out = argv[1], argv[2], argv[3]
    mem, initrd, cpu = "256M", None, "qemu64,-cx16"
    for a in argv[4:]:
        if a.startswith("initrd="):
            initrd = a[len("initrd="):]
        elif a.startswith("cpu="):
            cpu = a[len("cpu="):]
        else:
            mem = a
    tmp = tempfile.mkdtemp(prefix="qemu-dump.")
    sock, console = os.path.join(tmp, "qmp.sock"), os.path.join(tmp, "console.txt")
    cmd = ["qemu-system-x86_64", "-M", "microvm", "-accel", "kvm", "-cpu", cpu,
           "-m", mem, "-nographic", "-no-reboot", "-device", "isa-debug-exit,iobase=0x501,iosize=2",
           "-device", "vmcoreinfo", "-device", "pvpanic", "-action", "panic=pause",
           "-qmp", "unix:%s,server=on,wait=off" % sock, "-kernel", kernel, "-append", cmdline]
    if initrd:
        cmd += ["-initrd", initrd]
    with open(console, "w") as con:
        try:
            q = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=con, stderr=subprocess.STDOUT)
        except FileNotFoundError:
            print("qemu_dump: qemu-system-x86_64 is not installed")
            return 77
    ok = False
    try:
        s, f = qmp_open(sock, time.time() + 10)
        f.readline()  # greeting
        qmp(f, "qmp_capabilities")
        deadline = time.time() + PANIC_WAIT
        while time.time() < deadline:
            st = qmp(f, "query-status").get("return", {}).get("status")
            if st == "guest-panicked":
                break
            if q.poll() is not None:
                break
            time.sleep(0.2)
        else:
            st = "timeout"
        if st != "guest-panicked":
            print("qemu_dump: the guest did not panic under QEMU (status %s)" % st)
        else:
            r = qmp(f, "dump-guest-memory", paging=False, protocol="file:" + out)
            if "error" in r:
                print("qemu_dump: dump-guest-memory: %s" % r["error"])
            else:
                deadline = time.time() + DUMP_WAIT
                while time.time() < deadline:
                    r = qmp(f, "query-dump").get("return", {})
                    if r.get("status") in ("completed", "failed"):
                        break
                    time.sleep(0.2)
                ok = r.get("status") == "completed"
                if not ok:
                    print("qemu_dump: dump status %s" % r.get("status"))
        qmp(f, "quit")
        s.close()
    except (OSError, ValueError) as e:
        print("qemu_dump: QMP: %s" % e)
    finally:
        try:
            q.wait(timeout=10)
        except subprocess.TimeoutExpired:
            q.kill()
            q.wait()
    text = open(console, errors="replace").read()
    for name in (sock, console):
        if os.path.exists(name):
            os.unlink(name)
    os.rmdir(tmp)
    if not ok:
        sys.stdout.write(text)
        if "Could not access KVM kernel module" in text or "failed to initialize kvm" in text:
            print("qemu_dump: QEMU cannot use KVM here")
            return 77
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
