#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# End-to-end suite: a real Postfix and a real unbound on a mail host, mail to
# a test internet, mxguardd watching Postfix's cgroup (issue 4).  Builds the
# world of lib.sh, runs the 9 scenarios against it, prints "ok N - name" per
# scenario and "P passed, F failed" last; exits nonzero on any failure.  The
# EXIT trap removes everything it made, also when a scenario fails.
#
# usage: run.sh MXGUARDD   (as root; E2E_KEEP=1 keeps the temp dir)
set -uo pipefail

[ $# -eq 1 ] || { echo "usage: run.sh MXGUARDD" >&2; exit 2; }
MXGUARDD=$(realpath "$1")
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/lib.sh"

TOTAL=9
. "$(dirname "$0")/checks.sh"

# The shipped seed policy, and the relay typo; copies, so that scenario 8
# can edit one and reload.
policy_all() { echo --policy "$POLICY_MIL" --policy "$POLICY_RELAY"; }

# --- the scenarios ---------------------------------------------------------

s1_genuine_delivered() {
	scenario_begin "mail to officer@army.mil is delivered, no alert"
	submit s1 officer@army.mil
	outcome s1 || fail "no outcome for s1"
	expect "Postfix status" "$STATUS" sent
	expect "relay" "$RELAY" "mx.army.mil[$MX_MIL4]:25"
	expect "messages at the army.mil sink" \
		"$(sink event=message id=s1 local=$MX_MIL4)" 1
	expect "alerts" "$(alerts event.kind=alert)" 0
	expect "taint records" "$(alerts event.action=tainted)" 0
	scenario_end
}

s2_lookalike_blocked() {
	scenario_begin "mail to officer@army.ml is blocked and held (block mode)"
	cap_start s2
	submit s2 officer@army.ml
	outcome s2 || fail "no outcome for s2"
	local pid=$SMTP_PID qid=$QID
	S2_QID=$QID
	cap_stop || fail "capture"
	expect "Postfix status" "$STATUS" deferred
	expect "Postfix log: refused connects to mx.mali-mail.net" \
		"$(refused mx.mali-mail.net)" 2
	expect "postqueue -j: held in the deferred queue" "$(queue |
		$E2E_PY select - --count queue_id="$qid" queue_name=deferred \
		recipients.0.address=officer@army.ml \
		'recipients.0.delay_reason~=Operation not permitted')" 1
	expect "sink connections to the army.ml MX" \
		"$(($(sink event=connect local=$MX_ML4) + \
		    $(sink event=connect local=$MX_ML6)))" 0
	expect "captured packets to the army.ml MX" \
		"$(cap_count "host $MX_ML4 or host $MX_ML6")" 0
	# One alert per refused connect: Postfix tries the MX's A and AAAA.
	# process.executable is the kernel's name for the file from the
	# daemon's side; smtp runs in a mount namespace of ip netns exec's,
	# so when the suite itself runs in a chroot (make check-minbase) the
	# name carries the chroot's path in front.
	wait_alerts 2 event.action=blocked
	expect "blocked alerts" "$(alerts event.action=blocked)" 2
	expect "blocked alerts with every field of the story" "$(alerts \
		event.kind=alert event.action=blocked event.outcome=failure \
		mxguard.lookalike=army.ml mxguard.protected=mil \
		mxguard.resolved_name=mx.mali-mail.net mxguard.action=block \
		destination.port=25 destination.domain=mx.mali-mail.net \
		ecs.version=8.11.0 event.severity=73 \
		"rule.name=lookalike ml of mil" \
		process.name=smtp process.pid="$pid" \
		'process.executable~=^(/.*)?/usr/lib/postfix/sbin/smtp$' \
		"destination.ip~=^($MX_ML4|$MX_ML6)\$")" 2
	[ "$FAIL" -eq 0 ] || $E2E_PY select "$T/alerts.jsonl" --skip "$ALERT0" \
		event.action=blocked | head -n 2 | sed 's/^/#   /'
	expect "addresses blocked" "$(alert_get destination.ip \
		event.action=blocked | sort | tr '\n' ' ')" "$MX_ML4 $MX_ML6 "
	expect "lookalike queries seen" \
		"$(alerts event.action=dns-lookalike-query dns.question.name=army.ml)" 1
	expect "other alerts" "$(alerts event.kind=alert \
		event.action!=blocked event.action!=dns-lookalike-query)" 0
	scenario_end
}

s3_alert_mode() {
	scenario_begin "alert mode: delivered, alert precedes the first data packet"
	stop_mxguardd
	start_mxguardd $(policy_all) --mode alert
	cap_start s3
	submit s3 adjutant@army.ml
	outcome s3 || fail "no outcome for s3"
	cap_stop || fail "capture"
	expect "Postfix status" "$STATUS" sent
	local ip=${RELAY#*[}
	ip=${ip%]*}
	expect "messages at the army.ml sink" \
		"$(sink event=message id=s3 "local~=^($MX_ML4|$MX_ML6)\$")" 1
	wait_alerts 1 event.action=alerted
	expect "alerted connects" "$(alerts event.action=alerted \
		event.outcome=success mxguard.lookalike=army.ml \
		mxguard.protected=mil mxguard.mode=alert mxguard.action=block \
		process.name=smtp destination.ip="$ip")" 1
	expect "blocked connects" "$(alerts event.action=blocked)" 0
	local ts data margin
	ts=$(alert_get @timestamp event.action=alerted | head -n 1)
	data=$(tcpdump -r "$CAP_FILE" -n -tt \
		"tcp and dst host $ip and dst port 25" 2>/dev/null |
		awk '/ length [1-9][0-9]*/ { print $1; exit }')
	if [ -z "$ts" ] || [ -z "$data" ]; then
		fail "alert time '$ts' or first data packet '$data' missing"
	elif margin=$($E2E_PY before "$ts" "$data"); then
		echo "#   alert $ts, first data to $ip at $data: $margin us earlier"
	else
		fail "alert $ts is not before the first data packet $data"
	fi
	scenario_end
}

s4_shared_mx() {
	scenario_begin "shared MX: contractor.com delivered, navy.ml blocked, same run"
	stop_mxguardd
	start_mxguardd $(policy_all)
	submit s4-lookalike officer@navy.ml
	submit s4-genuine buyer@contractor.com
	outcome s4-lookalike || fail "no outcome for s4-lookalike"
	expect "navy.ml status" "$STATUS" deferred
	local pid_bad=$SMTP_PID
	outcome s4-genuine || fail "no outcome for s4-genuine"
	expect "contractor.com status" "$STATUS" sent
	expect "contractor.com relay" "$RELAY" "mx.bighost.net[$MX_SHARED4]:25"
	# Once more in sequence, so that the idle smtp process that was refused
	# the address is the one that delivers to it.
	submit s4-lookalike2 officer2@navy.ml
	outcome s4-lookalike2 || fail "no outcome for s4-lookalike2"
	expect "navy.ml status (2)" "$STATUS" deferred
	submit s4-genuine2 buyer2@contractor.com
	outcome s4-genuine2 || fail "no outcome for s4-genuine2"
	expect "contractor.com status (2)" "$STATUS" sent
	echo "#   smtp processes: navy.ml refused in [$pid_bad], contractor.com" \
		"delivered by [$SMTP_PID]"
	expect "messages at the shared MX" "$(($(sink event=message \
		id=s4-genuine local=$MX_SHARED4) + $(sink event=message \
		id=s4-genuine2 local=$MX_SHARED4)))" 2
	expect "lookalike messages at the shared MX" "$(sink event=message \
		'id~=^s4-lookalike')" 0
	expect "refused connects to mx.navy.ml" "$(refused mx.navy.ml)" 2
	# mxguardd folds a repeat of the same (process, address) into a later
	# "repeated N times" line, so look for one alert per refused process.
	# mx.navy.ml is itself under .ml, so it may be the name that matched.
	local pid
	for pid in $(refused_pids mx.navy.ml); do
		wait_alerts 1 event.action=blocked process.pid="$pid"
		expect_ge "blocked alerts for navy.ml in smtp[$pid]" "$(alerts \
			event.action=blocked process.pid="$pid" \
			'mxguard.lookalike~=^(mx\.)?navy\.ml$' \
			mxguard.protected=mil mxguard.resolved_name=mx.navy.ml \
			destination.ip=$MX_SHARED4)" 1
	done
	expect "alerts about anything but navy.ml" "$(alerts event.kind=alert \
		'mxguard.lookalike!~=^(mx\.)?navy\.ml$')" 0
	expect "alerted (allowed) connects" "$(alerts event.action=alerted)" 0
	scenario_end
}

s5_ipv6_only() {
	scenario_begin "IPv6-only lookalike MX is blocked"
	cap_start s5
	submit s5 gunny@marines.ml
	outcome s5 || fail "no outcome for s5"
	cap_stop || fail "capture"
	expect "Postfix status" "$STATUS" deferred
	expect "refused connects to mx6.marines.ml" \
		"$(refused mx6.marines.ml)" 1
	wait_alerts 1 event.action=blocked
	expect "blocked alerts" "$(alerts event.action=blocked \
		'mxguard.lookalike~=^(mx6\.)?marines\.ml$' mxguard.protected=mil \
		mxguard.resolved_name=mx6.marines.ml destination.ip=$MX_V6ONLY \
		destination.port=25 process.name=smtp)" 1
	expect "sink connections to the IPv6 MX" \
		"$(sink event=connect local=$MX_V6ONLY)" 0
	expect "captured packets to the IPv6 MX" \
		"$(cap_count "ip6 host $MX_V6ONLY")" 0
	scenario_end
}

# A lookalike whose MX is the shared host's own name (gmial.com MX
# aspmx.l.google.com): the name is tainted for the smtp process, and in unit
# scope for every smtp process, for the MX record's TTL.  A delivery to the
# clean domain on that host, after the lookalike's was refused, still goes
# out, in either scope.
s9_shared_mx_name() {
	scenario_begin "a lookalike's MX is contractor.com's host name: contractor.com delivered"
	local scope
	for scope in process unit; do
		stop_mxguardd
		start_mxguardd $(policy_all) --scope $scope
		submit s9-$scope-lookalike officer@fleet.ml
		outcome s9-$scope-lookalike ||
			fail "no outcome for s9-$scope-lookalike"
		expect "fleet.ml status ($scope scope)" "$STATUS" deferred
		local pid_bad=$SMTP_PID
		submit s9-$scope-genuine buyer@contractor.com
		outcome s9-$scope-genuine ||
			fail "no outcome for s9-$scope-genuine"
		expect "contractor.com status ($scope scope)" "$STATUS" sent
		expect "contractor.com relay ($scope scope)" "$RELAY" \
			"mx.bighost.net[$MX_SHARED4]:25"
		echo "#   $scope scope: fleet.ml refused in smtp[$pid_bad]," \
			"contractor.com delivered by smtp[$SMTP_PID]"
	done
	expect "contractor.com messages at the shared MX" "$(sink \
		event=message 'id~=^s9-.*-genuine$' local=$MX_SHARED4)" 2
	expect "fleet.ml messages at any sink" "$(sink event=message \
		'id~=^s9-.*-lookalike$')" 0
	expect_ge "refused connects to mx.bighost.net" \
		"$(refused mx.bighost.net)" 2
	wait_alerts 2 event.action=blocked
	expect_ge "blocked alerts naming fleet.ml and the host" "$(alerts \
		event.action=blocked mxguard.lookalike=fleet.ml \
		mxguard.protected=mil mxguard.resolved_name=mx.bighost.net \
		destination.ip=$MX_SHARED4)" 2
	expect "alerts about anything but fleet.ml" "$(alerts event.kind=alert \
		mxguard.lookalike!=fleet.ml)" 0
	expect "alerted (allowed) connects" "$(alerts event.action=alerted)" 0
	stop_mxguardd
	start_mxguardd $(policy_all)
	scenario_end
}

s6_typo_relayhost() {
	scenario_begin "typo'd relayhost [smtp.office365.co]:587 is blocked"
	postconf_ -e 'relayhost = [smtp.office365.co]:587'
	reload_postfix || fail "postfix reload"
	cap_start s6
	submit s6 partner@contractor.com
	outcome s6 || fail "no outcome for s6"
	cap_stop || fail "capture"
	postconf_ -e 'relayhost ='
	reload_postfix || fail "postfix reload"
	expect "Postfix status" "$STATUS" deferred
	expect "refused connects to the relay" \
		"$(refused smtp.office365.co)" 1
	wait_alerts 1 event.action=blocked
	expect "blocked alerts naming the relay" "$(alerts event.action=blocked \
		mxguard.lookalike=smtp.office365.co \
		mxguard.resolved_name=smtp.office365.co \
		mxguard.protected=office365.com destination.ip=$RELAY_TYPO4 \
		destination.port=587 process.name=smtp)" 1
	expect "sink connections to the typo'd relay" \
		"$(sink event=connect local=$RELAY_TYPO4)" 0
	expect "captured packets to the typo'd relay" \
		"$(cap_count "host $RELAY_TYPO4")" 0
	scenario_end
}

s7_continuity() {
	scenario_begin "kill -9 mid-batch of 50: lookalikes stay blocked, restart alerts again"
	local i rcpt ids_bad=() ids_good=() done_at_kill bad sent deferred
	local -a lookalikes=(officer@army.ml gunny@marines.ml)
	local -a genuine=(officer@army.mil buyer@contractor.com)
	cap_start s7
	for i in $(seq 1 50); do
		if [ $((i % 2)) -eq 1 ]; then
			ids_bad+=("s7-$i")
		else
			ids_good+=("s7-$i")
		fi
	done
	(
		for i in $(seq 1 50); do
			if [ $((i % 2)) -eq 1 ]; then
				rcpt=${lookalikes[$((i / 2 % 2))]}
			else
				rcpt=${genuine[$((i / 2 % 2))]}
			fi
			submit "s7-$i" "$rcpt"
		done
	) &
	local submitter=$!
	# Kill once the first deliveries are done and most are still to come.
	$E2E_PY wait "$T/maillog" --skip "$LOG0" --re 'status=' --count 5 \
		--timeout 30 >/dev/null || fail "no delivery started"
	kill -KILL "$MXGUARDD_PID"
	done_at_kill=$(tail -n +"$((LOG0 + 1))" "$T/maillog" | grep -c 'status=')
	$E2E_PY wait-exit "$MXGUARDD_PID" --timeout 10 || fail "still alive"
	MXGUARDD_PID=
	wait "$submitter" || fail "submitting the batch"
	echo "#   killed mxguardd after $done_at_kill of 50 deliveries"
	[ "$done_at_kill" -lt 50 ] || fail "the kill came after the batch"
	sent=0 deferred=0
	for i in "${ids_good[@]}"; do
		outcome "$i" || true
		[ "$STATUS" = sent ] && sent=$((sent + 1))
	done
	for i in "${ids_bad[@]}"; do
		outcome "$i" || true
		[ "$STATUS" = deferred ] && deferred=$((deferred + 1))
	done
	cap_stop || fail "capture"
	expect "genuine messages sent" "$sent" 25
	expect "lookalike messages held" "$deferred" 25
	expect "genuine messages at the sinks" "$(SKIP=$SINK0 sink event=message \
		'id~=^s7-[0-9]*[02468]$')" 25
	expect "lookalike connections at the sinks" "$(SKIP=$SINK0 sink \
		event=connect "local~=^($MX_ML4|$MX_ML6|$MX_V6ONLY)\$")" 0
	expect "captured packets to lookalike MXs" \
		"$(cap_count "host $MX_ML4 or host $MX_ML6 or host $MX_V6ONLY")" 0
	bad=$(tail -n +"$((LOG0 + 1))" "$T/maillog" |
		grep -c 'Operation not permitted)$')
	expect "deferrals with EPERM in the log" "$bad" 25
	# Restart: the new daemon adopts the pinned programs and alerts again,
	# for a delivery made after it started.  That one goes to navy.ml: a
	# repeat of an alert the new daemon replays from the pinned ring buffer
	# (same smtp process and address) would be folded into "repeated N".
	local log0 restart_at ts fresh=0
	ALERT0=$(lines "$T/alerts.jsonl") log0=$(lines "$T/mxguardd.err")
	restart_at=$(date +%s.%6N)
	start_mxguardd $(policy_all)
	tail -n +"$((log0 + 1))" "$T/mxguardd.err" | grep -q 'adopted enforcement' ||
		fail "restarted daemon did not adopt the pins"
	submit s7-after officer3@navy.ml
	outcome s7-after || fail "no outcome for s7-after"
	expect "after restart: status" "$STATUS" deferred
	wait_alerts 1 event.action=blocked process.pid="$SMTP_PID"
	for ts in $(alert_get @timestamp event.action=blocked \
		    'mxguard.lookalike~=^(mx\.)?navy\.ml$' \
		    process.pid="$SMTP_PID"); do
		$E2E_PY before "$restart_at" "$ts" >/dev/null &&
			fresh=$((fresh + 1))
	done
	expect_ge "after restart: blocked alerts for navy.ml, newer than it" \
		"$fresh" 1
	echo "#   after the restart, $(alerts event.kind=alert) alerts, of" \
		"which $(for ts in $(alert_get @timestamp event.kind=alert); do
			$E2E_PY before "$ts" "$restart_at" >/dev/null && echo
		done | wc -l) from while it was down"
	scenario_end
}

s8_release() {
	scenario_begin "lookalike entry removed, reload, postqueue -f delivers held mail"
	local held
	held=$(queue | $E2E_PY select - --count queue_name=deferred)
	expect_ge "held messages" "$held" 2
	expect "s2's message is held" "$(queue | $E2E_PY select - --count \
		queue_name=deferred queue_id="$S2_QID")" 1
	# Remove the entry from the policy file and reload (SIGHUP): the new
	# policy is swapped in whole, and what the removed rule tainted goes.
	sed -E '/^lookalike[[:space:]]+ml[[:space:]]+of[[:space:]]+mil\b/d' \
		"$SRC/policies/mil.policy" >"$POLICY_MIL.new"
	cmp -s "$POLICY_MIL.new" "$POLICY_MIL" &&
		fail "no 'lookalike ml of mil' line to remove"
	mv "$POLICY_MIL.new" "$POLICY_MIL"
	local reloads
	reloads=$(grep -c 'reloaded' "$T/mxguardd.err")
	kill -HUP "$MXGUARDD_PID"
	$E2E_PY wait "$T/mxguardd.err" --re 'reloaded' \
		--count $((reloads + 1)) --timeout 10 >/dev/null ||
		fail "mxguardd did not log a reload"
	grep 'reloaded' "$T/mxguardd.err" | tail -n 1 | sed 's/^/#   /'
	mailns postqueue -c "$T/postfix" -f
	$E2E_PY wait "$T/maillog" --skip "$LOG0" --re 'status=sent' \
		--count "$held" --timeout 30 >/dev/null ||
		fail "not every held message was sent"
	expect "messages left in the queue" "$(queue | $E2E_PY select - --count)" 0
	expect "s2's message at the army.ml sink" "$(sink event=message id=s2 \
		"local~=^($MX_ML4|$MX_ML6)\$")" 1
	expect "blocked alerts" "$(alerts event.action=blocked)" 0
	scenario_end
}

# --- main ----------------------------------------------------------------

e2e_init e2e
POLICY_MIL=$T/mil.policy POLICY_RELAY=$T/relay.policy
trap 'echo "Bail out! setup failed: line $LINENO: $BASH_COMMAND"' ERR
set -e
[ -x "$MXGUARDD" ] || e2e_die "$MXGUARDD: not built"
e2e_net
e2e_dns
e2e_sinks
e2e_postfix
cp "$SRC/policies/mil.policy" "$POLICY_MIL"
printf '# The relay name with its last letter dropped.\nlookalike office365.co of office365.com action=block\n' \
	>"$POLICY_RELAY"
: >"$T/alerts.jsonl"
start_mxguardd $(policy_all)
set +e
trap - ERR
echo "1..$TOTAL"

s1_genuine_delivered
s2_lookalike_blocked
s3_alert_mode
s4_shared_mx
s5_ipv6_only
s9_shared_mx_name
s6_typo_relayhost
s7_continuity
s8_release

[ "$PASSED" -eq "$TOTAL" ]
