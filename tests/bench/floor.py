#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""make bench, part 2: mxguard against the no-op floor, side by side.

Three sibling cgroups under one parent of ours:
  none   nothing attached;
  noop   cgroup_skb/egress, cgroup_skb/ingress and cgroup/connect4 programs
         that return 1 (tests/bench/noop.bpf.c): the floor of any design;
  mxg    the real mxguardd, block mode, a policy of RULES entries.
A fourth, sock, runs only the bulk stream, under programs that read the
skb's socket as mxguard's non-DNS test does and nothing else (noop.bpf.c):
the floor of telling a packet by its socket.
A fifth, aux, holds the servers (a TCP sink, a :25 listener, unbound), so
only the client side of each flow is charged.

Per program run the kernel's own figure is used: bpf_stats
(kernel.bpf_stats_enabled), run_time_ns / run_cnt of each attached
program, deltas around each load.  Per operation, wall time in the loads
themselves.  ROUNDS rounds alternate the order of the cgroups; the table
shows medians (the connect ratio's: of sets run back to back, see
CONNECTS).  Nothing here asserts: benchmarks measure, tests assert.

Run as root inside a private network namespace (tests/bench/run.sh does):
every socket is on its loopback.

usage: floor.py MXGUARDD LOADGEN NOOP_OBJ E2E_PY [RULES [ROUNDS]]
"""
import atexit
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "e2e"))
from cgrun import (bench_policy, bench_unbound, dnsperf_argv,  # noqa: E402
                   cgroup2_root, daemon_conf, in_cg, remove_cgroups, sh,
                   start_ready, stop)

MXGUARDD, LOADGEN, NOOP, E2E = sys.argv[1:5]
RULES = int(sys.argv[5]) if len(sys.argv) > 5 else 1000000
ROUNDS = int(sys.argv[6]) if len(sys.argv) > 6 else 6
# The user-space half of make bench (gen_bench's output, saved by the
# Makefile): its second-look table gives the table's last row.
USERSPACE = sys.argv[7] if len(sys.argv) > 7 else None
BULK_MB = 128
# connect()+close() in CONNECT_SETS sets a round of CONNECTS each per
# cgroup, the three cgroups' sets back to back: each set of three gives
# a ratio of its own, and the row is their median.  Drift cancels within
# a set: with one 3,000-connect load per cgroup a round, bulk and dnsperf
# between them, and the ratio of the cgroups' medians, the floor's own
# ratio spread over 0.99-1.11 in three runs.
CONNECTS = 1000
CONNECT_SETS = 5
# The connect client on one CPU and its server on another, when there are
# two: unpinned, 24 sets of 1,000 connects in a row ran 9.5 to 15.7 us per
# connect; pinned, 11.2 to 12.6.
_CPUS = sorted(os.sched_getaffinity(0))
PIN_CONNECT = ((["taskset", "-c", str(_CPUS[0])],
                ["taskset", "-c", str(_CPUS[1])])
               if len(_CPUS) > 1 else ([], []))
DNSPERF_S = 3

TMP = tempfile.mkdtemp(prefix="mxguard-bench.")
os.chmod(TMP, 0o755)
CGROOT = cgroup2_root()
BASE = os.path.join(CGROOT, f"mxguard-bench-{os.getpid()}")
CG = {n: os.path.join(BASE, n) for n in ("none", "noop", "sock", "mxg",
                                              "aux")}
PIN = f"/sys/fs/bpf/mxguard-bench-{os.getpid()}"
NOOP_PIN = f"/sys/fs/bpf/mxguard-bench-noop-{os.getpid()}"
STATS = "/proc/sys/kernel/bpf_stats_enabled"
procs = []
daemon = [None]
saved_stats = open(STATS).read().strip()


def second_look_us(path, protected=1000):
    """gen_bench's indexed second look, us per name, at PROTECTED names."""
    if not path or not os.path.exists(path):
        return None
    rows = False
    for line in open(path):
        if line.startswith("second look, us per name"):
            rows = True
            continue
        f = line.split()
        if rows and len(f) == 4 and f[0] == str(protected):
            return float(f[2])
        if rows and not f:
            break
    return None


def cleanup():
    for p in procs:
        p.kill()
    stop_daemon()
    if os.path.isdir(PIN):
        subprocess.run([MXGUARDD, "--unload", "--pin-dir", PIN],
                       capture_output=True)
    for name in ("noop_egress", "noop_ingress", "noop_connect4",
                 "sock_egress", "sock_ingress"):
        path = os.path.join(NOOP_PIN, name)
        if os.path.exists(path):
            os.unlink(path)
    if os.path.isdir(NOOP_PIN):
        os.rmdir(NOOP_PIN)
    remove_cgroups(CGROOT, list(CG.values()), BASE)
    with open(STATS, "w") as f:
        f.write(saved_stats)
    shutil.rmtree(TMP, ignore_errors=True)


def stop_daemon():
    if daemon[0]:
        stop(daemon[0], E2E)
        daemon[0] = None


def start_daemon():
    """Start mxguardd on CG['mxg']; seconds from exec to READY=1, RSS."""
    t0 = time.monotonic()
    out = sh(*in_cg(CG["aux"], [sys.executable, E2E, "notify-run",
                                "--timeout", "120", "--err",
                                f"{TMP}/mxguardd.err", "--",
                                MXGUARDD, "-f", f"{TMP}/mxguard.conf",
                                "--cgroup", CG["mxg"]]))
    ready = time.monotonic() - t0
    daemon[0] = int(out.split()[0])
    rss = next(int(l.split()[1]) for l in
               open(f"/proc/{daemon[0]}/status") if l.startswith("VmRSS"))
    return ready, rss / 1024.0


def attached(cg):
    """{attach_type: prog id} of the programs on cgroup cg."""
    names = {"cgroup_inet_egress": "egress", "cgroup_inet_ingress": "ingress",
             "cgroup_inet4_connect": "connect4"}
    out = json.loads(sh("bpftool", "-j", "cgroup", "show", cg) or "[]")
    return {names.get(p["attach_type"], p["attach_type"]): p["id"]
            for p in out}


def prog_stats(pid):
    j = json.loads(sh("bpftool", "-j", "prog", "show", "id", str(pid)))
    return j.get("run_time_ns", 0), j.get("run_cnt", 0)


def measure(cg, hooks, run, runs=None):
    """Run load; ns per run of each hook's program, and load's own figure.
    runs, a dict: filled with each hook's number of runs."""
    progs = attached(cg) if hooks else {}
    before = {h: prog_stats(progs[h]) for h in hooks if h in progs}
    figure = run(cg)
    per_run = {}
    for h, (t0, c0) in before.items():
        t1, c1 = prog_stats(progs[h])
        per_run[h] = (t1 - t0) / (c1 - c0) if c1 > c0 else float("nan")
        if runs is not None:
            runs[h] = c1 - c0
    return per_run, figure


def bulk(cg):
    return float(sh(*in_cg(cg, [LOADGEN, "bulk", "2525", str(BULK_MB)])))


def connects(cg):
    return float(sh(*in_cg(cg, PIN_CONNECT[0] + [LOADGEN, "connect", "25",
                                                  str(CONNECTS)])))


def dnsperf(cg):
    out = sh(*in_cg(cg, dnsperf_argv(f"{TMP}/queries", DNSPERF_S)))
    for line in out.splitlines():
        if "Queries per second:" in line:
            return float(line.split(":")[1])
    raise RuntimeError("dnsperf: no rate in its output:\n" + out)


def setup():
    # Our own network namespace only, with nothing but its loopback: the
    # sysctl below is the namespace's own.
    if [n for _, n in socket.if_nameindex()] != ["lo"]:
        sys.exit("floor.py: run it in a new network namespace "
                 "(unshare -n), as make bench does")
    for cg in (BASE, *CG.values()):
        os.mkdir(cg)
    with open(os.path.join(CG["aux"], "cgroup.procs"), "w") as f:
        f.write(str(os.getpid()))
    with open(STATS, "w") as f:
        f.write("1")
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    # No TIME_WAIT sockets (the FIN exchange is unchanged): each
    # connect()+close() left one, and the table grew by 18,000 a cgroup,
    # each load slower than the one before (one run of 24 sets of 1,000
    # connects: 10.0 to 17.5 us per connect, drifting up, and one stall of
    # 0.8 s; with none kept: 10.5 to 11.7 us).
    with open("/proc/sys/net/ipv4/tcp_max_tw_buckets", "w") as f:
        f.write("0")
    for port in (2525, 25):
        pin = PIN_CONNECT[1] if port == 25 else []
        start_ready(procs, in_cg(CG["aux"], pin + [LOADGEN, "serve", str(port),
                                                   "10000000"]),
                    f"loadgen serve {port}")
    # unbound answers the queries from local data, in aux.
    bench_unbound(procs, TMP, CG["aux"])
    # The floor: no-op programs on noop.
    sh("bpftool", "prog", "loadall", NOOP, NOOP_PIN)
    for hook, name in (("egress", "noop_egress"), ("ingress", "noop_ingress"),
                       ("connect4", "noop_connect4")):
        sh("bpftool", "cgroup", "attach", CG["noop"], hook, "pinned",
           os.path.join(NOOP_PIN, name))
    for hook in ("egress", "ingress"):
        sh("bpftool", "cgroup", "attach", CG["sock"], hook, "pinned",
           os.path.join(NOOP_PIN, f"sock_{hook}"))
    # mxguardd with RULES entries, as bench.c makes them.
    bench_policy(f"{TMP}/bench.policy", RULES)
    daemon_conf(TMP, f"{TMP}/bench.policy", PIN)


def med(xs):
    xs = [x for x in xs if x == x]
    return statistics.median(xs) if xs else float("nan")


def main():
    atexit.register(cleanup)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
    setup()
    loads = []
    for i in range(3):
        loads.append(start_daemon())
        if i < 2:
            stop_daemon()
            sh(MXGUARDD, "--unload", "--pin-dir", PIN)
    r = {k: [] for k in ("skb_noop", "skb_sock", "skb_mxg", "in_noop", "in_mxg",
                         "eg_noop", "eg_mxg", "c4_noop", "c4_mxg",
                         "qps_none", "qps_noop", "qps_mxg", "conn_none",
                         "conn_noop", "conn_mxg", "connr_noop", "connr_mxg",
                         "connr_mxg_noop", "connbpf_noop", "connbpf_mxg",
                         "connruns_noop", "connruns_mxg",
                         "bulk_none", "bulk_noop", "bulk_mxg")}
    for rnd in range(ROUNDS):
        order = ["none", "noop", "mxg"]
        if rnd % 2:
            order.reverse()
        for cg in order:
            hooks = [] if cg == "none" else ["egress", "ingress"]
            per, mb = measure(CG[cg], hooks, bulk)
            r[f"bulk_{cg}"].append(mb)
            if hooks:
                r[f"skb_{cg}"].append((per["egress"] + per["ingress"]) / 2)
            if cg == "noop":
                per, _ = measure(CG["sock"], ["egress", "ingress"], bulk)
                r["skb_sock"].append((per["egress"] + per["ingress"]) / 2)
            per, qps = measure(CG[cg], hooks, dnsperf)
            r[f"qps_{cg}"].append(qps)
            if hooks:
                r[f"in_{cg}"].append(per["ingress"])
                r[f"eg_{cg}"].append(per["egress"])
        for k in range(CONNECT_SETS):
            ops = {}
            for cg in (order if k % 2 == 0 else order[::-1]):
                hooks = ["connect4", "egress", "ingress"] \
                    if cg != "none" else []
                runs = {}
                per, ops[cg] = measure(CG[cg], hooks, connects, runs)
                r[f"conn_{cg}"].append(ops[cg])
                if hooks:
                    r[f"c4_{cg}"].append(per["connect4"])
                    # The programs' own time per connect, and their runs.
                    r[f"connbpf_{cg}"].append(
                        sum(per[h] * runs[h] for h in hooks) / CONNECTS)
                    r[f"connruns_{cg}"].append(
                        sum(runs[h] for h in hooks) / CONNECTS)
            for cg in ("noop", "mxg"):
                r[f"connr_{cg}"].append(ops[cg] / ops["none"])
            r["connr_mxg_noop"].append(ops["mxg"] / ops["noop"])
    m = {k: med(v) for k, v in r.items()}
    ready = med([l[0] for l in loads])
    rss = med([l[1] for l in loads])
    print(f"\nmxguard against the no-op floor: {ROUNDS} alternating rounds, "
          f"medians; per run from bpf_stats; policy of {RULES} entries\n")
    print(f"{'what':50} {'no-op floor':>12} {'mxguard':>12}  goal")
    rows = [
        ("non-DNS packet (bulk TCP, MSS 1400), ns per skb run",
         f"{m['skb_noop']:.0f}", f"{m['skb_mxg']:.0f}", "<= floor + 10"),
        ("non-DNS packet, the socket test alone, ns per run",
         f"{m['skb_sock']:.0f}", f"{m['skb_mxg']:.0f}", ""),
        ("DNS response (ingress) under dnsperf, ns per run",
         f"{m['in_noop']:.0f}", f"{m['in_mxg']:.0f}", "<= 400"),
        ("DNS query (egress), ns per run",
         f"{m['eg_noop']:.0f}", f"{m['eg_mxg']:.0f}", "<= 200"),
        ("connect4, destination tainted nowhere, ns per run",
         f"{m['c4_noop']:.0f}", f"{m['c4_mxg']:.0f}", "<= 150"),
        ("dnsperf queries/s, ratio to no programs",
         f"{m['qps_noop'] / m['qps_none']:.3f}",
         f"{m['qps_mxg'] / m['qps_none']:.3f}", ">= 0.92"),
        ("loopback connect()+close() per op, ratio",
         f"{m['connr_noop']:.3f}", f"{m['connr_mxg']:.3f}", "<= 1.03"),
        ("connect()+close(), mxguard to the no-op floor", "1",
         f"{m['connr_mxg_noop']:.3f}", ""),
        ("bulk TCP time per MB, ratio",
         f"{m['bulk_noop'] / m['bulk_none']:.3f}",
         f"{m['bulk_mxg'] / m['bulk_none']:.3f}", ""),
        (f"{RULES}-entry policy, exec to attached, s", "-", f"{ready:.2f}",
         "<= 1.0"),
        ("daemon RSS with that policy, MiB", "-", f"{rss:.1f}", "<= 48"),
    ]
    look = second_look_us(USERSPACE)
    rows.append(("second look per MX name, 1000 protected, us", "-",
                 f"{look:.2f}" if look is not None else "n/a", "<= 50"))
    for row in rows:
        print(f"{row[0]:50} {row[1]:>12} {row[2]:>12}  {row[3]}")
    q = {cg: statistics.quantiles(r[f"connr_{cg}"], n=4)
         for cg in ("noop", "mxg")}
    print(f"\n(connect ratio: the median of {len(r['connr_mxg'])} sets of "
          f"{CONNECTS} connects a cgroup, back to back; quartiles no-op "
          f"{q['noop'][0]:.3f}-{q['noop'][2]:.3f}, mxguard "
          f"{q['mxg'][0]:.3f}-{q['mxg'][2]:.3f})")
    print(f"(per connect, the programs' own time from bpf_stats: no-op "
          f"{m['connbpf_noop']:.0f} ns in {m['connruns_noop']:.1f} runs, "
          f"{100 * m['connbpf_noop'] / m['conn_none']:.1f}% of a connect "
          f"without programs; mxguard {m['connbpf_mxg']:.0f} ns in "
          f"{m['connruns_mxg']:.1f} runs, "
          f"{100 * m['connbpf_mxg'] / m['conn_none']:.1f}%)")
    print(f"(no programs: {m['qps_none']:.0f} queries/s, "
          f"{m['conn_none']:.0f} ns per connect, "
          f"{m['bulk_none']:.0f} ns per MB)")


if __name__ == "__main__":
    main()
