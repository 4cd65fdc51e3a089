#!/usr/bin/env python3
# smtp_rx.py: an SMTP server for the integration tests, on aiosmtpd, at
# 127.0.0.1:PORT: STARTTLS required before MAIL with --cert (without, none
# is offered), login required with --user (password from --password-file),
# every message appended to LOG as one JSON line (envelope and raw text).
import argparse
import json
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--user")
    ap.add_argument("--password-file")
    ap.add_argument("--ready", required=True)
    args = ap.parse_args()
    password = None
    if args.password_file:
        with open(args.password_file, encoding="utf-8") as f:
            password = f.read().strip()

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            rec = {
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "tls": session.ssl is not None,
                "login": session.auth_data.decode()
                if isinstance(session.auth_data, bytes)
                else session.auth_data,
                "data": envelope.content.decode("utf-8", "replace"),
            }
            with open(args.log, "a", encoding="utf-8") as f:
                f.write(json.dumps(rec) + "\n")
            return "250 OK"

    def authenticator(server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        ok = (auth_data.login.decode() == args.user and
              auth_data.password.decode() == password)
        return AuthResult(success=ok, auth_data=auth_data.login)

    kw = {}
    # Without a certificate: a server that cannot do STARTTLS at all.
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        kw.update(tls_context=ctx, require_starttls=True)
    if args.user:
        kw.update(authenticator=authenticator, auth_required=True)
    c = Controller(Handler(), hostname="127.0.0.1", port=args.port, **kw)
    c.start()
    with open(args.ready, "w", encoding="ascii") as f:
        f.write("ready\n")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        c.stop()


if __name__ == "__main__":
    sys.exit(main())
