#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Helpers for the end-to-end suite (tests/e2e/run.sh) and `make demo`.

  notify-run  start a daemon with $NOTIFY_SOCKET and return once it says READY=1
  wait-exit   block until a process (not our child) has exited
  wait        block until a file holds N lines matching a pattern (inotify)
  select      select JSON lines (alerts, sink records, postqueue -j) by field
  before      compare an alert's @timestamp with a tcpdump -tt time
  sink        an SMTP sink that records every connection and message

Every wait is event-driven (a socket, an inotify watch) and bounded by a
timeout; nothing here sleeps to poll.
"""
import argparse
import ctypes
import datetime
import json
import os
import re
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time

# --- notify-run ----------------------------------------------------------


def notify_run(args):
    """Run CMD with NOTIFY_SOCKET set; print its pid once it sends READY=1.

    The child keeps running after we exit (the caller kills it by pid).  We
    fail, and kill it, if it exits or stays silent for --timeout seconds."""
    # A path, not an abstract name: abstract sockets belong to a network
    # namespace, and the daemon may run in another one.
    tmp = tempfile.mkdtemp(prefix="mxguard-e2e-notify-")
    path = os.path.join(tmp, "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    try:
        notify_wait(args, sock, path)
    finally:
        sock.close()
        os.unlink(path)
        os.rmdir(tmp)


def notify_wait(args, sock, path):
    env = dict(os.environ, NOTIFY_SOCKET=path)
    out = open(args.out, "ab") if args.out else subprocess.DEVNULL
    err = open(args.err, "ab") if args.err else subprocess.DEVNULL
    child = subprocess.Popen(args.cmd, env=env, stdout=out, stderr=err,
                             stdin=subprocess.DEVNULL)
    # A pidfd becomes readable when the child exits, so one select() waits
    # for either outcome.
    pidfd = os.pidfd_open(child.pid)
    deadline = time.monotonic() + args.timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            child.kill()
            sys.exit("notify-run: %s: no READY=1 within %gs"
                     % (args.cmd[0], args.timeout))
        ready, _, _ = select.select([sock, pidfd], [], [], left)
        if sock in ready:
            msg = sock.recv(4096).decode(errors="replace")
            if "READY=1" in msg.split("\n"):
                print(child.pid)
                return
        elif pidfd in ready:
            sys.exit("notify-run: %s exited with %d before READY=1"
                     % (args.cmd[0], child.wait()))


def wait_exit(args):
    """Wait until PID (not our child) has exited."""
    try:
        pidfd = os.pidfd_open(args.pid)
    except ProcessLookupError:
        return
    if not select.select([pidfd], [], [], args.timeout)[0]:
        sys.exit("wait-exit: pid %d still running after %gs"
                 % (args.pid, args.timeout))


# --- wait ----------------------------------------------------------------

IN_MODIFY = 0x002
IN_CLOSE_WRITE = 0x008
IN_MOVED_TO = 0x080
IN_CREATE = 0x100
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000


def json_field(obj, path):
    """a.b.0.c: keys of objects, indexes of lists."""
    for key in path.split("."):
        if isinstance(obj, list) and key.isdigit() and int(key) < len(obj):
            obj = obj[int(key)]
        elif isinstance(obj, dict) and key in obj:
            obj = obj[key]
        else:
            return None
    return obj


def json_match(line, conds):
    """Each condition is key=value (equal, or a member of a list), key~=regex
    (found in the value), or their negations key!=value and key!~=regex."""
    try:
        obj = json.loads(line)
    except ValueError:
        return False
    for cond in conds:
        key, want = cond.split("=", 1)
        negate = key.endswith("!") or key.endswith("!~")
        regex = key.endswith("~")
        got = json_field(obj, key.rstrip("!~"))
        vals = [str(g) for g in got] if isinstance(got, list) else \
            [] if got is None else [str(got)]
        if regex:
            hit = any(re.search(want, v) for v in vals)
        else:
            hit = want in vals
        if hit == negate:
            return False
    return True


def matching(path, skip, regex, conds):
    """Lines of path after the first `skip` that match."""
    try:
        if path == "-":
            lines = sys.stdin.read().splitlines()[skip:]
        else:
            with open(path, errors="replace") as f:
                lines = f.read().splitlines()[skip:]
    except FileNotFoundError:
        return []
    if regex is not None:
        pat = re.compile(regex)
        return [l for l in lines if pat.search(l)]
    return [l for l in lines if json_match(l, conds)]


def wait(args):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
    if fd < 0:
        sys.exit("wait: inotify_init1: %s" % os.strerror(ctypes.get_errno()))
    directory = os.path.dirname(os.path.abspath(args.file)).encode()
    if libc.inotify_add_watch(fd, directory, IN_MODIFY | IN_CLOSE_WRITE |
                              IN_MOVED_TO | IN_CREATE) < 0:
        sys.exit("wait: inotify_add_watch %s: %s"
                 % (directory, os.strerror(ctypes.get_errno())))
    deadline = time.monotonic() + args.timeout
    # The watch is in place before the first check, so no write is missed.
    while True:
        found = matching(args.file, args.skip, args.re, args.json)
        if len(found) >= args.count:
            return
        left = deadline - time.monotonic()
        if left <= 0:
            what = args.re if args.re is not None else " ".join(args.json)
            sys.exit("wait: %s: %d of %d lines matching '%s' after %gs"
                     % (args.file, len(found), args.count, what,
                        args.timeout))
        if select.select([fd], [], [], left)[0]:
            try:
                os.read(fd, 65536)
            except BlockingIOError:
                pass


# --- alerts --------------------------------------------------------------


def select_(args):
    found = matching(args.file, args.skip, None, args.conds)
    if args.count:
        print(len(found))
    elif args.get:
        for line in found:
            val = json_field(json.loads(line), args.get)
            print("" if val is None else val)
    elif args.pretty:
        for line in found:
            print(json.dumps(json.loads(line), indent=4))
    else:
        for line in found:
            print(line)


def epoch_us(stamp):
    """Microseconds since the epoch, from an alert's @timestamp
    (2026-11-23T00:17:07.366186Z) or from tcpdump -tt (1795393707.463216)."""
    if "T" in stamp:
        when = datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        delta = when - datetime.datetime(1970, 1, 1,
                                         tzinfo=datetime.timezone.utc)
        return (delta.days * 86400 + delta.seconds) * 10**6 + \
            delta.microseconds
    sec, _, frac = stamp.partition(".")
    return int(sec) * 10**6 + int((frac + "000000")[:6])


def before(args):
    """Succeed when FIRST is earlier than SECOND; print the margin in us."""
    margin = epoch_us(args.second) - epoch_us(args.first)
    print(margin)
    if margin <= 0:
        sys.exit(1)


# --- sink ----------------------------------------------------------------


class Recorder:
    """Appends one JSON object per line; each line is flushed at once so
    `wait` sees it."""

    def __init__(self, path):
        self.lock = threading.Lock()
        self.f = open(path, "a")

    def write(self, **rec):
        rec["t"] = "%.6f" % time.time()
        with self.lock:
            self.f.write(json.dumps(rec, sort_keys=True) + "\n")
            self.f.flush()


def smtp_session(conn, local, peer, rec):
    """Just enough SMTP for Postfix's client: EHLO, MAIL, RCPT, DATA, QUIT."""
    rec.write(event="connect", local=local[0], port=local[1], peer=peer[0])
    f = conn.makefile("rwb", buffering=0)
    reply = lambda s: f.write(s.encode() + b"\r\n")
    reply("220 sink.test ESMTP mxguard-e2e")
    mail_from, rcpts = None, []
    while True:
        line = f.readline(4096)
        if not line:
            break
        verb = line.decode(errors="replace").strip()
        cmd = verb[:4].upper()
        if cmd in ("EHLO", "HELO"):
            reply("250 sink.test")
        elif cmd == "MAIL":
            mail_from, rcpts = verb[10:].strip().split(" ")[0], []
            reply("250 2.1.0 Ok")
        elif cmd == "RCPT":
            rcpts.append(verb[8:].strip().split(" ")[0])
            reply("250 2.1.5 Ok")
        elif cmd == "DATA":
            reply("354 End data with <CR><LF>.<CR><LF>")
            body = []
            while True:
                l = f.readline(65536)
                if not l or l in (b".\r\n", b".\n"):
                    break
                body.append(l[1:] if l.startswith(b"..") else l)
            text = b"".join(body).decode(errors="replace")
            tag = re.search(r"^X-E2E-Id: *(\S+)", text, re.M | re.I)
            # What mxguard's submission integrations add (issue 10).
            marks = re.findall(r"^X-Mxguard-Lookalike: *(.*?)\r?$", text,
                               re.M | re.I)
            rec.write(event="message", local=local[0], port=local[1],
                      peer=peer[0], mail_from=mail_from, rcpt=rcpts,
                      id=tag.group(1) if tag else None, size=len(text),
                      mxguard_header=" | ".join(marks))
            reply("250 2.0.0 Ok: queued")
        elif cmd == "RSET":
            mail_from, rcpts = None, []
            reply("250 2.0.0 Ok")
        elif cmd == "NOOP":
            reply("250 2.0.0 Ok")
        elif cmd == "QUIT":
            reply("221 2.0.0 Bye")
            break
        else:
            reply("502 5.5.2 Error: command not recognized")
    conn.close()


def serve(lsock, rec):
    while True:
        conn, peer = lsock.accept()
        local = conn.getsockname()
        threading.Thread(target=smtp_session, args=(conn, local, peer, rec),
                         daemon=True).start()


def sink(args):
    rec = Recorder(args.log)
    socks = []
    for spec in args.listen:
        host, port = spec.rsplit(":", 1)
        host = host.strip("[]")
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, int(port)))
        s.listen(64)
        socks.append(s)
    for s in socks:
        threading.Thread(target=serve, args=(s, rec), daemon=True).start()
    path = os.environ.get("NOTIFY_SOCKET")
    if path:
        n = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        n.sendto(b"READY=1", "\0" + path[1:] if path[0] == "@" else path)
        n.close()
    threading.Event().wait()


def main():
    ap = argparse.ArgumentParser(prog="e2e.py")
    sub = ap.add_subparsers(dest="what", required=True)

    p = sub.add_parser("notify-run")
    p.add_argument("--timeout", type=float, default=30)
    p.add_argument("--out")
    p.add_argument("--err")
    p.add_argument("cmd", nargs="+")
    p.set_defaults(fn=notify_run)

    p = sub.add_parser("wait-exit")
    p.add_argument("pid", type=int)
    p.add_argument("--timeout", type=float, default=10)
    p.set_defaults(fn=wait_exit)

    p = sub.add_parser("wait")
    p.add_argument("file")
    p.add_argument("--skip", type=int, default=0,
                   help="ignore the first SKIP lines")
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--timeout", type=float, default=30)
    p.add_argument("--re")
    p.add_argument("--json", nargs="*", default=[],
                   help="field.path=value conditions, all must hold")
    p.set_defaults(fn=wait)

    p = sub.add_parser("select")
    p.add_argument("file", help="JSON lines, or - for stdin")
    p.add_argument("--skip", type=int, default=0)
    p.add_argument("--count", action="store_true")
    p.add_argument("--get")
    p.add_argument("--pretty", action="store_true")
    p.add_argument("conds", nargs="*")
    p.set_defaults(fn=select_)

    p = sub.add_parser("before")
    p.add_argument("first")
    p.add_argument("second")
    p.set_defaults(fn=before)

    p = sub.add_parser("sink")
    p.add_argument("--log", required=True)
    p.add_argument("--listen", action="append", required=True)
    p.set_defaults(fn=sink)

    # Conditions may follow options (select F --count a=b), which argparse
    # only takes as leftovers.
    args, extra = ap.parse_known_args()
    if extra and args.what != "select":
        ap.error("unrecognized arguments: %s" % " ".join(extra))
    if extra:
        args.conds += extra
    args.fn(args)


if __name__ == "__main__":
    main()
