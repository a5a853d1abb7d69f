#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""A submission client for tests/e2e/submit.sh: one SMTP transaction, each
reply printed as a JSON line ({"step", "rcpt", "code", "text", "ms"}), so
the suite can assert the exact code and text a recipient got.

usage: smtpc.py HOST PORT FROM ID RCPT...   (DATA only if a RCPT was taken)
"""
import json
import smtplib
import sys
import time


def main():
    host, port, sender, ident = sys.argv[1:5]
    rcpts = sys.argv[5:]
    out = lambda **r: print(json.dumps(r, sort_keys=True), flush=True)
    s = smtplib.SMTP(host, int(port), timeout=30)
    s.ehlo("client.test")
    code, text = s.mail(sender)
    out(step="mail", code=code, text=text.decode())
    taken = 0
    for r in rcpts:
        t0 = time.monotonic()
        code, text = s.rcpt(r)
        out(step="rcpt", rcpt=r, code=code, text=text.decode(),
            ms=int((time.monotonic() - t0) * 1000))
        taken += code // 100 == 2
    if taken:
        msg = ("From: %s\r\nTo: %s\r\nSubject: e2e %s\r\n"
               "Message-ID: <%s@e2e.test>\r\nX-E2E-Id: %s\r\n\r\n"
               "Test message %s.\r\n" % (sender, ", ".join(rcpts), ident,
                                          ident, ident, ident))
        code, text = s.data(msg)
        out(step="data", code=code, text=text.decode())
    s.quit()


if __name__ == "__main__":
    main()
