#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Connect attempts across a daemon restart: resolve NAME through the
system's resolver (the answer is what taints the address), then try a TCP
connect to it on port 25 every 20 ms until the file STOP exists (at most
SECONDS), one line per attempt: "<unix time> <errno name or OK>".  The
first line is "resolved <address>"."""
import errno
import os
import socket
import sys
import time

name, stop, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
addr = socket.getaddrinfo(name, 25, socket.AF_INET, socket.SOCK_STREAM)[0][4][0]
print('resolved', addr, flush=True)
end = time.monotonic() + seconds
while time.monotonic() < end and not os.path.exists(stop):
    s = socket.socket()
    s.settimeout(2)
    try:
        s.connect((addr, 25))
        r = 'OK'
    except OSError as e:
        r = errno.errorcode.get(e.errno, str(e.errno)) if e.errno else 'timeout'
    finally:
        s.close()
    print('%.3f %s' % (time.time(), r), flush=True)
    time.sleep(0.02)
