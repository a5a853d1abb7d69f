#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Profile the DNS programs under dnsperf: floor.py's mxg cgroup alone.

One cgroup watched by mxguardd (block mode, a policy of RULES entries as
floor.py writes it), one (aux) holding unbound.  dnsperf runs in the
watched cgroup for SECONDS while PERF_CMD (if given, e.g.
"perf record -a -g -o OUT") runs; prints ns per run of the egress and
ingress programs (bpf_stats) and dnsperf's queries per second.

Run as root inside a private network namespace:
  unshare -n python3 tests/bench/dnsprof.py MXGUARDD E2E_PY RULES SECONDS \
      [PERF ARGS...]
"""
import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "e2e"))
from cgrun import (bench_policy, bench_unbound, dnsperf_argv,  # noqa: E402
                   cgroup2_root, daemon_conf, in_cg, remove_cgroups, sh,
                   stop)

MXGUARDD, E2E = sys.argv[1:3]
RULES = int(sys.argv[3])
SECONDS = int(sys.argv[4])
PERF = sys.argv[5:]

TMP = tempfile.mkdtemp(prefix="mxguard-prof.")
os.chmod(TMP, 0o755)
CGROOT = cgroup2_root()
BASE = os.path.join(CGROOT, f"mxguard-prof-{os.getpid()}")
CG = {n: os.path.join(BASE, n) for n in ("mxg", "aux")}
PIN = f"/sys/fs/bpf/mxguard-prof-{os.getpid()}"
STATS = "/proc/sys/kernel/bpf_stats_enabled"
procs = []
daemon = [None]
saved_stats = open(STATS).read().strip()


def cleanup():
    for p in procs:
        p.kill()
    if daemon[0]:
        stop(daemon[0], E2E)
    if os.path.isdir(PIN):
        subprocess.run([MXGUARDD, "--unload", "--pin-dir", PIN],
                       capture_output=True)
    remove_cgroups(CGROOT, list(CG.values()), BASE)
    with open(STATS, "w") as f:
        f.write(saved_stats)
    shutil.rmtree(TMP, ignore_errors=True)


def prog_stats(pid):
    j = json.loads(sh("bpftool", "-j", "prog", "show", "id", str(pid)))
    return j.get("run_time_ns", 0), j.get("run_cnt", 0)


def main():
    atexit.register(cleanup)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
    for cg in (BASE, *CG.values()):
        os.mkdir(cg)
    with open(os.path.join(CG["aux"], "cgroup.procs"), "w") as f:
        f.write(str(os.getpid()))
    with open(STATS, "w") as f:
        f.write("1")
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    bench_unbound(procs, TMP, CG["aux"])
    bench_policy(f"{TMP}/bench.policy", RULES)
    daemon_conf(TMP, f"{TMP}/bench.policy", PIN)
    out = sh(*in_cg(CG["aux"], [sys.executable, E2E, "notify-run",
                                "--timeout", "120", "--err",
                                f"{TMP}/mxguardd.err", "--",
                                MXGUARDD, "-f", f"{TMP}/mxguard.conf",
                                "--cgroup", CG["mxg"]]))
    daemon[0] = int(out.split()[0])
    names = {"cgroup_inet_egress": "egress", "cgroup_inet_ingress": "ingress"}
    progs = {names[p["attach_type"]]: p["id"] for p in
             json.loads(sh("bpftool", "-j", "cgroup", "show", CG["mxg"]))
             if p["attach_type"] in names}
    print("progs", progs, flush=True)
    if os.environ.get("MXG_PROF_HOOK"):
        # A command run with each program's id once they are attached
        # (e.g. to save their images for a profile's addresses).
        for h, i in progs.items():
            subprocess.run([os.environ["MXG_PROF_HOOK"], h, str(i)])
    perf = None
    if PERF:
        perf = subprocess.Popen(PERF)
        time.sleep(0.5)
    before = {h: prog_stats(i) for h, i in progs.items()}
    out = sh(*in_cg(CG["mxg"], dnsperf_argv(f"{TMP}/queries", SECONDS)))
    after = {h: prog_stats(i) for h, i in progs.items()}
    if perf:
        perf.send_signal(signal.SIGINT)
        perf.wait()
    cnt = json.loads(sh("bpftool", "-j", "map", "dump", "pinned",
                        f"{PIN}/counters"))
    def num(v):
        return v if isinstance(v, int) else int.from_bytes(
            bytes(int(b, 16) for b in v), "little")
    tot = {num(e["key"]): sum(num(v["value"]) for v in e["values"])
           for e in cnt}
    print("counters (index: sum over CPUs):",
          {k: v for k, v in sorted(tot.items()) if v})
    for h in progs:
        dt = after[h][0] - before[h][0]
        dc = after[h][1] - before[h][1]
        print(f"{h}: {dt / dc if dc else 0:.0f} ns per run, {dc} runs")
    for line in out.splitlines():
        if "Queries per second:" in line:
            print(line.strip())


if __name__ == "__main__":
    main()
