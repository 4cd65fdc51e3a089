#!/usr/bin/env python3
# eol_api_rx.py: an endoflife.date API v1 stand-in for the integration
# tests. Listens on 127.0.0.1 over TLS (a free port, written to PORTFILE
# once listening) and answers GET /api/v1/products/NAME from DIR/NAME.json,
# the way the real API does: an ETag, 304 to a matching If-None-Match.
# DIR/NAME.mode, when present, makes it misbehave instead:
#   301 TARGET   a redirect to /api/v1/products/TARGET
#   404html      404 with an HTML page, as a web server's error page is
#   429          429 with Retry-After: 1, every time
#   429once      429 with Retry-After: 1 the first time, then as normal
#   truncated    200 with the first half of the JSON (a cut connection)
#   500          500 with a text body
# Every request is appended to LOG as one JSON line.
import argparse
import hashlib
import json
import os
import ssl
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--portfile", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    args = ap.parse_args()
    seen = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def reply(self, status, body, ctype, headers=()):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            with open(args.log, "a", encoding="utf-8") as f:
                f.write(json.dumps({
                    "path": self.path,
                    "if_none_match": self.headers.get("If-None-Match"),
                    "user_agent": self.headers.get("User-Agent"),
                }) + "\n")
            prefix = "/api/v1/products/"
            if not self.path.startswith(prefix):
                self.reply(404, b'{"error":"no such route"}',
                           "application/json")
                return
            name = self.path[len(prefix):]
            if "/" in name or name.startswith("."):
                self.reply(400, b"bad name", "text/plain")
                return
            try:
                with open(os.path.join(args.dir, name + ".mode"),
                          encoding="ascii") as f:
                    mode = f.read().split()
            except FileNotFoundError:
                mode = ["ok"]
            n = seen[name] = seen.get(name, 0) + 1
            if mode[0] == "301":
                self.reply(301, b"moved", "text/plain",
                           [("Location", prefix + mode[1])])
                return
            if mode[0] == "404html":
                self.reply(404, b"<html><body><h1>Not Found</h1></body>"
                           b"</html>", "text/html; charset=utf-8")
                return
            if mode[0] == "429" or (mode[0] == "429once" and n == 1):
                self.reply(429, b"slow down", "text/plain",
                           [("Retry-After", "1")])
                return
            if mode[0] == "500":
                self.reply(500, b"internal error", "text/plain")
                return
            try:
                with open(os.path.join(args.dir, name + ".json"),
                          "rb") as f:
                    body = f.read()
            except FileNotFoundError:
                self.reply(404, b'{"message":"Product not found"}',
                           "application/json")
                return
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if mode[0] == "truncated":
                self.reply(200, body[:len(body) // 2], "application/json")
                return
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.reply(200, body, "application/json", [("ETag", etag)])

        def log_message(self, fmt, *a):
            sys.stderr.write("eol_api_rx: " + (fmt % a) + "\n")

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(args.portfile + ".tmp", "w", encoding="ascii") as f:
        f.write(str(srv.server_address[1]))
    os.rename(args.portfile + ".tmp", args.portfile)
    srv.serve_forever()


if __name__ == "__main__":
    main()
