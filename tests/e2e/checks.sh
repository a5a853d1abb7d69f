# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Checks shared by the e2e suites (run.sh, responder.sh, submit.sh): assertions that
# record a failure and go on, scenario bookkeeping, and what happened
# (alerts, the sink, Postfix's log and queue).  Sourced after lib.sh.

# The TAP tally: each suite sets TOTAL, its scenario count, first.
# Scenarios a bail-out kept from running count as failed.
PASSED=0 FAILED=0 NUM=0
summary() {
	FAILED=$((TOTAL - PASSED))
	echo "$PASSED passed, $FAILED failed"
}
E2E_ON_EXIT=summary

# --- assertions: record a failure and go on, so one scenario reports all
# that is wrong with it.
FAIL=0
fail() { printf '#   FAIL: %s\n' "$*"; FAIL=1; }
expect() {	# expect WHAT GOT WANT
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}
expect_ge() {	# expect_ge WHAT GOT MIN
	[ "$2" -ge "$3" ] 2>/dev/null || fail "$1: got '$2', want >= $3"
}
expect_le() {	# expect_le WHAT GOT MAX
	[ "$2" -le "$3" ] 2>/dev/null || fail "$1: got '$2', want <= $3"
}
expect_has() {	# expect_has WHAT TEXT NEEDLE
	case $2 in *"$3"*) ;; *) fail "$1: '$2' lacks '$3'" ;; esac
}
scenario_begin() {
	NUM=$((NUM + 1)) FAIL=0 NAME=$1
	ALERT0=$(lines "$T/alerts.jsonl") SINK0=$(lines "$T/sink.jsonl")
	LOG0=$(lines "$T/maillog")
	T0=$(date +%s%N)
}
scenario_end() {
	local took
	took=$((($(date +%s%N) - T0) / 1000000))
	took=$(printf '%d.%d s' $((took / 1000)) $((took % 1000 / 100)))
	if [ "$FAIL" -eq 0 ]; then
		PASSED=$((PASSED + 1))
		echo "ok $NUM - $NAME ($took)"
	else
		echo "not ok $NUM - $NAME ($took)"
	fi
}
lines() { wc -l <"$1"; }

# --- what happened: the alerts, the sink, Postfix's log and queue

# alerts CONDITION...: count this scenario's alert lines that match.  Lines
# with mxguard.repeated sum up repeats of an earlier alert when its window
# closes (or the daemon exits), so they are left out.
NOT_SUMMARY='mxguard.repeated!~=.'
alerts() {
	$E2E_PY select "$T/alerts.jsonl" --skip "$ALERT0" --count \
		"$NOT_SUMMARY" "$@"
}
alert_get() {	# alert_get FIELD CONDITION...: the field of each match
	local f=$1
	shift
	$E2E_PY select "$T/alerts.jsonl" --skip "$ALERT0" --get "$f" \
		"$NOT_SUMMARY" "$@"
}
wait_alerts() {	# wait_alerts COUNT CONDITION...
	local n=$1
	shift
	$E2E_PY wait "$T/alerts.jsonl" --skip "$ALERT0" --count "$n" \
		--timeout 10 --json "$@" >/dev/null 2>&1
}
sink() { $E2E_PY select "$T/sink.jsonl" --skip "${SKIP:-0}" --count "$@"; }
queue() { mailns postqueue -c "$T/postfix" -j; }

# submit ID RCPT [FROM]: send a message; its Message-ID names it in the log.
submit() {
	local id=$1 rcpt=$2 from=${3:-ops@mailhost.test}
	printf 'From: %s\nTo: %s\nSubject: e2e %s\nMessage-ID: <%s@e2e.test>\nX-E2E-Id: %s\n\nTest message %s.\n' \
		"$from" "$rcpt" "$id" "$id" "$id" "$id" |
		mailns sendmail -C "$T/postfix" -f "$from" -- "$rcpt"
}

# outcome ID: wait for Postfix's verdict on a message; sets QID and STATUS
# (sent, deferred, bounced) and SMTP_PID (the smtp process that tried).
outcome() {
	local id=$1 line
	QID= STATUS=timeout SMTP_PID=
	$E2E_PY wait "$T/maillog" --re "message-id=<$id@e2e\\.test>" \
		--timeout 20 >/dev/null || return 1
	QID=$(sed -n "s/.*: \([0-9A-F]*\): message-id=<$id@e2e\.test>.*/\1/p" \
		"$T/maillog" | head -n 1)
	$E2E_PY wait "$T/maillog" --re "$QID: to=<.*status=" --timeout 30 \
		>/dev/null || return 1
	line=$(grep "$QID: to=<.*status=" "$T/maillog" | tail -n 1)
	STATUS=$(sed -n 's/.* status=\([a-z]*\).*/\1/p' <<<"$line")
	SMTP_PID=$(sed -n 's/.*postfix\/[a-z]*\[\([0-9]*\)\]: .*/\1/p' <<<"$line")
	RELAY=$(sed -n 's/.* relay=\([^,]*\),.*/\1/p' <<<"$line")
}

# refused HOST: Postfix's log lines (this scenario) of a connect to HOST that
# failed with EPERM, the errno mxguard gives.
refused() {
	tail -n +"$((LOG0 + 1))" "$T/maillog" | grep -v ' status=' |
		grep -c "connect to $1\[.*\]:[0-9]*: Operation not permitted"
}

# refused_pids HOST: the smtp processes that were refused a connect to HOST.
refused_pids() {
	tail -n +"$((LOG0 + 1))" "$T/maillog" | grep -v ' status=' |
		grep "connect to $1\[.*\]:[0-9]*: Operation not permitted" |
		sed -n 's/.*postfix\/smtp\[\([0-9]*\)\]: .*/\1/p' | sort -u
}
