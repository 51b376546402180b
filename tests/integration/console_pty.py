#!/usr/bin/env python3
"""Run microvm on a pseudo-terminal and check the terminal comes back as it was.

Usage: console_pty.py MODE MICROVM ARGS...
  MODE exit:   let the guest end by itself
  MODE signal: send SIGTERM after the guest has printed something
  MODE escape: type Ctrl-A x after the guest has printed something
  MODE vcpu-segv: send SIGSEGV to the vCPU 0 thread alone (tgkill), as a
             fault in that thread would raise it
Prints "status N" and "termios restored" or "termios CHANGED"; exits 0 when
the terminal attributes after the run equal those before it.
"""
import ctypes
import os
import pty
import resource
import select
import signal
import sys
import termios
import time


SYS_TGKILL = 234  # x86_64


def tgkill(pid, name, sig):
    """Send sig to the thread of pid whose comm is name; False if none."""
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                comm = f.read().strip()
        except OSError:
            continue
        if comm == name:
            libc = ctypes.CDLL(None, use_errno=True)
            return libc.syscall(SYS_TGKILL, pid, int(tid), sig) == 0
    return False


def main():
    mode, argv = sys.argv[1], sys.argv[2:]
    master, slave = pty.openpty()
    before = termios.tcgetattr(slave)
    pid = os.fork()
    if pid == 0:
        os.setsid()
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        os.close(master)
        os.execv(argv[0], argv)
    out = b""
    raw_seen = False
    sent = False
    deadline = time.time() + 60
    status = None
    while time.time() < deadline:
        r, _, _ = select.select([master], [], [], 0.05)
        if r:
            try:
                out += os.read(master, 4096)
            except OSError:
                pass
        if not raw_seen:
            attrs = termios.tcgetattr(slave)
            raw_seen = not (attrs[3] & termios.ICANON)
        if not sent and b"testguest: running" in out:
            if mode == "signal":
                os.kill(pid, signal.SIGTERM)
                sent = True
            elif mode == "escape":
                os.write(master, b"\x01x")
                sent = True
            elif mode == "vcpu-segv":
                sent = tgkill(pid, "vcpu0", signal.SIGSEGV)
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = os.waitstatus_to_exitcode(st)
            break
    if status is None:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        print("microvm did not finish")
        return 1
    after = termios.tcgetattr(slave)
    sys.stdout.write(out.decode(errors="replace"))
    print(f"\nstatus {status}")
    print(f"raw mode seen: {raw_seen}")
    if after == before:
        print("termios restored")
        return 0
    print("termios CHANGED")
    return 1


sys.exit(main())
