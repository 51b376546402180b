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

Once a second (WITH_KVM_WATCHDOG_PERIOD) this reads each vCPU's
RFLAGS and local APIC through the monitor; when the same vCPU shows a
deliverable pending vector in two samples in a row, it sends the key press
and appends one line to LOG.
It exits when the monitor closes (the VM has stopped).

RFLAGS.IF=0 does not mean the vector is masked. While the vCPU runs a
nested guest (microvm's guest, under the VM's KVM), the monitor shows that
guest's RFLAGS, and the VM's own interrupts stay deliverable (SVM's
V_INTR_MASKING: they exit to the VM's KVM whatever the guest's IF). A
nested guest spinning with its interrupts off (one vCPU waiting for a
spinlock, or in stop_machine, for another vCPU thread that only the VM's
timer tick can schedule) then waits for good. So a vector pending with
IF=0 is also woken, after three samples instead of two: a kernel with
interrupts off for that long is stuck anyway, and the key press is
harmless to it.
"""
import os
import re
import socket
import sys
import time

PROMPT = b"(qemu) "
# Seconds between samples. Each wake-up costs the VM at least one period
# of standing still, but sampling more often did not pay: the stock-Linux
# dump test (2 vCPUs) took 127, 128, 141 and 168 s at 1 s, 176 and 179 s
# at 0.5 s with about twice the wake-ups (each sample stops the vCPU for
# three monitor commands).
PERIOD = float(os.environ.get("WITH_KVM_WATCHDOG_PERIOD", "1"))


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
    """(vector, IF) for the pending vector this vCPU's local APIC would
    deliver now, IF being RFLAGS.IF as the monitor shows it; or None."""
    m = re.search(r"RFL=([0-9a-f]+)", regs)
    ppr = re.search(r"PPR 0x([0-9a-f]+)", lapic)
    irr, isr = vectors(lapic, "IRR"), vectors(lapic, "ISR")
    if not m or not ppr or not irr:
        return None
    top = max(irr)
    if top >> 4 <= int(ppr.group(1), 16) >> 4:
        return None
    if isr and max(isr) >> 4 >= top >> 4:
        return None
    return top, bool(int(m.group(1), 16) & 0x200)


# Samples in a row before the key press: with IF=1, and with IF=0.
SAMPLES = {True: 2, False: 3}


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    try:
        mon = Monitor(argv[1])
        cpus = [int(c) for c in re.findall(r"CPU #(\d+)", mon.cmd("info cpus"))] or [0]
        seen = {}  # cpu -> (vector, samples in a row)
        while True:
            time.sleep(PERIOD)
            for cpu in cpus:
                mon.cmd("cpu %d" % cpu)
                got = stuck_vector(mon.cmd("info registers"), mon.cmd("info lapic"))
                if got is None:
                    seen.pop(cpu, None)
                    continue
                vec, flag_if = got
                last, n = seen.get(cpu, (None, 0))
                n = n + 1 if last == vec else 1
                if n >= SAMPLES[flag_if]:
                    mon.cmd("sendkey shift")
                    with open(argv[2], "a") as log:
                        log.write("%s vCPU %d: vector %d pending and deliverable in %d samples "
                                  "%.1f s apart (RFLAGS.IF=%d), not taken: sent a key press "
                                  "to wake it\n" % (time.strftime("%H:%M:%S"), cpu, vec, n,
                                                      PERIOD, flag_if))
                    n = 0
                seen[cpu] = (vec, n)
    except (OSError, EOFError):
        return 0  # the VM is gone
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
