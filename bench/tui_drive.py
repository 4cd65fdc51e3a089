#!/usr/bin/env python3
# tui_drive.py: for bench/tui.sh: fills a collector with an estate of N
# hosts, and drives the real ward dashboard in a pseudo-terminal, timing
# its first paints and each keystroke's redraw from the bytes it writes.
import json
import os
import pty
import re
import select
import signal
import ssl
import statistics
import struct
import sys
import termios
import fcntl
import time
import urllib.request

DATACENTRES = ["basildon", "southend", "orsett", "thurrock", "broomfield",
               "colchester", "harlow", "chelmsford"]


def fill(url, ca, token_file, n):
    """n hosts in bodies of 250 reports through the ingest API."""
    token = open(token_file).read().strip()
    ctx = ssl.create_default_context(cafile=ca)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    batch = []

    def send():
        req = urllib.request.Request(
            url + "/api/v1/reports", data=json.dumps(batch).encode(),
            headers={"Authorization": "Bearer " + token,
                     "Content-Type": "application/json"})
        with urllib.request.urlopen(req, context=ctx, timeout=120) as r:
            reply = json.load(r)
        if reply.get("accepted") != len(batch):
            sys.exit("tui_drive: the collector accepted %r of %d" %
                     (reply.get("accepted"), len(batch)))
        batch.clear()

    for i in range(1, n + 1):
        kind = "switch" if i % 50 == 0 else "ups" if i % 97 == 0 else \
            "server"
        batch.append({
            "schema": 1, "agent": {"id": "bench-tui-%05d" % i}, "seq": 1,
            "ts": now,
            "host": {
                "name": "srv-%05d" % i,
                "fqdn": "srv-%05d.btuh.test" % i,
                "datacentre": DATACENTRES[i % len(DATACENTRES)],
                "kind": kind, "vendor": "Dell Inc.",
                "model": "PowerEdge R%d40" % (6 + i % 3),
                "serial": "SN%07d" % i,
                "addresses": ["10.%d.%d.%d" % (i // 65536, i // 256 % 256,
                                               i % 256)],
                "os": {"id": "rhel", "version_id": "8.%d" % (i % 10),
                       "pretty_name": "Red Hat Enterprise Linux 8.%d "
                                      "(Ootpa)" % (i % 10)},
                "uptime_s": 86400 * (i % 400),
            },
            "metrics": [
                {"name": "cpu.util", "value": i % 100, "unit": "percent"},
                {"name": "mem.used_pct", "value": (i * 7) % 100,
                 "unit": "percent"},
            ],
            "checks": [{"name": "ntp", "status": 0,
                        "output": "NTP OK: offset 0.001"}],
        })
        if len(batch) == 250:
            send()
    if batch:
        send()


ANSI = re.compile(rb"\x1b(\[[0-9;?]*[ -/]*[@-~]|[()][0-9A-B]|[=>78])")


class Term:
    """ward on the slave side of a pty of a fixed size."""

    def __init__(self, argv, cols, rows):
        self.t0 = time.perf_counter()
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            fcntl.ioctl(0, termios.TIOCSWINSZ,
                        struct.pack("HHHH", rows, cols, 0, 0))
            os.execv(argv[0], argv)
        self.seen = b""

    def read_until(self, text, timeout=120.0):
        """Seconds from now until text is on screen (escapes ignored)."""
        start = time.perf_counter()
        self.seen = b""
        while True:
            left = start + timeout - time.perf_counter()
            if left <= 0:
                sys.exit("tui_drive: %r did not appear; last output: %r" %
                         (text, ANSI.sub(b"", self.seen)[-400:]))
            r, _, _ = select.select([self.fd], [], [], left)
            if not r:
                continue
            data = os.read(self.fd, 1 << 16)
            self.seen += data
            if text.encode() in ANSI.sub(b"", self.seen):
                return time.perf_counter() - start

    def drain(self, quiet=0.2):
        while select.select([self.fd], [], [], quiet)[0]:
            os.read(self.fd, 1 << 16)

    def key(self, k, quiet=0.03):
        """Seconds from the key to the last byte of the redraw it
        caused (a burst ends after quiet seconds without output), and the
        bytes written."""
        self.drain(0.05)
        os.write(self.fd, k)
        start = time.perf_counter()
        last = None
        n = 0
        while True:
            r, _, _ = select.select([self.fd], [], [],
                                    quiet if last else 1.0)
            if not r:
                break
            data = os.read(self.fd, 1 << 16)
            n += len(data)
            last = time.perf_counter()
        return (last - start if last else None), n

    def hwm_kib(self):
        for line in open("/proc/%d/status" % self.pid):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        return 0

    def quit(self):
        os.write(self.fd, b"q")
        for _ in range(50):
            pid, _ = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return
            time.sleep(0.1)
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)


# Each presses its keys in turn, so every press changes the screen.
KEYS = [("j (down a line)", [b"j"]), ("PgDn (a page)", [b"\x1b[6~"]),
        ("G, g (last, first host)", [b"G", b"g"]),
        ("s (sort by the next column)", [b"s"])]


def drive(ward, n, cols, rows, presses):
    t = Term([ward, "-d", "3600"], cols, rows)
    first = t.read_until("hosts %d" % n)
    t.drain()
    os.write(t.fd, b"2")
    hosts = t.read_until("1/%d" % n)
    t.drain()
    out = {"overview_s": first, "hosts_s": hosts, "keys": {}}
    for name, ks in KEYS:
        times, sizes = [], []
        for i in range(presses):
            s, b = t.key(ks[i % len(ks)])
            if s is not None:
                times.append(s)
                sizes.append(b)
        times.sort()
        out["keys"][name] = {
            "median_ms": 1000 * statistics.median(times) if times else None,
            "p90_ms": 1000 * times[int(0.9 * (len(times) - 1))]
            if times else None,
            "bytes": int(statistics.median(sizes)) if sizes else 0,
            "n": len(times)}
    out["hwm_kib"] = t.hwm_kib()
    t.quit()
    return out


def parse(files):
    """Seconds python takes to load the pages and join their hosts."""
    start = time.perf_counter()
    hosts = []
    for f in files:
        with open(f, "rb") as fp:
            hosts.extend(json.load(fp)["hosts"])
    return time.perf_counter() - start, len(hosts)


def main():
    if sys.argv[1] == "fill":
        fill(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    elif sys.argv[1] == "drive":
        print(json.dumps(drive(sys.argv[2], int(sys.argv[3]),
                               int(sys.argv[4]), int(sys.argv[5]),
                               int(sys.argv[6]))))
    elif sys.argv[1] == "parse":
        s, n = parse(sys.argv[2:])
        print(json.dumps({"parse_s": s, "hosts": n}))
    else:
        sys.exit("usage: tui_drive.py fill|drive|parse ...")


if __name__ == "__main__":
    main()
