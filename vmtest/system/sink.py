#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The remote MX servers of the booted-system test: a minimal SMTP server on
ADDR:25 for each ADDR given, writing every message it accepts to DIR as
<n>.eml.  Bounded: at most 200 connections, 60 s idle per connection."""
import os
import socket
import sys
import threading

out = sys.argv[1]
addrs = sys.argv[2:]
os.makedirs(out, exist_ok=True)
lock = threading.Lock()
count = [0]


def serve(conn, local):
    conn.settimeout(60)
    f = conn.makefile('rwb')

    def say(line):
        f.write(line.encode() + b'\r\n')
        f.flush()

    say('220 %s ESMTP sink' % local)
    data, rcpts = None, []
    try:
        for raw in f:
            line = raw.decode('utf-8', 'replace').rstrip('\r\n')
            if data is not None:
                if line == '.':
                    with lock:
                        count[0] += 1
                        n = count[0]
                    with open(os.path.join(out, '%d.eml' % n), 'w') as m:
                        m.write('X-Sink: %s\nX-Rcpt: %s\n' % (local, ','.join(rcpts)))
                        m.write('\n'.join(data) + '\n')
                    data, rcpts = None, []
                    say('250 queued as %d' % n)
                else:
                    data.append(line[1:] if line.startswith('.') else line)
                continue
            verb = line[:4].upper()
            if verb in ('EHLO', 'HELO'):
                say('250 %s' % local)
            elif verb == 'MAIL':
                say('250 ok')
            elif verb == 'RCPT':
                rcpts.append(line[8:].strip())
                say('250 ok')
            elif verb == 'DATA':
                data = []
                say('354 go on')
            elif verb == 'QUIT':
                say('221 bye')
                break
            else:
                say('250 ok')
    except (OSError, ValueError):
        pass
    finally:
        conn.close()


def listen(s):
    for _ in range(200):
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c, s.getsockname()[0]),
                         daemon=True).start()


# Every socket bound before "ready": a bind that fails fails the start.
socks = []
for a in addrs:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a, 25))
    s.listen(16)
    socks.append(s)
threads = [threading.Thread(target=listen, args=(s,), daemon=True) for s in socks]
for t in threads:
    t.start()
print('ready', flush=True)
for t in threads:
    t.join()
