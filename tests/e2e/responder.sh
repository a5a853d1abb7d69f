#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# End-to-end: the kernel block told in SMTP (issue 10).  The world of
# lib.sh, with mxguardd's SMTP responder listening in the mail host's
# network namespace (--responder-netns), a real Postfix and a real Exim
# (unpacked, exim.sh).  For each: zero
# packets to the lookalike's address, the 450 reason in the MTA's queue
# listing and log, the domain on a shared MX delivered at once, the good
# domain delivered, kill -9 of mxguardd mid-batch losing nothing, and
# release after the rule is removed.
#
# usage: responder.sh MXGUARDD   (as root; E2E_KEEP=1 keeps the temp dir)
set -uo pipefail

[ $# -eq 1 ] || { echo "usage: responder.sh MXGUARDD" >&2; exit 2; }
MXGUARDD=$(realpath "$1")
MXGUARDCTL=$(dirname "$MXGUARDD")/mxguardctl
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/lib.sh"

TOTAL=12
. "$(dirname "$0")/checks.sh"
. "$(dirname "$0")/exim.sh"

RESPONDER_PORT=11025
policy_all() { echo --policy "$POLICY_MIL" --policy "$POLICY_RELAY"; }
start_with_responder() {
	start_mxguardd $(policy_all) --responder-port "$RESPONDER_PORT" \
		--responder-netns "/run/netns/$E2E_NS_MAIL" "$@"
}
ctl() { "$MXGUARDCTL" -s "$T/control.sock" "$@"; }

# The reply the responder gives for RCPT, as it must reach the queue.
reason_re() {	# reason_re LOCAL DOMAIN
	printf '450 4.7.1 <%s@%s>: %s imitates mil \\(.*mil.policy:[0-9]*\\); held on this host by mxguard; did you mean %s@%s?' \
		"$1" "${2//./\\.}" "${2//./\\.}" "$1" "${2%.ml}.mil"
}

# told ID: Postfix's log says the responder's reason for message ID.
told() {
	local qid
	qid=$(sed -n "s/.*: \([0-9A-F]*\): message-id=<$1@e2e\.test>.*/\1/p" \
		"$T/maillog" | head -n 1)
	grep "$qid: to=<" "$T/maillog" | grep -cE "$2"
}

p1_told_in_smtp() {
	scenario_begin "Postfix: officer@army.ml held with the reason in its queue, no packet out"
	cap_start p1
	submit p1 officer@army.ml
	outcome p1 || fail "no outcome for p1"
	P1_QID=$QID
	cap_stop || fail "capture"
	expect "Postfix status" "$STATUS" deferred
	expect "captured packets to the army.ml MX" \
		"$(cap_count "host $MX_ML4 or host $MX_ML6")" 0
	expect "sink connections to the army.ml MX" \
		"$(($(sink event=connect local=$MX_ML4) + \
		    $(sink event=connect local=$MX_ML6)))" 0
	expect_ge "the reason in Postfix's log" \
		"$(told p1 "$(reason_re officer army.ml)")" 1
	expect "the reason in postqueue -j" "$(queue | $E2E_PY select - \
		--count queue_id="$QID" queue_name=deferred \
		recipients.0.address=officer@army.ml \
		"recipients.0.delay_reason~=$(reason_re officer army.ml)")" 1
	expect_ge "the reason in mailq" "$(mailns postqueue -c "$T/postfix" \
		-p | grep -c 'did you mean officer@army.mil?')" 1
	expect "no EPERM in the log" "$(refused mx.mali-mail.net)" 0
	wait_alerts 1 event.action=recipient-held
	expect_ge "recipient-held alerts" "$(alerts \
		event.action=recipient-held event.outcome=failure \
		mxguard.recipient.address=officer@army.ml \
		mxguard.recipient.suggestion=officer@army.mil \
		'mxguard.recipient.reason~=^army\.ml imitates mil' \
		process.name=smtp destination.port=25 \
		"destination.ip~=^($MX_ML4|$MX_ML6)\$")" 1
	expect_ge "held (redirected) connect alerts" "$(alerts \
		event.action=held mxguard.lookalike=army.ml)" 1
	expect "blocked (EPERM) alerts" "$(alerts event.action=blocked)" 0
	scenario_end
}

p2_shared_mx() {
	scenario_begin "Postfix: shared MX, contractor.com delivered at once, navy.ml held per recipient"
	# One message to both, then each alone, twice, in sequence: the smtp
	# process that met the responder for navy.ml is the one that goes on
	# to contractor.com on the same address (its connection cache too).
	submit p2-both officer@navy.ml,buyer@contractor.com
	submit p2-bad officer@navy.ml
	submit p2-good buyer@contractor.com
	submit p2-bad2 officer2@navy.ml
	submit p2-good2 buyer2@contractor.com
	local id
	for id in p2-good p2-good2; do
		outcome $id || fail "no outcome for $id"
		expect "$id status" "$STATUS" sent
		expect "$id relay" "$RELAY" "mx.bighost.net[$MX_SHARED4]:25"
	done
	for id in p2-bad p2-bad2; do
		outcome $id || fail "no outcome for $id"
		expect "$id status" "$STATUS" deferred
	done
	$E2E_PY wait "$T/maillog" --skip "$LOG0" \
		--re 'to=<buyer@contractor.com>.*status=sent' --count 2 \
		--timeout 20 >/dev/null ||
		fail "p2-both: contractor.com not sent at once"
	expect_ge "p2-both: navy.ml told" \
		"$(told p2-both "$(reason_re officer navy.ml)")" 1
	expect "contractor.com messages at the shared MX" "$(SKIP=$SINK0 sink \
		event=message local=$MX_SHARED4 'id~=^p2-(both|good2?)$')" 3
	expect "navy.ml recipients at the shared MX" "$(SKIP=$SINK0 sink \
		event=message 'rcpt~=navy\.ml')" 0
	expect "EPERM in the log" "$(refused mx.navy.ml)" 0
	scenario_end
}

# A typo'd relayhost on :587: the greeting is a 421 with the reason (no
# RCPT comes before STARTTLS and AUTH on a relay), where it used to be
# "Operation not permitted".
p5_relay_told() {
	scenario_begin "Postfix: typo'd relayhost [smtp.office365.co]:587 told in a 421 greeting, no packet out"
	local re
	re='refused to talk to me: 421 4\.7\.1 mxguard: smtp\.office365\.co imitates office365\.com \(.*relay\.policy:2\); mail to this server is held on this host; did you mean smtp\.office365\.com\?'
	postconf_ -e 'relayhost = [smtp.office365.co]:587'
	reload_postfix || fail "postfix reload"
	cap_start p5
	submit p5 partner@contractor.com
	outcome p5 || fail "no outcome for p5"
	cap_stop || fail "capture"
	postconf_ -e 'relayhost ='
	reload_postfix || fail "postfix reload"
	expect "Postfix status" "$STATUS" deferred
	expect_ge "the reason in Postfix's log" "$(told p5 "$re")" 1
	expect "the reason in postqueue -j" "$(queue | $E2E_PY select - \
		--count queue_id="$QID" queue_name=deferred \
		recipients.0.address=partner@contractor.com \
		"recipients.0.delay_reason~=$re")" 1
	echo "#   $(grep "$QID: to=<partner@contractor.com>" "$T/maillog" |
		head -n 1 | sed 's/.*status=//')"
	expect "no EPERM in the log" "$(refused smtp.office365.co)" 0
	expect "sink connections to the typo'd relay" \
		"$(sink event=connect local=$RELAY_TYPO4)" 0
	expect "captured packets to the typo'd relay" \
		"$(cap_count "host $RELAY_TYPO4")" 0
	wait_alerts 1 event.action=held mxguard.lookalike=smtp.office365.co
	expect_ge "held (redirected) connect alerts" "$(alerts \
		event.action=held mxguard.lookalike=smtp.office365.co \
		mxguard.protected=office365.com destination.ip=$RELAY_TYPO4 \
		destination.port=587 process.name=smtp)" 1
	expect "responder_relay_refusals" "$(ctl stats --json |
		$E2E_PY select - --count responder_relay_refusals=1)" 1
	# Kept, not bounced: with the relayhost fixed (here: gone), the next
	# queue run sends it the usual way, to contractor.com's MX.
	PF flush >/dev/null 2>&1
	$E2E_PY wait "$T/maillog" --skip "$LOG0" \
		--re "$QID: to=<partner@contractor.com>.*status=sent" \
		--timeout 30 >/dev/null || fail "p5 not sent after the fix"
	scenario_end
}

p3_kill9_mid_batch() {
	scenario_begin "Postfix: kill -9 of mxguardd mid-batch of 30 loses nothing"
	local i ids_bad=() ids_good=() sent=0 held=0 submitter
	cap_start p3
	(
		for i in $(seq 1 30); do
			if [ $((i % 2)) -eq 1 ]; then
				submit "p3-$i" "officer$i@army.ml"
			else
				submit "p3-$i" "buyer$i@contractor.com"
			fi
		done
	) &
	submitter=$!
	for i in $(seq 1 30); do
		if [ $((i % 2)) -eq 1 ]; then ids_bad+=("p3-$i"); else ids_good+=("p3-$i"); fi
	done
	$E2E_PY wait "$T/maillog" --skip "$LOG0" --re 'status=' --count 4 \
		--timeout 30 >/dev/null || fail "no delivery started"
	kill -KILL "$MXGUARDD_PID"
	$E2E_PY wait-exit "$MXGUARDD_PID" --timeout 10 || fail "still alive"
	MXGUARDD_PID=
	wait "$submitter" || fail "submitting the batch"
	for i in "${ids_good[@]}"; do
		outcome "$i" || true
		[ "$STATUS" = sent ] && sent=$((sent + 1))
	done
	for i in "${ids_bad[@]}"; do
		outcome "$i" || true
		[ "$STATUS" = deferred ] && held=$((held + 1))
	done
	cap_stop || fail "capture"
	expect "genuine messages sent" "$sent" 15
	expect "lookalike messages held" "$held" 15
	expect "lookalike messages in the queue" "$(queue | $E2E_PY select - \
		--count queue_name=deferred 'recipients.0.address~=@army\.ml$')" \
		"$((15 + 1))"
	expect "captured packets to the army.ml MX" \
		"$(cap_count "host $MX_ML4 or host $MX_ML6")" 0
	echo "#   held: $(tail -n +"$((LOG0 + 1))" "$T/maillog" | grep -c \
		'said: 450 4.7.1') told by the responder, $(refused \
		mx.mali-mail.net) refused with EPERM after the kill"
	start_with_responder
	scenario_end
}

p4_release() {
	scenario_begin "rule removed, reload: postqueue -f and exim -qff deliver the held mail"
	local held
	# The held table is the daemon's memory since it started (p3
	# restarted it): the MTA's next run fills it again.
	mailns postqueue -c "$T/postfix" -f
	$E2E_PY wait "$T/maillog" --skip "$LOG0" --re 'said: 450 4\.7\.1' \
		--count 3 --timeout 30 >/dev/null || fail "no retry told"
	expect_ge "mxguardctl held: army.ml" "$(ctl held |
		grep -c '^army\.ml: [0-9]* refused')" 1
	expect_ge "mxguardctl held: how to release" "$(ctl held |
		grep -c 'postqueue -f')" 1
	held=$(queue | $E2E_PY select - --count queue_name=deferred)
	expect_ge "held messages" "$held" 3
	sed -E '/^lookalike[[:space:]]+ml[[:space:]]+of[[:space:]]+mil\b/d' \
		"$SRC/policies/mil.policy" >"$POLICY_MIL.new"
	mv "$POLICY_MIL.new" "$POLICY_MIL"
	ctl reload >/dev/null || fail "reload"
	expect "no taint left for the lookalike MXs" "$(ctl list |
		grep -cE "($MX_ML4|$MX_ML6|$MX_SHARED4) ")" 0
	mailns postqueue -c "$T/postfix" -f
	$E2E_PY wait "$T/maillog" --skip "$LOG0" --re 'status=sent' \
		--count "$held" --timeout 30 >/dev/null ||
		fail "not every held message was sent"
	expect "messages left in the queue" "$(queue | $E2E_PY select - --count)" 0
	# Through the router: with the rule gone it declines, and x5's
	# navy.ml recipient goes out too.
	EXIM_CONF=$EXIM_CONF_HOLD
	exim_run
	EXIM_CONF=$EXIM_CONF_PLAIN
	expect "messages left in Exim's queue" "$(EX -bpc)" 0
	expect "x5's navy.ml recipient at the shared MX" "$(sink event=message \
		id=x5 local=$MX_SHARED4 'rcpt~=officer@navy\.ml')" 1
	expect "x1's message at the army.ml sink" "$(sink event=message id=x1 \
		"local~=^($MX_ML4|$MX_ML6)\$")" 1
	expect "p1's message at the army.ml sink" "$(sink event=message id=p1 \
		"local~=^($MX_ML4|$MX_ML6)\$")" 1
	scenario_end
}

# --- Exim ------------------------------------------------------------------

# exim_told MID RE: the message's msglog and Exim's mainlog carry RE.
exim_told() {
	{ exim_msglog "$1"; grep " $1 " "$EXIM_LOG/mainlog"; } | grep -cE "$2"
}

x1_exim_told() {
	scenario_begin "Exim: officer@army.ml held per recipient, reason in exim -bp's msglog, no packet out"
	local mid
	cap_start x1
	exim_submit x1 officer@army.ml || fail "exim submit"
	mid=$(exim_mid x1)
	exim_run
	cap_stop || fail "capture"
	expect "still queued" "$(exim_queued "$mid")" 1
	expect "exim -bp lists it" "$(exim_queue | grep -c "$mid")" 1
	expect_ge "the reason in its msglog and mainlog" \
		"$(exim_told "$mid" "$(reason_re officer army.ml)")" 2
	expect "captured packets to the army.ml MX" \
		"$(cap_count "host $MX_ML4 or host $MX_ML6")" 0
	expect "sink connections to the army.ml MX" "$(SKIP=$SINK0 sink \
		event=connect "local~=^($MX_ML4|$MX_ML6)\$")" 0
	# A per-recipient deferral: no host is marked as down.
	expect "host-level retry records" "$(ip netns exec "$E2E_NS_MAIL" \
		env LD_LIBRARY_PATH="$EXIM_LIB" "${EXIM_BIN%exim4}exim_dumpdb" \
		"$EXIM_SPOOL" retry 2>/dev/null | grep -c '^ *T:')" 0
	wait_alerts 1 event.action=recipient-held
	expect_ge "recipient-held alerts from exim" "$(alerts \
		event.action=recipient-held \
		mxguard.recipient.address=officer@army.ml)" 1
	scenario_end
}

x2_exim_shared_mx() {
	scenario_begin "Exim: shared MX, contractor.com delivered in the same run as navy.ml is held"
	local bad good
	exim_submit x2-bad officer@navy.ml || fail "exim submit"
	exim_submit x2-good buyer@contractor.com || fail "exim submit"
	bad=$(exim_mid x2-bad) good=$(exim_mid x2-good)
	exim_run
	expect "navy.ml still queued" "$(exim_queued "$bad")" 1
	expect "contractor.com delivered" "$(exim_queued "$good")" 0
	expect "contractor.com at the shared MX" "$(SKIP=$SINK0 sink \
		event=message id=x2-good local=$MX_SHARED4)" 1
	expect_ge "navy.ml told" \
		"$(exim_told "$bad" "$(reason_re officer navy.ml)")" 1
	expect "retry time not reached" "$(grep -c 'retry time not reached' \
		"$EXIM_LOG/mainlog")" 0
	# Again, now that navy.ml has a deferral on record for the address.
	exim_submit x2-good2 buyer2@contractor.com || fail "exim submit"
	good=$(exim_mid x2-good2)
	exim_run
	expect "contractor.com delivered after" "$(exim_queued "$good")" 0
	expect "navy.ml recipients at the shared MX" "$(SKIP=$SINK0 sink \
		event=message 'rcpt~=navy\.ml')" 0
	scenario_end
}

x3_exim_kill9() {
	scenario_begin "Exim: kill -9 of mxguardd mid-run of 20 loses nothing"
	local i mid held=0 sent=0 runner
	cap_start x3
	for i in $(seq 1 20); do
		if [ $((i % 2)) -eq 1 ]; then
			exim_submit "x3-$i" "officer$i@army.ml"
		else
			exim_submit "x3-$i" "buyer$i@contractor.com"
		fi
	done
	exim_run &
	runner=$!
	$E2E_PY wait "$EXIM_LOG/mainlog" --re ' (=>|==) ' --count 3 \
		--timeout 30 >/dev/null || fail "no delivery started"
	kill -KILL "$MXGUARDD_PID"
	$E2E_PY wait-exit "$MXGUARDD_PID" --timeout 10 || fail "still alive"
	MXGUARDD_PID=
	wait "$runner"
	cap_stop || fail "capture"
	for i in $(seq 1 20); do
		mid=$(exim_mid "x3-$i")
		if [ $((i % 2)) -eq 1 ]; then
			held=$((held + $(exim_queued "$mid")))
		else
			sent=$((sent + 1 - $(exim_queued "$mid")))
		fi
	done
	expect "lookalike messages still queued" "$held" 10
	expect "genuine messages delivered" "$sent" 10
	expect "captured packets to the army.ml MX" \
		"$(cap_count "host $MX_ML4 or host $MX_ML6")" 0
	start_with_responder
	scenario_end
}

# One message, both recipients on one MX address: Exim routes both, then
# sends them over one connection, which the kernel has to judge as one
# (x5: the router that splits them).
x4_exim_one_message() {
	scenario_begin "Exim, no router: one message to navy.ml and contractor.com, neither lost, navy.ml told"
	local mid
	exim_submit x4 officer@navy.ml buyer@contractor.com || fail "submit"
	mid=$(exim_mid x4)
	exim_run
	expect_ge "navy.ml told" \
		"$(exim_told "$mid" "$(reason_re officer navy.ml)")" 1
	expect "the message is kept for both" "$(exim_queued "$mid")" 1
	wait_alerts 1 event.action=dns-lookalike-query dns.question.name=navy.ml
	expect_ge "exim4's DNS question for navy.ml, seen by the kernel" \
		"$(alerts event.action=dns-lookalike-query \
		dns.question.name=navy.ml process.name=exim4)" 1
	expect "navy.ml recipients at the shared MX" "$(SKIP=$SINK0 sink \
		event=message 'rcpt~=navy\.ml')" 0
	expect "host-level retry records" "$(ip netns exec "$E2E_NS_MAIL" \
		env LD_LIBRARY_PATH="$EXIM_LIB" "${EXIM_BIN%exim4}exim_dumpdb" \
		"$EXIM_SPOOL" retry 2>/dev/null | grep -c '^ *T:')" 0
	expect_ge "contractor.com's 451 names navy.ml" "$(grep " $mid " \
		"$EXIM_LOG/mainlog" | grep -cE 'buyer@contractor\.com.* 451 4\.7\.1 .*mxguard holds it for navy\.ml, a lookalike domain on the same server')" 1
	echo "#   contractor.com in the same message: $(grep " $mid " \
		"$EXIM_LOG/mainlog" | grep -E 'buyer@contractor' | tail -n 1 |
		cut -c 21-)"
	scenario_end
}

# The same message through mxguard-hold.router (user/contrib/exim): the
# lookalike recipient is deferred at routing, before any MX lookup, and the
# other goes out over the connection it no longer shares.
HOLD_RE='R=mxguard_hold defer \(-1\): <officer@navy\.ml>: navy\.ml imitates mil \(.*mil\.policy:[0-9]+\); held on this host by mxguard; did you mean officer@navy\.mil\?'
x5_exim_hold_router() {
	scenario_begin "Exim with mxguard-hold.router: one message to navy.ml and contractor.com, contractor.com delivered at once, navy.ml held with the reason"
	local mid
	EXIM_CONF=$EXIM_CONF_HOLD
	cap_start x5
	exim_submit x5 officer@navy.ml buyer@contractor.com || fail "submit"
	mid=$(exim_mid x5)
	exim_run
	cap_stop || fail "capture"
	expect "contractor.com at the shared MX" "$(SKIP=$SINK0 sink \
		event=message id=x5 local=$MX_SHARED4 'rcpt~=buyer@contractor\.com')" 1
	expect "navy.ml recipients at the shared MX" "$(SKIP=$SINK0 sink \
		event=message id=x5 'rcpt~=navy\.ml')" 0
	expect "the message kept for navy.ml" "$(exim_queued "$mid")" 1
	expect "exim -bp: contractor.com done" "$(EX -bp "$mid" |
		grep -cE '^ +D buyer@contractor\.com$')" 1
	expect "exim -bp: navy.ml waiting" "$(EX -bp "$mid" |
		grep -cE '^ +officer@navy\.ml$')" 1
	expect "the reason in its msglog and mainlog" \
		"$(exim_told "$mid" "$HOLD_RE")" 2
	expect "host-level retry records" "$(ip netns exec "$E2E_NS_MAIL" \
		env LD_LIBRARY_PATH="$EXIM_LIB" "${EXIM_BIN%exim4}exim_dumpdb" \
		"$EXIM_SPOOL" retry 2>/dev/null | grep -c '^ *T:')" 0
	wait_alerts 1 event.action=submission-lookalike mxguard.lookalike=navy.ml
	expect_ge "alert for the held recipient" "$(alerts \
		event.action=submission-lookalike mxguard.lookalike=navy.ml \
		mxguard.action=block process.name=exim4)" 1
	# Exim never asked for navy.ml's MX (x4 shows the kernel sees it).
	expect "exim4's DNS questions for navy.ml" "$(alerts \
		event.action=dns-lookalike-query dns.question.name=navy.ml \
		process.name=exim4)" 0
	EXIM_CONF=$EXIM_CONF_PLAIN
	scenario_end
}

# The router with no daemon to ask: the queue run does not stall, the
# router declines, and the kernel (pins kept after kill -9, no responder)
# refuses the connect, so nothing reaches the lookalike.
x6_exim_hold_router_down() {
	scenario_begin "Exim with mxguard-hold.router, daemon killed: no stall, nothing to navy.ml, both kept"
	local mid t0 took
	EXIM_CONF=$EXIM_CONF_HOLD
	kill -KILL "$MXGUARDD_PID"
	$E2E_PY wait-exit "$MXGUARDD_PID" --timeout 10 || fail "still alive"
	MXGUARDD_PID=
	exim_submit x6 officer@navy.ml buyer@contractor.com || fail "submit"
	mid=$(exim_mid x6)
	t0=$(date +%s)
	exim_run
	took=$(($(date +%s) - t0))
	[ "$took" -le 20 ] || fail "the queue run took $took s"
	expect "navy.ml recipients at any sink" "$(sink event=message id=x6 \
		'rcpt~=navy\.ml')" 0
	expect "the message kept" "$(exim_queued "$mid")" 1
	EXIM_CONF=$EXIM_CONF_PLAIN
	start_with_responder
	scenario_end
}

# --- main ----------------------------------------------------------------

e2e_init resp
POLICY_MIL=$T/mil.policy POLICY_RELAY=$T/relay.policy
# Exim through a typo'd smarthost on 587: the 421 greeting's reason in
# its msglog and mainlog, nothing out, and the message kept, not bounced.
x7_exim_relay_told() {
	scenario_begin "Exim: typo'd smarthost smtp.office365.co:587 told in a 421 greeting, message kept"
	local mid re
	re='after initial connection: 421 4\.7\.1 mxguard: smtp\.office365\.co imitates office365\.com \(.*relay\.policy:2\); mail to this server is held on this host; did you mean smtp\.office365\.com\?'
	cap_start x7
	exim_submit x7 partner@contractor.com || fail "exim submit"
	mid=$(exim_mid x7)
	EXIM_CONF=$EXIM_CONF_RELAY
	exim_run
	EXIM_CONF=$EXIM_CONF_PLAIN
	cap_stop || fail "capture"
	echo "#   $(grep " $mid " "$EXIM_LOG/mainlog" | grep -m 1 ' 421 ' |
		sed 's/.*H=//')"
	expect "still queued" "$(exim_queued "$mid")" 1
	expect_ge "the reason in its msglog and mainlog" \
		"$(exim_told "$mid" "$re")" 2
	expect "Operation not permitted" \
		"$(exim_told "$mid" 'Operation not permitted')" 0
	expect "captured packets to the typo'd relay" \
		"$(cap_count "host $RELAY_TYPO4")" 0
	expect "sink connections to the typo'd relay" \
		"$(sink event=connect local=$RELAY_TYPO4)" 0
	wait_alerts 1 event.action=held mxguard.lookalike=smtp.office365.co \
		process.name=exim4
	# Fixed routing: the next run sends it to contractor.com's MX.
	exim_run
	expect "sent after the fix" "$(exim_queued "$mid")" 0
	expect "x7 at the shared MX" "$(sink event=message id=x7 \
		local=$MX_SHARED4 'rcpt~=partner@contractor\.com')" 1
	scenario_end
}

trap 'echo "Bail out! setup failed: line $LINENO: $BASH_COMMAND"' ERR
set -e
[ -x "$MXGUARDD" ] || e2e_die "$MXGUARDD: not built"
e2e_net
e2e_dns
e2e_sinks
e2e_postfix
e2e_exim
cp "$SRC/policies/mil.policy" "$POLICY_MIL"
printf '# The relay name with its last letter dropped.\nlookalike office365.co of office365.com action=block\n' \
	>"$POLICY_RELAY"
: >"$T/alerts.jsonl"
start_with_responder
set +e
trap - ERR
echo "1..$TOTAL"

p1_told_in_smtp
p2_shared_mx
p5_relay_told
p3_kill9_mid_batch
x1_exim_told
x2_exim_shared_mx
x3_exim_kill9
x4_exim_one_message
x5_exim_hold_router
x6_exim_hold_router_down
x7_exim_relay_told
p4_release

[ "$PASSED" -eq "$TOTAL" ]
