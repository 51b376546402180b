#!/usr/bin/env python3
"""A small QMP client for the integration tests (Debian 12 ships no QMP
client library: `apt-cache search qmp` finds none). It speaks the protocol
as QEMU documents it: greeting, qmp_capabilities, one JSON object per
command, replies matched by "id", events kept aside.

Usage as a script: qmp_client.py SOCKET SCENARIO [ARGS...]; each scenario
prints what it checked and exits non-zero on the first failure.
"""
import json
import os
import socket
import sys
import time


class QMPError(Exception):
    pass


class QMP:
    def __init__(self, path, timeout=30.0, negotiate=True):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""
        self.events = []
        self.greeting = self.recv()
        if "QMP" not in self.greeting:
            raise QMPError("no greeting: %r" % self.greeting)
        self.next_id = 0
        if negotiate:
            self.cmd("qmp_capabilities")

    def close(self):
        self.sock.close()

    def send_raw(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def recv(self):
        """The next message (reply or event), or None at EOF."""
        while b"\n" not in self.buf:
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:  # closed with our unread input pending
                return None
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def reply(self, want_id=None):
        while True:
            m = self.recv()
            if m is None:
                raise QMPError("connection closed before the reply")
            if "event" in m:
                self.events.append(m)
                continue
            if want_id is None or m.get("id") == want_id:
                return m

    def execute(self, name, args=None):
        """The whole reply object: {"return": ...} or {"error": ...}."""
        self.next_id += 1
        req = {"execute": name, "id": self.next_id}
        if args is not None:
            req["arguments"] = args
        self.send_raw(json.dumps(req) + "\n")
        return self.reply(self.next_id)

    def cmd(self, name, args=None):
        r = self.execute(name, args)
        if "error" in r:
            raise QMPError("%s: %s" % (name, r["error"]))
        return r["return"]

    def wait_event(self, name, timeout=60.0):
        end = time.time() + timeout
        while True:
            for i, e in enumerate(self.events):
                if e["event"] == name:
                    return self.events.pop(i)
            if time.time() > end:
                raise QMPError("no %s event within %.0f s (saw %s)" %
                               (name, timeout, [e["event"] for e in self.events]))
            m = self.recv()
            if m is None:
                raise QMPError("connection closed while waiting for %s" % name)
            if "event" in m:
                self.events.append(m)


def check(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)
    print("ok:", what)


def expect_error(q, name, args, cls, desc_part):
    r = q.execute(name, args)
    check("error" in r and r["error"]["class"] == cls and desc_part in r["error"]["desc"],
          "%s %s -> %s error mentioning %r (got %s)" % (name, json.dumps(args), cls, desc_part, r))


def scenario_errors(path):
    """Every error case of the protocol; the VM keeps running through all."""
    q = QMP(path, negotiate=False)
    check(q.greeting["QMP"]["version"]["package"].startswith("microvm"), "greeting names microvm")
    expect_error(q, "query-status", None, "CommandNotFound", "qmp_capabilities")
    q.cmd("qmp_capabilities")
    expect_error(q, "no-such-command", None, "CommandNotFound", "query-commands")
    expect_error(q, "dump-guest-memory", {"paging": False}, "GenericError", "'protocol' is missing")
    expect_error(q, "dump-guest-memory", {"paging": "no", "protocol": "file:/x"}, "GenericError",
                 "expected: boolean")
    expect_error(q, "stop", {"bogus": 1}, "GenericError", "'bogus' is unexpected")
    expect_error(q, "dump-guest-memory", {"paging": True, "protocol": "file:/tmp/x"},
                 "GenericError", "paging")
    expect_error(q, "dump-guest-memory", {"paging": False, "protocol": "fd:3"}, "GenericError",
                 "file:PATH")
    expect_error(q, "snapshot-save", {"path": "/"}, "GenericError", "exists")
    # Malformed JSON and a non-object: an error each, the connection stays.
    q.send_raw('{"execute": "query-status",,}\n')
    m = q.reply()
    check("error" in m and "JSON parse error" in m["error"]["desc"], "malformed JSON -> error")
    q.send_raw('[1, 2, 3]\n')
    m = q.reply()
    check("error" in m and "JSON object" in m["error"]["desc"], "an array -> error")
    # A command split in three pieces, and two in one write.
    q.send_raw('{"execute": "query-')
    time.sleep(0.1)
    q.send_raw('status", "id"')
    time.sleep(0.1)
    q.send_raw(': "split"}\n{"execute": "query-status", "id": "second"}\n')
    check(q.reply("split")["return"]["status"] == "running", "split command answered")
    check(q.reply("second")["return"]["status"] == "running", "batched command answered")
    # A flood: 5000 commands in one go, all answered in order.
    q.send_raw("".join('{"execute": "query-status", "id": %d}\n' % i for i in range(5000)))
    got = [q.reply()["id"] for _ in range(5000)]
    check(got == list(range(5000)), "a flood of 5000 commands answered in order")
    # Several clients at once.
    others = [QMP(path) for _ in range(4)]
    for o in others:
        check(o.cmd("query-status")["running"], "another client is served")
    for o in others:
        o.close()
    # A client that disconnects in the middle of a command.
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect(path)
    c.sendall(b'{"execute": "qmp_capabilities"}\n{"execute": "query-sta')
    c.close()
    # A line over the limit: told so, then dropped.
    big = QMP(path)
    big.send_raw('{"execute": "query-status", "arguments": {"x": "' + "a" * 70000)
    m = big.recv()
    check(m is not None and "error" in m and "longer than" in m["error"]["desc"],
          "an over-long command -> error")
    check(big.recv() is None, "... and the connection is closed")
    check(q.cmd("query-status")["running"], "the first client still works, the VM still runs")
    q.close()


def scenario_lifecycle(path, dumpfile):
    """stop/cont/reset/dump with their events; ends with quit."""
    q = QMP(path)
    names = [c["name"] for c in q.cmd("query-commands")]
    for n in ("query-status", "stop", "cont", "system_reset", "system_powerdown", "quit",
              "dump-guest-memory", "query-dump", "snapshot-save", "query-vmcoreinfo"):
        check(n in names, "query-commands lists " + n)
    check(q.cmd("query-version")["package"].startswith("microvm"), "query-version")
    q.cmd("stop")
    q.wait_event("STOP")
    check(q.cmd("query-status") == {"running": False, "singlestep": False, "status": "paused"},
          "stop -> STOP, status paused")
    q.cmd("cont")
    q.wait_event("RESUME")
    check(q.cmd("query-status")["status"] == "running", "cont -> RESUME, status running")
    q.cmd("system_reset")
    e = q.wait_event("RESET")
    check(e["data"] == {"guest": False, "reason": "host-qmp-system-reset"}, "system_reset -> RESET")
    q.cmd("system_powerdown")
    q.wait_event("POWERDOWN")
    check(q.cmd("query-status")["status"] == "running",
          "system_powerdown -> POWERDOWN (the test guest ignores the button)")
    check(q.cmd("query-dump")["status"] == "none", "query-dump before any dump: none")
    q.cmd("dump-guest-memory", {"paging": False, "protocol": "file:" + dumpfile})
    e = q.wait_event("DUMP_COMPLETED")
    check(e["data"]["result"]["status"] == "completed", "dump -> DUMP_COMPLETED completed")
    check(os.path.getsize(dumpfile) > 0, "the dump file exists")
    check(q.cmd("query-status")["status"] == "running", "the VM runs again after the dump")
    os.unlink(dumpfile)
    q.cmd("dump-guest-memory", {"paging": False, "protocol": "file:" + dumpfile, "detach": True})
    e = q.wait_event("DUMP_COMPLETED")
    d = q.cmd("query-dump")
    check(d["status"] == "completed" and d["completed"] == d["total"] and d["total"] > 0,
          "detached dump: query-dump completed %d of %d" % (d["completed"], d["total"]))
    check(q.cmd("query-status")["status"] == "running", "the VM runs again after the detached dump")
    q.cmd("quit")
    e = q.wait_event("SHUTDOWN")
    check(e["data"] == {"guest": False, "reason": "host-qmp-quit"}, "quit -> SHUTDOWN host-qmp-quit")
    q.close()


def scenario_cmd(path, name, args_json):
    q = QMP(path)
    args = json.loads(args_json) if args_json else None
    print(json.dumps(q.cmd(name, args)))
    q.close()


def main():
    path, scenario = sys.argv[1], sys.argv[2]
    for _ in range(100):  # the socket appears once microvm is up
        if os.path.exists(path):
            break
        time.sleep(0.1)
    if scenario == "errors":
        scenario_errors(path)
    elif scenario == "lifecycle":
        scenario_lifecycle(path, sys.argv[3])
    elif scenario == "cmd":
        scenario_cmd(path, sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None)
    else:
        sys.exit("unknown scenario " + scenario)


if __name__ == "__main__":
    main()
