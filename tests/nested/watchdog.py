#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Wakes the nested VM's CPU when QEMU's TCG loses its local APIC interrupt.

    tests/nested/watchdog.py MONITOR-SOCKET LOG

tests/with-kvm starts it beside the VM, on a monitor socket of its own.
QEMU's TCG (7.2 and 10.0 alike) can leave a vCPU with a vector pending in
its local APIC's IRR, deliverable (IF=1, above the PPR, nothing higher in
service), but with no interrupt request raised: the vCPU then halts for good
(or, with idle=poll, spins without taking it), and every timer in the VM
stops. Any interrupt that reaches that APIC from a device makes QEMU
re-evaluate it and deliver the lost vector; a key press on the VM's PS/2
keyboard (IRQ 1, routed to CPU 0) does, and the VM's Linux ignores it.

Once a second this reads each vCPU's RFLAGS and local APIC through the
monitor; when the same vCPU shows a deliverable pending vector in two
samples in a row, it sends the key press and appends one line to LOG.
It exits when the monitor closes (the VM has stopped).
"""
import os
import re
import socket
import sys
import time

PROMPT = b"(qemu) "
PERIOD = 1.0


class Monitor:
    def __init__(self, path):
        # The VM's QEMU creates the socket as it starts.
        deadline = time.time() + float(os.environ.get("WITH_KVM_WATCHDOG_WAIT", "60"))
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX)
                self.s.settimeout(10)
                self.s.connect(path)
                break
            except OSError:
                self.s.close()
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        self.buf = b""
        self.read_prompt()

    def read_prompt(self):
        while not self.buf.endswith(PROMPT):
            data = self.s.recv(65536)
            if not data:
                raise EOFError
            self.buf += data
        out, self.buf = self.buf, b""
        return out.decode(errors="replace")

    def cmd(self, line):
        self.s.sendall(line.encode() + b"\n")
        out = self.read_prompt()
        # HMP echoes the line with terminal escapes; the answer follows it.
        return out.split("\r\n", 1)[-1] if "\r\n" in out else out


def vectors(text, name):
    m = re.search(r"^%s\s+(.*)$" % name, text, re.M)
    if not m:
        return []
    return [int(v) for v in re.findall(r"\d+", m.group(1))]


def stuck_vector(regs, lapic):
    """The pending vector this vCPU should be taking now, or None."""
    m = re.search(r"RFL=([0-9a-f]+)", regs)
    ppr = re.search(r"PPR 0x([0-9a-f]+)", lapic)
    irr, isr = vectors(lapic, "IRR"), vectors(lapic, "ISR")
    if not m or not ppr or not irr or not int(m.group(1), 16) & 0x200:
        return None
    top = max(irr)
    if top >> 4 <= int(ppr.group(1), 16) >> 4:
        return None
    if isr and max(isr) >> 4 >= top >> 4:
        return None
    return top


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    try:
        mon = Monitor(argv[1])
        cpus = [int(c) for c in re.findall(r"CPU #(\d+)", mon.cmd("info cpus"))] or [0]
        seen = {}
        while True:
            time.sleep(PERIOD)
            for cpu in cpus:
                mon.cmd("cpu %d" % cpu)
                vec = stuck_vector(mon.cmd("info registers"), mon.cmd("info lapic"))
                if vec is not None and seen.get(cpu) == vec:
                    mon.cmd("sendkey shift")
                    with open(argv[2], "a") as log:
                        log.write("%s vCPU %d: vector %d pending and deliverable in two samples "
                                  "%.0f s apart, not taken: sent a key press to wake it\n"
                                  % (time.strftime("%H:%M:%S"), cpu, vec, PERIOD))
                    vec = None
                seen[cpu] = vec
    except (OSError, EOFError):
        return 0  # the VM is gone
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
