#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The booted-system test, inside Debian 12 booted with systemd as PID 1
# (vmtest/system.sh boots it; the hook runs this as root once the system
# is up).  No network: Postfix's DNS is a local unbound, stub to a local
# nsd serving the test zones, and the "remote" MX servers are sink.py on
# documentation addresses on lo.
#
#   guest.sh TESTDIR RESULTS
#
# As an administrator would: install the .deb (enabled, alert mode: mail
# to a lookalike is still delivered and alerted), switch to block with the
# one line the configuration documents (mail held, alert in the journal
# and in the JSON file, clean mail delivered), restart with no gap (every
# connect during the restart refused), rotate the log, purge (no pins, no
# programs, mail flows again).  TAP on stdout and in RESULTS/system.tap.
set -uo pipefail
t=$1 res=$2
tap=$res/system.tap
n=0 failed=0
: > "$tap"
# Each line also to the console, for whoever watches console.log.
say() {
	echo "$*" | tee -a "$tap"
	echo "mxgtest: $*" > /dev/console 2>/dev/null
}
ok() { n=$((n + 1)); say "ok $n - $1"; }
bad() { n=$((n + 1)); failed=$((failed + 1)); say "not ok $n - $1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
note() { say "# $*"; }
# Wait up to $1 seconds for a condition, polling every half second.
wait_for() {
	local i
	for ((i = 0; i < $1 * 2; i++)); do
		eval "$2" && return 0
		sleep 0.5
	done
	return 1
}
section() { note "--- $* ($(date +%T))"; }

conf=/etc/mxguard/mxguard.conf
sink=/run/mxgtest/sink
mkdir -p "$sink"

section "test network: zones, resolver, remote MX servers"
# army.ml: the seed case's lookalike (mil.policy blocks .ml);
# partner.example: a clean destination.  All on documentation addresses.
ip addr add 192.0.2.25/32 dev lo
ip addr add 192.0.2.26/32 dev lo
mkdir -p /etc/nsd/zones
cat > /etc/nsd/zones/ml.zone <<-'Z'
$TTL 3600
@	SOA ns.ml. hostmaster.ml. 1 3600 600 86400 3600
@	NS ns.ml.
ns	A 127.0.0.1
army	MX 10 mx.army
mx.army	A 192.0.2.25
Z
cat > /etc/nsd/zones/example.zone <<-'Z'
$TTL 3600
@	SOA ns.example. hostmaster.example. 1 3600 600 86400 3600
@	NS ns.example.
ns	A 127.0.0.1
partner	MX 10 mx.partner
mx.partner	A 192.0.2.26
Z
cat > /etc/nsd/nsd.conf <<-'C'
server:
	ip-address: 127.0.0.1@5300
	port: 5300
	zonesdir: /etc/nsd/zones
zone:
	name: ml
	zonefile: ml.zone
zone:
	name: example
	zonefile: example.zone
C
cat > /etc/unbound/unbound.conf.d/mxgtest.conf <<-'C'
server:
	interface: 127.0.0.1
	do-not-query-localhost: no
	do-ip6: no
	domain-insecure: "ml"
	domain-insecure: "example"
	module-config: "iterator"
stub-zone:
	name: "ml"
	stub-addr: 127.0.0.1@5300
stub-zone:
	name: "example"
	stub-addr: 127.0.0.1@5300
C
rm -f /etc/unbound/unbound.conf.d/root-auto-trust-anchor-file.conf
systemctl restart nsd unbound
check "nsd and unbound serve the test zones" \
	"wait_for 20 'getent ahostsv4 mx.army.ml | grep -q 192.0.2.25'"
# Postfix as Debian installs it, told only to send for itself: no local
# listener but loopback, IPv4, quick retries.
postconf -e inet_interfaces=loopback-only inet_protocols=ipv4 \
	mydestination=mailhost.test,localhost myhostname=mailhost.test \
	relayhost= minimal_backoff_time=10s maximal_backoff_time=20s \
	queue_run_delay=10s smtp_connect_timeout=5s
# Before the sinks bind: Debian's default listens on every address.
systemctl restart postfix
check "postfix@-.service runs" "wait_for 20 'systemctl is-active -q postfix@-.service'"

python3 "$t/sink.py" "$sink" 192.0.2.25 192.0.2.26 > "$res/sink.log" 2>&1 &
check "the remote MX servers listen (sink.py)" "wait_for 10 \"grep -q ready '$res/sink.log'\""

# Send a message; its Subject tags it.
mail_to() {
	printf 'From: root@mailhost.test\nTo: %s\nSubject: %s\n\n%s\n' \
		"$1" "$2" "$2" | /usr/sbin/sendmail -f root@mailhost.test "$1"
	postqueue -f > /dev/null 2>&1
}
delivered() { grep -lqs "^Subject: $1\$" "$sink"/*.eml; }
queued() { postqueue -j 2>/dev/null | grep -q "\"$1\""; }
journal_has() {
	journalctl -u mxguardd.service -o cat --no-pager 2>/dev/null | grep -F "$1" | grep -qF "$2"
}

section "install the package"
deb=$(ls "$t"/mxguard_*.deb | head -n1)
apt-get install -y "$deb" > "$res/apt-install.log" 2>&1
check "apt install ./$(basename "$deb") (no network)" "dpkg-query -W -f='\${Status}' mxguard | grep -q 'ok installed'"
check "the unit is enabled" "[ \"\$(systemctl is-enabled mxguardd.service)\" = enabled ]"
check "the unit is running" "wait_for 30 'systemctl is-active -q mxguardd.service'"
if ! systemctl is-active -q mxguardd.service; then
	# Nothing after this can pass: say why, on the console too, and stop.
	journalctl -b -u mxguardd.service --no-pager -o short-precise 2>&1 |
		tail -n 30 | while IFS= read -r l; do note "$l"; done
	say "Bail out! mxguardd.service is not running after the install"
	exit 1
fi
check "the control group exists (sysusers)" "getent group mxguard > /dev/null"
check "it is ordered before postfix@-.service" \
	"systemctl show -p Before --value mxguardd.service | tr ' ' '\n' | grep -qx 'postfix@-.service'"
check "it starts in alert mode" "mxguardctl status | grep -qx 'mode: alert'"
check "the shipped policies are live through vendor.policy" \
	"{ mxguardctl check army.ml || true; } | grep -q '^at: /usr/share/mxguard/policies/mil.policy:'"
check "programs attached to the cgroup2 root" \
	"bpftool cgroup tree 2>/dev/null | grep -q mxg_connect4"
check "man pages installed" "[ -e /usr/share/man/man8/mxguardd.8.gz ]"

section "alert mode: delivery unchanged"
# The JSON file, as mxguard.conf suggests it.
sed -i 's|^#json_file = /var/log/mxguard/alerts.json|json_file = /var/log/mxguard/alerts.json|' "$conf"
if ! systemctl cat mxguardd.service | grep -q '^LogsDirectory='; then
	note "the unit has no LogsDirectory= yet (issue 12, logging half):" \
		"a drop-in adds it for this test"
	mkdir -p /etc/systemd/system/mxguardd.service.d
	printf '[Service]\nLogsDirectory=mxguard\n' \
		> /etc/systemd/system/mxguardd.service.d/logs.conf
	systemctl daemon-reload
fi
systemctl restart mxguardd.service
check "restarted with json_file set" "wait_for 30 'systemctl is-active -q mxguardd.service'"
mail_to user@army.ml alert-mode-1
check "alert mode: mail to army.ml is delivered" "wait_for 60 'delivered alert-mode-1'"
check "alert mode: the connect is alerted in the journal" \
	"wait_for 10 'journal_has army.ml alerted'"

section "block mode: the one-line switch"
sed -i 's/^mode = alert$/mode = block/' "$conf" && systemctl restart mxguardd.service
check "switched to block mode" \
	"wait_for 30 'mxguardctl status 2>/dev/null | grep -qx \"mode: block\"'"
since=$(date '+%F %T')
mail_to user@army.ml block-mode-1
mail_to user@partner.example clean-1
check "block mode: mail to a clean domain is delivered" "wait_for 60 'delivered clean-1'"
check "block mode: mail to army.ml is held in the queue" \
	"wait_for 60 'postqueue -j | grep -q \"Operation not permitted\"'"
check "block mode: it never reached the server" "! delivered block-mode-1"
postqueue -j > "$res/queue.json" 2>&1
check "the queue says why" \
	"grep -q 'mx.army.ml\\[192.0.2.25\\]:25: Operation not permitted' '$res/queue.json'"
journalctl -u mxguardd.service -o json --since "$since" --no-pager > "$res/journal-block.json" 2>&1
check "the block is in the journal (unit mxguardd.service)" \
	"grep -F army.ml '$res/journal-block.json' | grep -q blocked"
if grep -aq MXGUARD_EVENT_ACTION /usr/sbin/mxguardd; then
	python3 - "$res/journal-block.json" > "$res/journal-check.txt" 2>&1 <<-'PY'
	import json, sys
	for line in open(sys.argv[1]):
	    e = json.loads(line)
	    if (e.get('MXGUARD_LOOKALIKE') == 'army.ml' and
	            e.get('MXGUARD_EVENT_ACTION') == 'blocked'):
	        assert e.get('MESSAGE_ID'), e
	        assert e.get('MXGUARD_PROTECTED') == 'mil', e
	        print('journal:', {k: v for k, v in e.items() if k.startswith('MXGUARD_')})
	        sys.exit(0)
	print('no journal entry with MXGUARD_LOOKALIKE=army.ml, MXGUARD_EVENT_ACTION=blocked')
	sys.exit(1)
	PY
	jrc=$?
	check "the journal entry has its fields (MESSAGE_ID, MXGUARD_LOOKALIKE, _EVENT_ACTION, _PROTECTED)" "[ $jrc -eq 0 ]"
else
	note "this build writes no journald native fields: MESSAGE only"
fi
json=/var/log/mxguard/alerts.json
check "the block is in the JSON file" "wait_for 10 'grep -qF army.ml $json'"
python3 - "$json" > "$res/json-check.txt" 2>&1 <<-'PY'
import json, sys
ok = False
for line in open(sys.argv[1]):
    a = json.loads(line)
    ev = a.get('event', {})
    mx = a.get('mxguard', {})
    if ev.get('action') == 'blocked' and mx.get('lookalike') == 'army.ml':
        assert a['destination']['ip'] == '192.0.2.25', a
        assert a['destination']['port'] == 25, a
        assert mx['protected'] == 'mil', a
        assert mx['mode'] == 'block', a
        assert mx['rule']['file'].endswith('mil.policy'), a
        ok = True
print('blocked alert with its fields' if ok else 'no blocked alert for army.ml')
sys.exit(0 if ok else 1)
PY
jrc=$?
check "the JSON alert has its fields (destination, protected, mode, rule)" "[ $jrc -eq 0 ]"

section "restart: no gap"
stop=/run/mxgtest/probe.stop
rm -f "$stop"
python3 "$t/probe.py" mx.army.ml "$stop" 90 > "$res/probe.log" 2>&1 &
probe=$!
wait_for 20 "grep -q EPERM '$res/probe.log'" || bad "the probe's first connect is refused"
t_restart=$(date +%s.%N)
systemctl restart mxguardd.service
wait_for 30 'systemctl is-active -q mxguardd.service'
t_active=$(date +%s.%N)
sleep 2
touch "$stop"
wait "$probe"
awk -v a="$t_restart" -v b="$t_active" '
	/^resolved/ { next }
	{ n++; if ($2 != "EPERM") bad++; if ($1 >= a && $1 <= b) during++ }
	END { printf "%d attempts, %d during the restart (%.2f s), %d not refused\n",
		n, during, b - a, bad }' "$res/probe.log" > "$res/probe.txt"
note "probe: $(cat "$res/probe.txt")"
check "every connect across the restart is refused (EPERM)" \
	"! grep -v '^resolved' '$res/probe.log' | grep -qv ' EPERM\$'"
check "connects were attempted while it restarted" \
	"awk '{ exit !(\$4 > 0) }' '$res/probe.txt'"
check "the restarted daemon adopted the pins (still block mode)" \
	"mxguardctl status | grep -qx 'mode: block'"

section "upgrade: no gap"
# dpkg -i of the package over itself is an upgrade to dpkg: prerm upgrade
# (no stop), the new files, postinst configure OLD-VERSION (a restart).
rm -f "$stop"
python3 "$t/probe.py" mx.army.ml "$stop" 120 > "$res/probe-upgrade.log" 2>&1 &
probe=$!
wait_for 20 "grep -q EPERM '$res/probe-upgrade.log'" || bad "the probe's first connect is refused (upgrade)"
adopted() { journalctl -u mxguardd.service -o cat --no-pager | grep -c 'adopted enforcement'; }
before=$(adopted)
dpkg -i "$deb" > "$res/dpkg-upgrade.log" 2>&1
up=$?
wait_for 30 'systemctl is-active -q mxguardd.service'
sleep 2
touch "$stop"
wait "$probe"
note "upgrade probe: $(grep -vc '^resolved' "$res/probe-upgrade.log") attempts," \
	"$(grep -v '^resolved' "$res/probe-upgrade.log" | grep -vc ' EPERM$') not refused"
check "dpkg -i over the installed package (an upgrade)" "[ $up -eq 0 ]"
check "the upgrade restarted the daemon, which adopted the pins" \
	"wait_for 10 '[ \$(adopted) -gt $before ]'"
check "every connect across the upgrade is refused (EPERM)" \
	"! grep -v '^resolved' '$res/probe-upgrade.log' | grep -qv ' EPERM\$'"
check "still block mode after the upgrade (the conffile kept)" \
	"mxguardctl status | grep -qx 'mode: block'"

section "logrotate"
if [ -e /etc/logrotate.d/mxguard ]; then
	lines=$(wc -l < "$json")
	logrotate -f /etc/logrotate.d/mxguard
	check "logrotate rotated the JSON file" "[ -e $json.1 ] || ls $json.1* > /dev/null 2>&1"
	mail_to user@army.ml block-mode-2
	check "alerts go to the new file after the rotation" \
		"wait_for 60 'grep -q army.ml $json'"
	check "the daemon still runs" "systemctl is-active -q mxguardd.service"
else
	note "no /etc/logrotate.d/mxguard in this package yet (issue 12," \
		"logging half): the rotation is not tested"
fi

section "purge"
apt-get purge -y mxguard > "$res/apt-purge.log" 2>&1
check "apt purge mxguard" "! dpkg-query -W -f='\${Status}' mxguard 2>/dev/null | grep -q installed"
check "no pins left in /sys/fs/bpf" "[ ! -e /sys/fs/bpf/mxguard ]"
bpftool cgroup tree > "$res/cgroup-tree.txt" 2>&1
bpftool prog show > "$res/prog-show.txt" 2>&1
check "no program attached to any cgroup (bpftool cgroup tree)" \
	"! grep -q mxg_ '$res/cgroup-tree.txt'"
check "no mxguard program loaded (bpftool prog show)" \
	"! grep -q mxg_ '$res/prog-show.txt'"
check "configuration and state gone" "[ ! -e /etc/mxguard ] && [ ! -e /var/lib/mxguard ]"
postqueue -f > /dev/null 2>&1
check "the held mail goes out once enforcement is gone" \
	"wait_for 60 'delivered block-mode-1'"

echo "1..$n" >> "$tap"
echo "1..$n"
note "$((n - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
