#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""The verdicts under load: lookalikes resolved and connected while dnsperf
floods the same resolver and a bulk TCP stream runs, in the watched cgroup.

Run as root in a private network namespace (e2e.mk: unshare -n), so every
socket is on its own loopback.  Local routes make 203.0.113.0/24,
2001:db8:1::/64 (the lookalikes' MX addresses) and 198.51.100.0/24 (the
clean ones) local addresses, where a sink in a cgroup of its own accepts
on :25 and :465 and notes each connection's destination.  unbound answers
from local data: p<i>.navy.ml has a fresh AAAA each (2001:db8:1::<i>) and
an A, c<i>.example.net an A.  mxguardd watches the cgroup "mxg" in block
mode with `lookalike ml of mil action=block`.

The prober, in "mxg" beside dnsperf and loadgen, asks for each name over
UDP and connects to every address it got: the lookalikes' on :465 (always
EPERM) and :25 (EPERM, or the responder on loopback), the clean ones on
:25.  The outcome counted is the sink's: a connection it accepted to a
lookalike's address is a leak.  A control round without mxguardd shows
the same probes do reach the sink, so the check can fail.

usage: load.py MXGUARDD LOADGEN E2E_PY [PROBES]
"""
import atexit
import errno
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

from cgrun import (cgroup2_root, daemon_conf, in_cg, sh, start_ready, stop,
                   unbound_conf)

DEADLINE_S = 90			# the prober's own bound, whatever the load
BULK_MB = 2048			# loadgen stops at this, or when killed
DNSPERF_S = 60
procs = []
daemon = [None]
results = []


def ok(cond, what):
    results.append(cond)
    print(f"{'ok' if cond else 'not ok'} {len(results)} - {what}", flush=True)


def stop_daemon():
    if daemon[0]:
        stop(daemon[0], E2E)
        daemon[0] = None
    if os.path.isdir(PIN):
        subprocess.run([MXGUARDD, "--unload", "--pin-dir", PIN],
                       capture_output=True)


def cleanup():
    # This process sits in aux: out of it first, and its children too.
    with open(os.path.join(CGROOT, "cgroup.procs"), "w") as f:
        f.write(str(os.getpid()))
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
    stop_daemon()
    for cg in CG.values():
        if os.path.isdir(cg):
            with open(os.path.join(cg, "cgroup.kill"), "w") as f:
                f.write("1")
            for _ in range(100):
                if not open(os.path.join(cg, "cgroup.procs")).read().split():
                    break
                time.sleep(0.05)
    for cg in (*CG.values(), BASE):
        if os.path.isdir(cg):
            os.rmdir(cg)
    subprocess.run(["rm", "-rf", TMP])


# --- the prober (runs as "load.py probe ..." inside mxg) ---

def query(name, qtype, qid):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack(">HH", qtype, 1)


def answers(msg, qtype):
    """The addresses of type qtype in a response (no compression needed
    past the question: unbound compresses names to a pointer)."""
    an = struct.unpack(">H", msg[6:8])[0]
    i = 12
    while msg[i]:
        i += msg[i] + 1
    i += 5
    out = []
    for _ in range(an):
        if msg[i] & 0xc0 == 0xc0:
            i += 2
        else:
            while msg[i]:
                i += msg[i] + 1
            i += 1
        t, _, _, rdlen = struct.unpack(">HHIH", msg[i:i + 10])
        i += 10
        if t == qtype == 1 and rdlen == 4:
            out.append(socket.inet_ntop(socket.AF_INET, msg[i:i + 4]))
        elif t == qtype == 28 and rdlen == 16:
            out.append(socket.inet_ntop(socket.AF_INET6, msg[i:i + 16]))
        i += rdlen
    return out


def resolve(name, qtype, qid, deadline):
    for _ in range(5):
        if time.monotonic() > deadline:
            return None
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(0.5)
        try:
            s.sendto(query(name, qtype, qid), ("127.0.0.1", 53))
            while True:
                msg, _ = s.recvfrom(4096)
                if msg[:2] == struct.pack(">H", qid):
                    return answers(msg, qtype)
        except socket.timeout:
            continue
        finally:
            s.close()
    return None


def dial(addr, port):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect((addr, port))
        return 0
    except OSError as e:
        return e.errno or -1
    finally:
        s.close()


def probe(first, count):
    deadline = time.monotonic() + DEADLINE_S
    out = {"unresolved": 0, "look": [], "clean": []}
    for i in range(first, first + count):
        if time.monotonic() > deadline:
            break
        for name, qtype, ports, kind in (
                (f"p{i}.navy.ml", 28, (465, 25), "look"),
                (f"p{i}.navy.ml", 1, (25,), "look"),
                (f"c{i}.example.net", 1, (25,), "clean")):
            got = resolve(name, qtype, (i * 4 + qtype) & 0xffff, deadline)
            if not got:
                out["unresolved"] += 1
                continue
            for addr in got:
                for port in ports:
                    out[kind].append([addr, port, dial(addr, port)])
    json.dump(out, sys.stdout)


# --- the sink (runs as "load.py sink FILE" inside aux) ---

def sink(path):
    import selectors
    sel = selectors.DefaultSelector()
    for fam, host in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        for port in (25, 465):
            ls = socket.socket(fam, socket.SOCK_STREAM)
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if fam == socket.AF_INET6:
                ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            ls.bind((host, port))
            ls.listen(4096)
            sel.register(ls, selectors.EVENT_READ)
    log = open(path, "a", buffering=1)
    print("ready", flush=True)
    end = time.monotonic() + 600
    while time.monotonic() < end:
        for key, _ in sel.select(1):
            c, _ = key.fileobj.accept()
            dst = c.getsockname()
            log.write(f"{dst[0]} {dst[1]}\n")
            c.close()


# --- the test ---

def setup():
    for cg in (BASE, *CG.values()):
        os.mkdir(cg)
    with open(os.path.join(CG["aux"], "cgroup.procs"), "w") as f:
        f.write(str(os.getpid()))
    sh("ip", "link", "set", "lo", "up")
    sh("ip", "route", "add", "local", "203.0.113.0/24", "dev", "lo")
    sh("ip", "route", "add", "local", "198.51.100.0/24", "dev", "lo")
    sh("ip", "-6", "route", "add", "local", "2001:db8:1::/64", "dev", "lo")
    start_ready(procs, in_cg(CG["aux"], [sys.executable, __file__, "sink",
                                         f"{TMP}/sink.log"]), "the sink")
    start_ready(procs, in_cg(CG["aux"], [LOADGEN, "serve", "2525", "100"]),
                "loadgen serve")
    data = []
    for i in range(PROBES + 20):
        data += [f"p{i}.navy.ml. 300 IN AAAA 2001:db8:1::{i + 1:x}",
                 f"p{i}.navy.ml. 300 IN A 203.0.113.{i % 250 + 1}",
                 f"c{i}.example.net. 300 IN A 198.51.100.{i % 250 + 1}"]
    # dnsperf's flood: clean names, and one lookalike in ten, whose
    # addresses (2001:db8:2::/64) no probe connects to: each probe's
    # verdict is its own answer's.
    with open(f"{TMP}/queries", "w") as q:
        for i in range(1000):
            data.append(f"h{i}.bench.test. 300 IN A 192.0.2.{i % 250 + 1}")
            q.write(f"h{i}.bench.test A\n")
            if i % 10 == 0:
                data.append(f"f{i}.navy.ml. 300 IN AAAA "
                            f"2001:db8:2::{i + 1:x}")
                q.write(f"f{i}.navy.ml AAAA\n")
    conf = unbound_conf(TMP, ("navy.ml", "example.net", "bench.test"), data)
    procs.append(subprocess.Popen(in_cg(CG["aux"], [
        "unbound", "-d", "-c", conf]),
        stdout=subprocess.DEVNULL, stderr=open(f"{TMP}/unbound.log", "w")))
    for _ in range(100):
        if resolve("h1.bench.test", 1, 7, time.monotonic() + 1):
            break
        time.sleep(0.1)
    else:
        raise RuntimeError("unbound did not answer")
    with open(f"{TMP}/load.policy", "w") as f:
        f.write("lookalike ml of mil action=block\n")
    daemon_conf(TMP, f"{TMP}/load.policy", PIN)


def run_probe(first, count):
    out = sh(*in_cg(CG["mxg"], [sys.executable, __file__, "probe",
                                str(first), str(count)]),
             timeout=DEADLINE_S + 30)
    return json.loads(out)


def sink_hits():
    """(lookalike destinations, clean ones) the sink accepted, once its
    log has stopped growing: a connect completes before its accept."""
    size, still = -1, 0
    for _ in range(100):
        now = os.path.getsize(f"{TMP}/sink.log")
        still = still + 1 if now == size else 0
        if still >= 5:
            break
        size = now
        time.sleep(0.1)
    look = clean = 0
    for line in open(f"{TMP}/sink.log"):
        addr = line.split()[0]
        if addr.startswith(("203.0.113.", "2001:db8:1:")):
            look += 1
        elif addr.startswith("198.51.100."):
            clean += 1
    return look, clean


def main():
    atexit.register(cleanup)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
    setup()
    print("1..7")

    # Control: no mxguardd, the probes reach the sink.
    c = run_probe(PROBES, 20)
    look, _ = sink_hits()
    ok(look == len(c["look"]) == 60 and all(r[2] == 0 for r in c["look"]),
       f"without mxguardd the lookalike probes reach the sink ({look})")

    out = sh(*in_cg(CG["aux"], [sys.executable, E2E, "notify-run",
                                "--timeout", "60", "--err",
                                f"{TMP}/mxguardd.err", "--", MXGUARDD,
                                "-f", f"{TMP}/mxguard.conf",
                                "--cgroup", CG["mxg"]]))
    daemon[0] = int(out.split()[0])
    look0, clean0 = sink_hits()

    # The load, bounded by its arguments and killed after the probes.
    bulk = subprocess.Popen(in_cg(CG["mxg"], [LOADGEN, "bulk", "2525",
                                              str(BULK_MB)]),
                            stdout=subprocess.PIPE, text=True)
    perf = subprocess.Popen(in_cg(CG["mxg"], [
        "dnsperf", "-s", "127.0.0.1", "-d", f"{TMP}/queries",
        "-l", str(DNSPERF_S), "-c", "4", "-T", "1", "-q", "128"]),
        stdout=subprocess.PIPE, text=True)
    procs.extend((bulk, perf))
    time.sleep(1)
    t0 = time.monotonic()
    r = run_probe(0, PROBES)
    took = time.monotonic() - t0
    under_load = perf.poll() is None
    perf.send_signal(signal.SIGINT)
    perf_out = perf.communicate(timeout=30)[0]
    qps = next((float(l.split(":")[1]) for l in perf_out.splitlines()
                if "Queries per second:" in l), 0.0)
    bulk.kill()
    bulk.wait()
    look, clean = sink_hits()
    look -= look0
    clean -= clean0

    refused = [x for x in r["look"] if x[1] == 465]
    eperm = sum(1 for x in refused if x[2] == errno.EPERM)
    resolved = len(refused) + sum(1 for x in r["look"] if ":" not in x[0])
    stats = json.loads(sh(CTL, "-s", f"{TMP}/control.sock", "stats",
                          "--json"))
    blocked = sum(1 for line in open(f"{TMP}/alerts.json")
                  if json.loads(line)["event"]["action"] == "blocked")
    print(f"# {PROBES} probes in {took:.1f} s under dnsperf at {qps:.0f} "
          f"queries/s and a bulk stream; {r['unresolved']} lookups "
          f"unanswered; {len(r['look'])} lookalike connects, "
          f"{len(r['clean'])} clean")
    ok(under_load and qps > 0 and resolved >= PROBES * 2 * 0.9,
       f"the probes ran under load ({resolved} lookalike addresses of "
       f"{PROBES * 2}, dnsperf {qps:.0f} q/s, still running: {under_load})")
    ok(look == 0, f"no lookalike connect reached the sink ({look} did)")
    ok(eperm == len(refused),
       f"every lookalike connect on :465 got EPERM ({eperm} of "
       f"{len(refused)})")
    bad = [x for x in r["clean"] if x[2] != 0]
    ok(not bad and clean == len(r["clean"]) and clean > PROBES * 0.9,
       f"every clean connect reached the sink ({clean} of "
       f"{len(r['clean'])}; failed {bad[:3]})")
    ok(stats["blocks"] == len(r["look"]) and
       blocked + stats["ringbuf_drops"] >= len(refused) and
       stats["dns_malformed"] == 0,
       f"every refusal counted ({stats['blocks']} of {len(r['look'])}), "
       f"each EPERM alerted or its drop counted ({blocked} alerts, "
       f"{stats['ringbuf_drops']} ring buffer drops)")
    alive = True
    try:
        os.kill(daemon[0], 0)
    except ProcessLookupError:
        alive = False
    ok(alive, "mxguardd kept running")
    failed = results.count(False)
    print(f"{len(results) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    if sys.argv[1] == "probe":
        probe(int(sys.argv[2]), int(sys.argv[3]))
        sys.exit(0)
    if sys.argv[1] == "sink":
        sink(sys.argv[2])
        sys.exit(0)
    MXGUARDD, LOADGEN, E2E = sys.argv[1:4]
    PROBES = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
    TMP = tempfile.mkdtemp(prefix="mxguard-load.")
    os.chmod(TMP, 0o755)
    CGROOT = cgroup2_root()
    BASE = os.path.join(CGROOT, f"mxguard-load-{os.getpid()}")
    CG = {n: os.path.join(BASE, n) for n in ("mxg", "aux")}
    PIN = f"/sys/fs/bpf/mxguard-load-{os.getpid()}"
    CTL = os.path.join(os.path.dirname(MXGUARDD), "mxguardctl")
    main()
