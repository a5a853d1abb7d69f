#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Logs SIEMs already read: mxguardd's alerts through the real journald,
# rsyslog and syslog-ng, and the JSON file through a real logrotate run.
#
#   journald   native fields and MESSAGE_ID, `journalctl -x` shows the
#              catalog entry (a private journald in our own mount namespace)
#   rsyslog    "@cee:" parsed by mmjsonparse; RFC 5424 structured data
#              parsed by mmpstrucdata
#   syslog-ng  the same two forms (unpacked from its Debian package: it
#              conflicts with rsyslog)
#   logrotate  the shipped user/dist/mxguard.logrotate, its postrotate made
#              to signal this test's daemon only: the old file keeps every
#              alert it had, the next alert lands in the new file, 0640 adm
#
# The alerts come from a real datapath: a process in the watched cgroup
# sends a DNS question for army.ml (lookalike ml of mil) to 127.0.0.1 in
# its own network namespace, which the egress program reports.
#
# Prints "ok N - name" per check and "P passed, F failed"; exits nonzero
# on any failure.  Everything it makes is removed by the EXIT trap: the
# mount namespace (and its tmpfs mounts) dies with the last process.
#
# usage: run.sh MXGUARDD   (as root)
set -uo pipefail

[ $# -eq 1 ] || { echo "usage: run.sh MXGUARDD" >&2; exit 2; }
MXGUARDD=$(realpath "$1")
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRC/tests/e2e/unpack.sh"

# Our own mount namespace: journald's sockets and files, the catalog,
# never the host's.
if [ -z "${MXG_LOGS_NS:-}" ]; then
	exec env MXG_LOGS_NS=1 unshare --mount --propagation private \
		bash "$0" "$@"
fi

PASSED=0 FAILED=0 NUM=0
ok() { NUM=$((NUM + 1)) PASSED=$((PASSED + 1)); echo "ok $NUM - $1"; }
bad() {
	NUM=$((NUM + 1)) FAILED=$((FAILED + 1))
	echo "not ok $NUM - $1"
	shift
	printf '#   %s\n' "$@"
}
check() {	# check NAME CMD...: ok if CMD succeeds
	local name=$1
	shift
	if "$@" >"$T/check.out" 2>&1; then ok "$name"; else
		bad "$name" "$(tail -n 5 "$T/check.out")"; fi
}
die() { echo "Bail out! $*"; exit 1; }

for c in /lib/systemd/systemd-journald journalctl rsyslogd logrotate ip \
	python3 unshare; do
	command -v "$c" >/dev/null || die "$c is not installed (make deps)"
done
[ "$(id -u)" -eq 0 ] || die "needs root"

T=$(mktemp -d /tmp/mxguard-logs.XXXXXX)
chmod 755 "$T"
ID=logs-$$
NS=mxl-$$
CGROOT=$(awk '$0 ~ / - cgroup2 / { print $5; exit }' /proc/self/mountinfo)
[ -n "$CGROOT" ] || die "no cgroup2 mount in /proc/self/mountinfo"
CG=$CGROOT/mxguard-$ID
PIN=/sys/fs/bpf/mxguard-$ID
PIDS=()
DAEMON=

cleanup() {
	local p
	[ -n "$DAEMON" ] && kill -TERM "$DAEMON" 2>/dev/null
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	sleep 0.2
	[ -d "$PIN" ] && "$MXGUARDD" --unload --pin-dir "$PIN" >/dev/null 2>&1
	for p in "$CG"/*/ "$CG"; do
		[ -d "$p" ] || continue
		while read -r pid; do kill -KILL "$pid" 2>/dev/null; done \
			<"$p/cgroup.procs"
	done
	sleep 0.1
	rmdir "$CG"/*/ "$CG" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$T"
	echo "$PASSED passed, $FAILED failed"
}
trap cleanup EXIT

grep -qs ' /sys/fs/bpf bpf ' /proc/mounts || mount -t bpf bpf /sys/fs/bpf
mkdir -p "$CG/mta" "$CG/aux" || die "cannot make cgroups under $CGROOT"
ip netns add "$NS" && ip -n "$NS" link set lo up || die "netns"

# --- journald, private ---------------------------------------------------
mkdir -p /run/systemd /run/log /var/lib/systemd /usr/lib/systemd/catalog
mount -t tmpfs tmpfs /run/systemd && mount -t tmpfs tmpfs /run/log &&
	mount -t tmpfs tmpfs /var/lib/systemd || die "tmpfs mounts"
[ -d /var/log/journal ] && mount -t tmpfs tmpfs /var/log/journal
mkdir -p /run/systemd/journal "$T/catalog"
cp "$SRC/user/dist/mxguard.catalog" "$T/catalog/"
mount --bind "$T/catalog" /usr/lib/systemd/catalog || die "catalog bind"
/lib/systemd/systemd-journald >"$T/journald.log" 2>&1 &
PIDS+=($!)

# --- rsyslog and syslog-ng, with the shipped snippets --------------------
# user/contrib/{rsyslog,syslog-ng}/ as an admin installs them, their paths
# moved into $T: what they parse is what the tests check.
ship() {	# ship SRC DST: a contrib file with /var/log/mxguard, /run/mxguard
	sed -e "s|/var/log/mxguard/|$T/|g" -e "s|/run/mxguard/|$T/|g" \
		"$SRC/user/contrib/$1" >"$2"
}
mkdir -p "$T/rsyslog" "$T/rsyslog.d"
ship rsyslog/mxguard.conf "$T/rsyslog.d/30-mxguard.conf"
ship rsyslog/mxguard-rfc5424.conf "$T/rsyslog.d/30-mxguard-rfc5424.conf"
cat >"$T/rsyslog.conf" <<RS
global(workDirectory="$T/rsyslog")
module(load="imuxsock" SysSock.Use="off")
# Stands in for /dev/log: the "@cee:" form goes through the default ruleset.
input(type="imuxsock" Socket="$T/rsyslog-cee.sock")
include(file="$T/rsyslog.d/*.conf")
RS
check "rsyslog accepts the shipped snippets (rsyslogd -N1)" \
	rsyslogd -N1 -f "$T/rsyslog.conf"
rsyslogd -n -f "$T/rsyslog.conf" -i "$T/rsyslog.pid" >"$T/rsyslog.log" 2>&1 &
PIDS+=($!)

SNG=$T/syslog-ng
unpack_debs "$SNG" syslog-ng-core libivykis0 libnet1 libwrap0 ||
	die "cannot unpack syslog-ng"
ship syslog-ng/mxguard.conf "$T/syslog-ng-mxguard.conf"
cat >"$T/syslog-ng.conf" <<SN
@version: 3.38
options { stats_freq(0); };
# Stands in for Debian's system source s_src (/dev/log).
source s_src { unix-dgram("$T/sng-cee.sock"); };
@include "$T/syslog-ng-mxguard.conf"
SN
sng() {
	LD_LIBRARY_PATH=$SNG/usr/lib/x86_64-linux-gnu:$SNG/usr/lib/syslog-ng \
		"$SNG/usr/sbin/syslog-ng" --no-caps \
		--module-path="$SNG/usr/lib/syslog-ng/3.38" \
		--cfgfile="$T/syslog-ng.conf" --persist-file="$T/sng.persist" \
		--pidfile="$T/sng.pid" --control="$T/sng.ctl" "$@"
}
check "syslog-ng accepts the shipped snippet (--syntax-only)" sng --syntax-only
sng -F >"$T/syslog-ng.log" 2>&1 &
PIDS+=($!)

wait_for() {	# wait_for SECONDS CMD...: until CMD succeeds (bounded)
	local end=$((SECONDS + $1))
	shift
	until "$@" 2>/dev/null; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.1
	done
}
for s in /run/systemd/journal/socket "$T/rsyslog-cee.sock" \
	"$T/syslog.sock" "$T/sng-cee.sock" "$T/syslog-ng.sock"; do
	wait_for 10 test -S "$s" || die "no socket $s (see $T/*.log)"
done

printf 'lookalike ml of mil action=block\n' >"$T/mil.policy"
chmod 644 "$T/mil.policy"
mkdir -p "$T/log"

# start_daemon CONF-LINES: mxguardd in alert mode on $CG/mta, ready.
start_daemon() {
	printf '%s\n' "policy = $T/mil.policy" "pin_dir = $PIN" \
		"mode = alert" "control_socket = $T/control.sock" \
		"second_look = no" "repeat_window = 0" \
		"learned_file = $T/learned" \
		"correspondents_file = $T/correspondents" "$@" >"$T/mxguard.conf"
	chmod 644 "$T/mxguard.conf"
	DAEMON=$(sh -c 'echo $$ >"$1/cgroup.procs"; shift; exec "$@"' _ \
		"$CG/aux" python3 "$SRC/tests/e2e/e2e.py" notify-run \
		--timeout 30 --err "$T/mxguardd.err" -- "$MXGUARDD" \
		-f "$T/mxguard.conf" --cgroup "$CG/mta") ||
		die "mxguardd did not start: $(tail -n 3 "$T/mxguardd.err")"
}
stop_daemon() {
	kill -TERM "$DAEMON"
	python3 "$SRC/tests/e2e/e2e.py" wait-exit "$DAEMON" --timeout 10
	DAEMON=
}

# query TAG: a DNS question for TAG.army.ml from the watched cgroup.
query() {
	sh -c 'echo $$ >"$1/cgroup.procs"; shift; exec "$@"' _ "$CG/mta" \
		ip netns exec "$NS" python3 -c '
import socket, struct, sys
name = (sys.argv[1] + ".army.ml").encode()
q = struct.pack("!HHHHHH", 0x4d58, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(l)]) + l for l in name.split(b".")) + b"\0"
q += struct.pack("!HH", 15, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(q, ("127.0.0.1", 53))' "$1"
}

# has FILE TEXT: FILE (appears and) holds TEXT, within 10 s.
has() { wait_for 10 grep -qF -- "$2" "$1"; }

# json_has FILE TAG PYEXPR: a JSON line of FILE (after an optional
# "word " prefix) for TAG.army.ml satisfies PYEXPR over `j`.
json_has() {
	wait_for 10 python3 - "$@" <<'PY'
import json, sys
path, tag, expr = sys.argv[1:]
for line in open(path, errors="replace"):
    line = line.strip()
    if "{" not in line:
        continue
    try:
        j = json.loads(line[line.index("{"):])
    except ValueError:
        continue
    if tag in json.dumps(j) and eval(expr, {"j": j}):
        sys.exit(0)
sys.exit(1)
PY
}

# --- 1: journal + rsyslog "@cee:" + the JSON file ------------------------
start_daemon "journal = yes" "syslog = yes" \
	"syslog_socket = $T/rsyslog-cee.sock" "json_file = $T/log/alerts.json"
query one
check "JSON file: the alert" has "$T/log/alerts.json" "one.army.ml"
check "JSON file: 0640 root:adm" test "$(stat -c '%a %U %G' \
	"$T/log/alerts.json")" = "640 root adm"

JQ='MESSAGE_ID=1a4c7b5eaa3b4714a1523612a6e1a343'
journal_json() { journalctl --no-pager -o json "$JQ" 2>/dev/null; }
check "journald: the record, with its MESSAGE_ID" \
	wait_for 10 sh -c "journalctl --no-pager -o json '$JQ' | grep -q one.army.ml"
journal_json >"$T/journal.json"
check "journald: native MXGUARD_* fields" python3 - "$T/journal.json" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if "one.army.ml" in l]
assert recs, "no record"
r = recs[-1]
want = {"SYSLOG_IDENTIFIER": "mxguardd", "PRIORITY": "5",
        "MXGUARD_EVENT_ACTION": "dns-lookalike-query",
        "MXGUARD_LOOKALIKE": "one.army.ml", "MXGUARD_PROTECTED": "mil",
        "MXGUARD_MODE": "alert", "MXGUARD_ACTION": "block"}
for k, v in want.items():
    assert r.get(k) == v, (k, r.get(k), v)
alert = json.loads(r["MXGUARD_JSON"])
assert alert["event"]["action"] == "dns-lookalike-query", alert
assert alert["dns"]["question"]["name"] == "one.army.ml", alert
assert r["MESSAGE"].startswith("dns-lookalike-query "), r["MESSAGE"]
PY
journalctl --update-catalog >/dev/null 2>&1
check "journald: journalctl -x explains it (catalog)" sh -c \
	"journalctl --no-pager -x '$JQ' | grep -q 'mxguard saw a DNS question for a lookalike domain'"

check "rsyslog @cee: mmjsonparse gives the fields" json_has \
	"$T/syslog.json" one.army.ml \
	'j["event"]["action"] == "dns-lookalike-query" and j["mxguard"]["protected"] == "mil" and j["ecs"]["version"]'
check "rsyslog @cee: 0640 root:adm, as the snippet says" test \
	"$(stat -c '%a %G' "$T/syslog.json")" = "640 adm"
stop_daemon

# --- 2: rsyslog, RFC 5424 ------------------------------------------------
start_daemon "syslog = yes" "syslog_socket = $T/syslog.sock" \
	"syslog_format = rfc5424" "syslog_enterprise_id = 32473"
query two
check "rsyslog RFC 5424: mmpstrucdata gives the SD params" json_has \
	"$T/syslog-rfc5424.json" two.army.ml \
	'j["rfc5424-sd"]["mxguard@32473"]["lookalike"] == "two.army.ml" and j["rfc5424-sd"]["mxguard@32473"]["protected"] == "mil"'
check "rsyslog RFC 5424: MSGID" has "$T/syslog-rfc5424.json" \
	" dns-lookalike-query {"
stop_daemon

# --- 3, 4: syslog-ng, both forms -----------------------------------------
start_daemon "syslog = yes" "syslog_socket = $T/sng-cee.sock"
query three
check "syslog-ng @cee: json-parser gives the fields" json_has \
	"$T/syslog-ng.json" three.army.ml \
	'j[".cee.event.action"] == "dns-lookalike-query" and j[".cee.mxguard.protected"] == "mil"'
stop_daemon
start_daemon "syslog = yes" "syslog_socket = $T/syslog-ng.sock" \
	"syslog_format = rfc5424" "syslog_enterprise_id = 32473"
query four
check "syslog-ng RFC 5424: SDATA and MSGID" json_has \
	"$T/syslog-ng-rfc5424.json" four.army.ml \
	'j["SDATA"]["mxguard@32473"]["lookalike"] == "four.army.ml" and j["MSGID"] == "dns-lookalike-query" and j["PROGRAM"] == "mxguardd"'
stop_daemon

# --- 5: logrotate --------------------------------------------------------
start_daemon "json_file = $T/log/alerts.json"
query five
has "$T/log/alerts.json" five.army.ml
before=$(wc -l <"$T/log/alerts.json")
# The shipped file, on this test's directory, signalling this daemon.
sed -e "s|/var/log/mxguard/|$T/log/|" \
	-e "s|systemctl kill .*mxguardd.service|kill -USR1 $DAEMON|" \
	"$SRC/user/dist/mxguard.logrotate" >"$T/logrotate.conf"
grep -q "kill -USR1 $DAEMON" "$T/logrotate.conf" || die "postrotate not rewritten"
check "logrotate: the shipped file runs" logrotate -f -s "$T/logrotate.state" \
	"$T/logrotate.conf"
query six
check "logrotate: the next alert is in the new file" has "$T/log/alerts.json" \
	six.army.ml
check "logrotate: the old file kept every alert it had" test \
	"$(wc -l <"$T/log/alerts.json.1")" = "$before"
check "logrotate: no alert of the new file in the old one" sh -c \
	"! grep -q six.army.ml '$T/log/alerts.json.1'"
check "logrotate: new file 0640 root:adm" test "$(stat -c '%a %U %G' \
	"$T/log/alerts.json")" = "640 root adm"
stop_daemon

# --- 6: a character device as the JSON file keeps its mode ---------------
# json_file = /dev/null is a common way to silence the file; the 0640 adm
# mode is for a new regular file only.  A node of our own, not the host's.
mknod -m 666 "$T/null" c 1 3 || die "mknod"
start_daemon "json_file = $T/null"
query null
sleep 0.3
stop_daemon
check "json_file on a device: its mode and owner untouched" test \
	"$(stat -c '%a %U %G' "$T/null")" = "666 root root"

# --- 7: what the configuration refuses -----------------------------------
printf '%s\n' "syslog = yes" "syslog_format = rfc5424" >"$T/bad.conf"
chmod 644 "$T/bad.conf"
"$MXGUARDD" -n -f "$T/bad.conf" --policy "$T/mil.policy" >"$T/bad.out" 2>&1
check "rfc5424 without an enterprise number is refused" sh -c \
	"[ $? -eq 2 ] && grep -q 'needs syslog_enterprise_id' '$T/bad.out'"

[ "$FAILED" -eq 0 ]
