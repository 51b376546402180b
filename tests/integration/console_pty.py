#!/usr/bin/env python3
"""Run microvm on a pseudo-terminal and check the terminal comes back as it was.

Usage: console_pty.py MODE MICROVM ARGS...
  MODE exit:   let the guest end by itself
  MODE signal: send SIGTERM after the guest has printed something
  MODE escape: type Ctrl-A x after the guest has printed something
  MODE vcpu-segv: send SIGSEGV to the vCPU 0 thread alone (tgkill), as a
             fault in that thread would raise it
  MODE blocked-signal, blocked-escape: as signal and escape, but microvm's
             standard output is a pipe that stops being read once the guest
             runs; the request is sent when that pipe is full
Prints "status N" and "termios restored" or "termios CHANGED"; exits 0 when
the terminal attributes after the run equal those before it.
"""
import ctypes
import fcntl
import os
import pty
import resource
import select
import signal
import sys
import termios
import time


SYS_TGKILL = 234  # x86_64
F_GETPIPE_SZ = 1032


def pipe_full(fd):
    """True when the pipe whose read end is fd holds all it can."""
    queued = ctypes.c_int()
    fcntl.ioctl(fd, termios.FIONREAD, queued)
    return queued.value >= fcntl.fcntl(fd, F_GETPIPE_SZ)


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
    blocked = mode.startswith("blocked-")
    request = mode.removeprefix("blocked-")
    master, slave = pty.openpty()
    out_r, out_w = os.pipe() if blocked else (master, slave)
    before = termios.tcgetattr(slave)
    pid = os.fork()
    if pid == 0:
        os.setsid()
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        for fd in (0, 2):
            os.dup2(slave, fd)
        os.dup2(out_w, 1)
        os.close(master)
        os.execv(argv[0], argv)
    if blocked:
        os.close(out_w)
    out = b""
    raw_seen = False
    running = False  # the guest has printed "testguest: running"
    sent = None  # when the request went out
    deadline = time.time() + 60
    status = None
    while time.time() < deadline:
        fds = [master] if out_r == master or running else [master, out_r]
        r, _, _ = select.select(fds, [], [], 0.05)
        for fd in r:
            try:
                out += os.read(fd, 4096)
            except OSError:
                pass
        if not raw_seen:
            attrs = termios.tcgetattr(slave)
            raw_seen = not (attrs[3] & termios.ICANON)
        running = running or b"testguest: running" in out
        ready = running and (not blocked or pipe_full(out_r))
        if sent is None and ready:
            if request == "signal":
                os.kill(pid, signal.SIGTERM)
                sent = time.time()
            elif request == "escape":
                os.write(master, b"\x01x")
                sent = time.time()
            elif request == "vcpu-segv" and tgkill(pid, "vcpu0", signal.SIGSEGV):
                sent = time.time()
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
    if sent is not None:
        print(f"ended {time.time() - sent:.1f} s after the request")
    if after == before:
        print("termios restored")
        return 0
    print("termios CHANGED")
    return 1


sys.exit(main())
