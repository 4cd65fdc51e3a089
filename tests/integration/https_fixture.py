#!/usr/bin/env python3
# https_fixture.py: the web servers ward-netpoll's URL checks are tested
# against. On 127.0.0.1, free ports: one HTTPS server per certificate in DIR
# (NAME.crt with NAME.key, for each NAME given) and one plain HTTP server,
# all answering the same paths. Writes "NAME PORT" lines (and "plain PORT")
# to PORTFILE once every server listens.
import argparse
import os
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# path -> (status, body); /slow answers after SLOW_S seconds.
PAGES = {
    "/ok": (200, b"status: healthy\n"),
    "/error": (500, b"internal error\n"),
    "/maintenance": (200, b"down for maintenance\n"),
    # The word a check looks for, only after 64 KiB of padding.
    "/big": (200, b"x" * 65536 + b"\nstatus: healthy\n"),
    "/slow": (200, b"status: healthy\n"),
}
SLOW_S = 5


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        # The handshake in this connection's thread, not in accept(): a
        # client that stalls in it must not hold up the others.
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()
        super().setup()

    def do_GET(self):
        status, body = PAGES.get(self.path, (404, b"no such page\n"))
        if self.path == "/slow":
            time.sleep(SLOW_S)
        try:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            # The checker gave up first (a timeout, or enough body read).
            pass

    def log_message(self, fmt, *a):
        sys.stderr.write("https_fixture: %s %s\n" % (
            self.server.server_port, fmt % a))


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that drops the connection mid-handshake (a failed
        # verification) is expected here, not a traceback.
        sys.stderr.write("https_fixture: %s: %s\n" % (
            self.server_port, sys.exc_info()[1]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--portfile", required=True)
    ap.add_argument("names", nargs="+")
    args = ap.parse_args()

    servers = []
    for name in args.names:
        srv = Server(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(args.dir, name + ".crt"),
                            os.path.join(args.dir, name + ".key"))
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True,
                                     do_handshake_on_connect=False)
        servers.append((name, srv))
    servers.append(("plain", Server(("127.0.0.1", 0), Handler)))

    tmp = args.portfile + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        for name, srv in servers:
            f.write("%s %d\n" % (name, srv.server_port))
    os.rename(tmp, args.portfile)

    threads = []
    for _, srv in servers:
        t = threading.Thread(target=srv.serve_forever, daemon=True)
        t.start()
        threads.append(t)
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
