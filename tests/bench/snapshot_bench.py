#!/usr/bin/env python3
"""Snapshot benchmarks (`make bench`, docs/performance.md), run where a KVM
works (tests/with-kvm):

- restore latency: from the exec of `microvm restore` to the guest's first
  console byte (the flood scenario prints without pause, so that byte comes
  from the first instructions it runs), for a 256 MiB and a 4 GiB guest;
- snapshot-save of a 4 GiB guest whose RAM holds 10 % and 100 % data
  (test=counter fill=SIZE), against dd writing the same number of bytes to
  the same directory (O_DIRECT and through the page cache, fsync'd).

Usage: snapshot_bench.py MICROVM GUEST DIR REPEAT
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import time


def ctl(microvm, sock, *args):
    return subprocess.run([microvm, "ctl", sock] + list(args), capture_output=True, text=True)


def start(microvm, args, sock):
    p = subprocess.Popen([microvm] + args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    for _ in range(300):
        if os.path.exists(sock):
            try:
                s = socket.socket(socket.AF_UNIX)
                s.connect(sock)
                s.close()
                return p
            except OSError:
                pass
        time.sleep(0.05)
    p.kill()
    sys.exit("bench: microvm did not come up: " + p.stderr.read().decode()[-500:])


def wait_for(p, pattern, timeout=600):
    end, buf = time.time() + timeout, b""
    while time.time() < end:
        chunk = os.read(p.stdout.fileno(), 65536)
        if not chunk:
            break
        buf += chunk
        if re.search(pattern.encode(), buf):
            return
    p.kill()
    sys.exit("bench: no /%s/ from the guest" % pattern)


def finish(p):
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def make_snapshot(microvm, guest, mem, cmdline, ready, snap, sock):
    shutil.rmtree(snap, ignore_errors=True)
    p = start(microvm, ["run", "--debug-exit", "--mem", mem, "--api-sock", sock,
                        "--cmdline", cmdline, guest], sock)
    wait_for(p, ready)
    t0 = time.time()
    r = ctl(microvm, sock, "snapshot", snap, "--paused")
    t = time.time() - t0
    if r.returncode:
        p.kill()
        sys.exit("bench: snapshot failed: " + r.stderr)
    ctl(microvm, sock, "quit")
    err = p.stderr.read().decode()
    finish(p)
    m = re.search(r"snapshot: wrote .* \((\d+) MiB of RAM, (\d+) MiB of data, \d+ vCPUs, ([0-9.]+) s\)", err)
    if not m:
        sys.exit("bench: no snapshot line in: " + err[-500:])
    return int(m.group(2)), float(m.group(3)), t


def first_byte_latency(argv, repeat):
    best = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        first = os.read(p.stdout.fileno(), 1)
        t = time.perf_counter() - t0
        p.kill()
        p.wait()
        if not first:
            sys.exit("bench: the guest printed nothing: %s" % " ".join(argv))
        best = t if best is None else min(best, t)
    return best


def dd(dirname, mib, direct):
    path = os.path.join(dirname, "dd.bin")
    args = ["dd", "if=/dev/zero", "of=" + path, "bs=4M", "count=%d" % max(1, mib // 4),
            "conv=fsync", "status=none"]
    # /dev/zero is not data a file system may skip; dd writes every block.
    if direct:
        args.append("oflag=direct")
    t0 = time.time()
    r = subprocess.run(args)
    t = time.time() - t0
    os.unlink(path)
    return t if r.returncode == 0 else None


def main():
    microvm, guest, d, repeat = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    os.makedirs(d, exist_ok=True)
    sock = os.path.join(d, "bench.sock")
    print("\nrestore latency: exec of `microvm restore` to the guest's first console byte, best of %d"
          % repeat)
    print("(a fresh boot of the same guest, `microvm run`, to its first byte for comparison)")
    print("\n| guest RAM | memory file data | restore | fresh boot |")
    print("|-----------|------------------|---------|------------|")
    for mem in ("256M", "4G"):
        snap = os.path.join(d, "snap-" + mem)
        data, _, _ = make_snapshot(microvm, guest, mem, "test=flood", "flood 100:", snap, sock)
        restore = first_byte_latency([microvm, "restore", snap], repeat)
        boot = first_byte_latency([microvm, "run", "--mem", mem, "--cmdline", "test=flood", guest],
                                  repeat)
        print("| %s | %d MiB | %.1f ms | %.1f ms |" % (mem, data, restore * 1000, boot * 1000))
        shutil.rmtree(snap)
    mem_mib = int(os.environ.get("BENCH_SNAP_MEM_MIB", "4096"))
    print("\nsnapshot-save of a %d MiB guest (test=counter fill=SIZE), best of %d, into %s"
          % (mem_mib, repeat, d))
    print("\n| data | MiB written | snapshot s | MB/s | dd O_DIRECT s | dd cached s |")
    print("|------|-------------|------------|------|---------------|-------------|")
    for pct in (10, 100):
        fill = "%dM" % (mem_mib * pct // 100)
        pct = "%d %%" % pct
        best = None
        for _ in range(repeat):
            snap = os.path.join(d, "snap-fill")
            data, secs, _ = make_snapshot(microvm, guest, "%dM" % mem_mib,
                                          "test=counter step=50 fill=%s" % fill,
                                          r"cpu=0 n=2 ", snap, sock)
            shutil.rmtree(snap)
            if best is None or secs < best[1]:
                best = (data, secs)
        data, secs = best
        t_direct = min(filter(None, (dd(d, data, True) for _ in range(repeat))), default=None)
        t_cached = min(filter(None, (dd(d, data, False) for _ in range(repeat))), default=None)
        print("| %s | %d | %.2f | %.0f | %s | %s |" % (
            pct, data, secs, data * 1.048576 / secs if secs else 0,
            "%.2f" % t_direct if t_direct else "n/a", "%.2f" % t_cached if t_cached else "n/a"))


if __name__ == "__main__":
    main()
