# SPDX-License-Identifier: GPL-2.0-only
"""What tests/bench/floor.py and tests/e2e/load.py share: running programs
in cgroups of their own, a daemon's stop, a server's "ready" line and a
local unbound answering from local data.  Each caller runs as root in a
private network namespace of its own."""
import os
import signal
import subprocess
import sys
import time


def cgroup2_root():
    """Where cgroup v2 is mounted (never assumed: /proc/self/mountinfo)."""
    return next(l.split()[4] for l in open("/proc/self/mountinfo")
                if " - cgroup2 " in l)


def sh(*cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True,
                          **kw).stdout


def in_cg(cg, cmd):
    """argv that runs cmd as a member of cgroup cg."""
    return ["sh", "-c", 'echo $$ >"$0/cgroup.procs" && exec "$@"', cg] + cmd


def remove_cgroups(cgroot, cgs, base):
    """Kill what is left in each of CGS (paths), leave them for CGROOT,
    and remove them and their parent BASE."""
    for cg in cgs:
        if os.path.isdir(cg):
            for pid in open(os.path.join(cg, "cgroup.procs")).read().split():
                if int(pid) != os.getpid():
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except ProcessLookupError:
                        pass
    # Leave them (this process may sit in one) before removing them.
    with open(os.path.join(cgroot, "cgroup.procs"), "w") as f:
        f.write(str(os.getpid()))
    time.sleep(0.1)
    for cg in cgs:
        if os.path.isdir(cg):
            os.rmdir(cg)
    if os.path.isdir(base):
        os.rmdir(base)


def bench_policy(path, rules):
    """The policy of the benches: a block rule for the datapath's
    refusals and RULES entries in all, shaped as bench.c makes them."""
    with open(path, "w") as f:
        f.write("lookalike ml of mil action=block\nallow gov.ml\n")
        f.writelines(f"lookalike x{i}.example of example.com\n"
                     for i in range(2, rules))
    return path


# dnsperf's load for the benches: 8 sockets ("clients") sharing 64
# outstanding queries, about 8 a socket, which is what a socket's
# outstanding-query slots hold (MXG_PENDING_MAX).  The answers measured
# are then the ones a stub resolver gets: solicited, their addresses
# recorded clean.  One socket with 64 outstanding (the setting until
# 2026-12) overwrote its slots unanswered: four answers in five were
# unsolicited, which records nothing and costs 30-40% less than a real
# answer.
DNSPERF_LOAD = ["-c", "8", "-T", "1", "-q", "64"]


def dnsperf_argv(queries, seconds):
    """dnsperf against 127.0.0.1:53 for SECONDS with the benches' load."""
    return ["dnsperf", "-s", "127.0.0.1", "-d", queries, "-l", str(seconds),
            *DNSPERF_LOAD]


def bench_unbound(procs, tmp, cg):
    """unbound in CG answering 1000 names of bench.test from local data,
    kept in procs; returns dnsperf's query file for them."""
    with open(f"{tmp}/queries", "w") as q:
        q.writelines(f"h{i}.bench.test A\n" for i in range(1000))
    conf = unbound_conf(tmp, ("bench.test",),
                        [f"h{i}.bench.test. 3600 IN A 192.0.2.{i % 250 + 1}"
                         for i in range(1000)])
    procs.append(subprocess.Popen(in_cg(cg, ["unbound", "-d", "-c", conf]),
                                  stdout=subprocess.DEVNULL,
                                  stderr=open(f"{tmp}/unbound.log", "w")))
    wait_port(53)
    return f"{tmp}/queries"


def stop(pid, e2e):
    """SIGTERM to pid, then wait for it to go (e2e.py wait-exit, bounded)."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    subprocess.run([sys.executable, e2e, "wait-exit", str(pid),
                    "--timeout", "20"], capture_output=True)


def start_ready(procs, cmd, what):
    """Popen cmd, which prints "ready" once it serves; kept in procs."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    procs.append(p)
    if p.stdout.readline().strip() != "ready":
        raise RuntimeError(f"{what} did not start")
    return p


def unbound_conf(tmp, zones, data):
    """unbound.conf for 127.0.0.1:53 in tmp: static zones, local data."""
    with open(f"{tmp}/unbound.conf", "w") as u:
        u.write("server:\n  interface: 127.0.0.1\n  port: 53\n"
                "  do-daemonize: no\n  chroot: \"\"\n  username: \"\"\n"
                f"  directory: \"{tmp}\"\n  pidfile: \"\"\n"
                "  use-syslog: no\n  num-threads: 1\n"
                "  access-control: 127.0.0.0/8 allow\n")
        u.writelines(f"  local-zone: \"{z}.\" static\n" for z in zones)
        u.writelines(f"  local-data: \"{d}\"\n" for d in data)
    return f"{tmp}/unbound.conf"


def daemon_conf(tmp, policy, pin):
    """mxguard.conf in tmp for block mode on policy (a file in tmp), with
    the control socket, alerts and state files in tmp (never the host's:
    tests/hoststate.sh); both readable, as mxguardd requires of what it
    reads."""
    with open(f"{tmp}/mxguard.conf", "w") as f:
        f.write(f"policy = {policy}\npin_dir = {pin}\n"
                f"mode = block\ncontrol_socket = {tmp}/control.sock\n"
                f"json_file = {tmp}/alerts.json\n"
                f"learned_file = {tmp}/learned\n"
                f"correspondents_file = {tmp}/correspondents\n")
    os.chmod(policy, 0o644)
    os.chmod(f"{tmp}/mxguard.conf", 0o644)
    return f"{tmp}/mxguard.conf"


def wait_port(port, timeout=10):
    import socket
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")
