#!/usr/bin/env python3
# webhook_rx.py: a webhook receiver for the integration tests. Listens on
# 127.0.0.1 (a free port, written to PORTFILE once listening), optionally
# over TLS, appends every request to LOG as one JSON line, and answers with
# the status in STATUSFILE (200 when the file is absent).
import argparse
import json
import ssl
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--portfile", required=True)
    ap.add_argument("--statusfile", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n).decode("utf-8", "replace")
            rec = {
                "path": self.path,
                "authorization": self.headers.get("Authorization"),
                "content_type": self.headers.get("Content-Type"),
                "body": body,
            }
            with open(args.log, "a", encoding="utf-8") as f:
                f.write(json.dumps(rec) + "\n")
            try:
                with open(args.statusfile, encoding="ascii") as f:
                    status = int(f.read().strip() or "200")
            except FileNotFoundError:
                status = 200
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, fmt, *a):
            sys.stderr.write("webhook_rx: " + (fmt % a) + "\n")

    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(args.portfile + ".tmp", "w", encoding="ascii") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(args.portfile + ".tmp", args.portfile)
    srv.serve_forever()


if __name__ == "__main__":
    main()
