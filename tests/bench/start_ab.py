#!/usr/bin/env python3
"""exec -> READY=1, CPU, VmHWM, VmRSS and RssAnon at READY of two mxguardd binaries.

usage: start_ab.py OLD NEW E2E_PY [RULES [ROUNDS]]

Each round starts OLD then NEW (the order alternating by round) on a fresh
pin directory, with the policy floor.py uses (RULES entries), in a cgroup of
its own; prints each start and the medians.  Needs root.  Everything it
makes (cgroups, pins, temp files) is removed on exit, even on failure.
"""
import atexit
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "e2e"))
from cgrun import (bench_policy, cgroup2_root, daemon_conf,  # noqa: E402
                   in_cg, sh, stop)

OLD, NEW, E2E = sys.argv[1:4]
RULES = int(sys.argv[4]) if len(sys.argv) > 4 else 1000000
ROUNDS = int(sys.argv[5]) if len(sys.argv) > 5 else 3
TMP = tempfile.mkdtemp(prefix="mxguard-ab.")
os.chmod(TMP, 0o755)
BASE = os.path.join(cgroup2_root(), f"mxguard-ab-{os.getpid()}")
CG = {n: os.path.join(BASE, n) for n in ("mxg", "aux")}
PIN = f"/sys/fs/bpf/mxguard-ab-{os.getpid()}"
TICK = os.sysconf("SC_CLK_TCK")


def cleanup():
    if os.path.isdir(PIN):
        subprocess.run([NEW, "--unload", "--pin-dir", PIN],
                       capture_output=True)
    with open(os.path.join(cgroup2_root(), "cgroup.procs"), "w") as f:
        f.write(str(os.getpid()))
    time.sleep(0.1)
    for cg in (*CG.values(), BASE):
        if os.path.isdir(cg):
            os.rmdir(cg)
    shutil.rmtree(TMP, ignore_errors=True)


def smaps(pid):
    """The largest mappings by Rss (MXG_AB_SMAPS=1), to see where it goes."""
    maps, cur = [], None
    for line in open(f"/proc/{pid}/smaps"):
        f = line.split()
        if "-" in f[0] and not f[0].endswith(":"):
            cur = [0, f[0], f[5] if len(f) > 5 else "[anon]"]
            maps.append(cur)
        elif f[0] == "Rss:":
            cur[0] = int(f[1])
    for rss, rng, name in sorted(maps, reverse=True)[:8]:
        lo, hi = (int(x, 16) for x in rng.split("-"))
        print(f"  {rss / 1024:7.1f} MiB of {(hi - lo) / 2**20:7.1f} {name}")


def start(binary):
    t0 = time.monotonic()
    out = sh(*in_cg(CG["aux"], [sys.executable, E2E, "notify-run",
                                "--timeout", "120", "--err",
                                f"{TMP}/mxguardd.err", "--", binary, "-f",
                                f"{TMP}/mxguard.conf", "--cgroup",
                                CG["mxg"]]))
    ready = time.monotonic() - t0
    pid = int(out.split()[0])
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    cpu = (int(f[11]) + int(f[12])) / TICK
    status = {x.split(":")[0]: x.split()[1:]
              for x in open(f"/proc/{pid}/status")}
    mem = {k: int(status[k][0]) / 1024.0 for k in ("VmHWM", "VmRSS",
                                                   "RssAnon")}
    if os.environ.get("MXG_AB_SMAPS"):
        smaps(pid)
    stop(pid, E2E)
    subprocess.run([binary, "--unload", "--pin-dir", PIN], check=True,
                   capture_output=True)
    return ready, cpu, mem


def main():
    atexit.register(cleanup)
    for cg in (BASE, *CG.values()):
        os.mkdir(cg)
    with open(os.path.join(CG["aux"], "cgroup.procs"), "w") as f:
        f.write(str(os.getpid()))
    bench_policy(f"{TMP}/bench.policy", RULES)
    daemon_conf(TMP, f"{TMP}/bench.policy", PIN)
    res = {OLD: [], NEW: []}
    for r in range(ROUNDS):
        for b in ((OLD, NEW) if r % 2 == 0 else (NEW, OLD)):
            ready, cpu, mem = start(b)
            res[b].append((ready, cpu, mem["VmRSS"], mem["RssAnon"]))
            print(f"round {r + 1} {b}: READY {ready:.3f} s, "
                  f"CPU {cpu:.2f} s, VmHWM {mem['VmHWM']:.1f} MiB, "
                  f"VmRSS {mem['VmRSS']:.1f} MiB, "
                  f"RssAnon {mem['RssAnon']:.1f} MiB", flush=True)
    for b in (OLD, NEW):
        med = [statistics.median(x[i] for x in res[b]) for i in range(4)]
        print(f"{b}: median READY {med[0]:.3f} s, CPU {med[1]:.2f} s, "
              f"VmRSS {med[2]:.1f} MiB, RssAnon {med[3]:.1f} MiB "
              f"({ROUNDS} rounds, {RULES} rules)")


main()
