#!/usr/bin/env python3
# ldap_ranged.py: a minimal LDAPS server for one test, answering as Active
# Directory does with a multi-valued attribute longer than MaxValRange:
# "memberOf;range=0-2" with the first values, then the rest to base
# searches that ask for "memberOf;range=N-*". No server that runs here does
# that unasked (slapd has no ranges, Samba ranges only what is asked in
# ranges), so this one stands in for it, for this alone: simple binds are
# all accepted, a subtree search returns every user, a base search returns
# that user's next range, and nothing else is understood. Every search's
# base and attributes go to LOG, one line each. With --hostile a third
# user holds what a broken or hostile server may send and slapd would not
# store: a value that is not UTF-8, one holding a NUL, one over 64 KiB,
# and an attribute of 100 001 values.
#
#   ldap_ranged.py --cert C --key K --portfile F --log LOG --base DN
#       [--hostile]
import argparse
import socketserver
import ssl
import sys
import threading

RANGE = 3       # values per answer (Active Directory's MaxValRange: 1500)


def tlv(tag, content):
    n = len(content)
    if n < 0x80:
        head = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        head = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + head + content


def octets(s):
    return tlv(0x04, s if isinstance(s, bytes) else s.encode())


def integer(v):
    b = v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big", signed=True)
    return tlv(0x02, b)


def enum(v):
    return tlv(0x0A, bytes([v]))


def result(tag, msgid, code=0, diag=""):
    body = enum(code) + octets("") + octets(diag)
    return tlv(0x30, integer(msgid) + tlv(tag, body))


def entry(msgid, dn, attrs):
    al = b""
    for name, vals in attrs:
        al += tlv(0x30, octets(name) + tlv(0x31, b"".join(
            octets(v) for v in vals)))
    return tlv(0x30, integer(msgid) + tlv(0x64, octets(dn) + tlv(0x30, al)))


def parse(buf):
    """One TLV at the start of buf: (tag, content, rest)."""
    tag, n = buf[0], buf[1]
    i = 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(buf[2:2 + k], "big")
        i = 2 + k
    return tag, buf[i:i + n], buf[i + n:]


def read_message(f):
    head = f.read(2)
    if len(head) < 2:
        return None
    n = head[1]
    extra = b""
    if n & 0x80:
        extra = f.read(n & 0x7F)
        n = int.from_bytes(extra, "big")
    return head + extra + f.read(n)


def users(base):
    """Two users: one in eight groups (three answers), one in two."""
    groups = ["CN=Group %02d,OU=Groups,%s" % (i, base) for i in range(8)]
    return [
        ("CN=Rana Amin,OU=Staff," + base, b"\x01" * 16, "ramin", "Rana",
         "Amin", groups),
        ("CN=Ola Berg,OU=Staff," + base, b"\x02" * 16, "oberg", "Ola",
         "Berg", groups[:2]),
    ]


def hostile(base):
    """The attributes of a user whose values a reader must refuse; the
    addresses are of base's domain (DC=btuh,DC=test: btuh.test)."""
    domain = ".".join(p.split("=", 1)[1] for p in base.split(","))
    mails = ["smtp:hk%06d@%s" % (i, domain) for i in range(100001)]
    mails[0] = "SMTP:hana.kovac@%s" % domain
    return [("objectGUID", [b"\x03" * 16]), ("sAMAccountName", ["hkovac"]),
            ("givenName", ["Hana"]), ("sn", ["Kovac"]),
            ("displayName", [b"Hana \xff\xfe Kovac"]),
            ("title", [b"Ward\x00Sister"]),
            ("department", ["x" * (64 * 1024 + 1)]),
            ("proxyAddresses", mails),
            ("userAccountControl", ["512"])]


def main():
    ap = argparse.ArgumentParser()
    for a in ("--cert", "--key", "--portfile", "--log", "--base"):
        ap.add_argument(a, required=True)
    ap.add_argument("--hostile", action="store_true")
    args = ap.parse_args()
    log_lock = threading.Lock()
    people = users(args.base)
    bad_dn = "CN=Hana Kovac,OU=Staff," + args.base

    def log(line):
        with log_lock, open(args.log, "a") as fp:
            fp.write(line + "\n")

    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            while True:
                msg = read_message(self.rfile)
                if msg is None:
                    return
                _, body, _ = parse(msg)
                _, idb, rest = parse(body)
                msgid = int.from_bytes(idb, "big", signed=True)
                op, content, _ = parse(rest)
                if op == 0x60:                  # bind
                    self.wfile.write(result(0x61, msgid))
                elif op == 0x42:                # unbind
                    return
                elif op == 0x63:                # search
                    self.search(msgid, content)
                else:
                    log("unknown operation 0x%02x" % op)
                    return
                self.wfile.flush()

        def search(self, msgid, content):
            fields = []
            while content:
                tag, value, content = parse(content)
                fields.append((tag, value))
            base = fields[0][1].decode()
            scope = fields[1][1][0]
            attrs = []
            rest = fields[7][1]
            while rest:
                _, value, rest = parse(rest)
                attrs.append(value.decode())
            log("search %s scope %d %s" % (base, scope, " ".join(attrs)))
            out = b""
            for dn, guid, sam, given, sn, groups in people:
                if scope == 0 and dn.lower() != base.lower():
                    continue
                if scope == 0:
                    # The next range of memberOf, as asked.
                    for a in attrs:
                        name, _, spec = a.partition(";range=")
                        if name.lower() != "memberof" or not spec:
                            continue
                        low = int(spec.split("-")[0])
                        high = low + RANGE - 1
                        if high >= len(groups) - 1:
                            desc = "memberOf;range=%d-*" % low
                        else:
                            desc = "memberOf;range=%d-%d" % (low, high)
                        out += entry(msgid, dn, [(desc, groups[low:high + 1])])
                    continue
                values = [("objectGUID", [guid]), ("sAMAccountName", [sam]),
                          ("givenName", [given]), ("sn", [sn]),
                          ("displayName", [given + " " + sn]),
                          ("userAccountControl", ["512"])]
                if len(groups) > RANGE:
                    values.append(("memberOf;range=0-%d" % (RANGE - 1),
                                   groups[:RANGE]))
                else:
                    values.append(("memberOf", groups))
                out += entry(msgid, dn, values)
            if args.hostile and scope != 0:
                out += entry(msgid, bad_dn, hostile(args.base))
            self.wfile.write(out + result(0x65, msgid))

    class Server(socketserver.ThreadingTCPServer):
        allow_reuse_address = True
        daemon_threads = True

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    srv = Server(("127.0.0.1", 0), Handler)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(args.portfile + ".tmp", "w") as fp:
        fp.write("%d\n" % srv.server_address[1])
    import os
    os.rename(args.portfile + ".tmp", args.portfile)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
