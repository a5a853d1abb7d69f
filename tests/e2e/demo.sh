#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# `make demo`: the end-to-end suites told as a story.  A real Postfix and
# unbound on a mail host in a throwaway network namespace, mxguardd with the
# shipped policies/mil.policy, its SMTP responder, and mxguard-milter on
# Postfix's SMTP submission:
#   1. a person types officer@army.ml: refused at submission, "did you mean";
#   2. a script's sendmail(1) to navy.ml and contractor.com, whose MX share
#      one address: navy.ml held in the queue with the reason, told in SMTP
#      by the responder, contractor.com delivered at once;
#   3. mail to army.mil, the real one, delivered.
# Everything is removed afterwards.
#
# usage: demo.sh MXGUARDD MILTER   (as root)
set -uo pipefail

[ $# -eq 2 ] || { echo "usage: demo.sh MXGUARDD MILTER" >&2; exit 2; }
MXGUARDD=$(realpath "$1") MILTER=$(realpath "$2")
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/lib.sh"

say() { printf '%s\n' "$*"; }
indent() { sed 's/^/    /'; }

# submit ID RCPT[,RCPT]: sendmail(1) a message; wait for each recipient's
# delivery attempt.  QID is its queue id.
submit() {
	local id=$1 rcpts=$2 qid n
	printf 'From: ops@mailhost.test\nTo: %s\nSubject: orders\nMessage-ID: <%s@e2e.test>\n\nThe orders for next week.\n' \
		"$rcpts" "$id" |
		mailns sendmail -C "$T/postfix" -f ops@mailhost.test -- ${rcpts//,/ }
	$E2E_PY wait "$T/maillog" --re "message-id=<$id@e2e\\.test>" \
		--timeout 20 >/dev/null || e2e_die "Postfix did not take $id"
	qid=$(sed -n "s/.*: \([0-9A-F]*\): message-id=<$id@e2e\.test>.*/\1/p" \
		"$T/maillog" | head -n 1)
	n=$(tr ',' '\n' <<<"$rcpts" | wc -l)
	$E2E_PY wait "$T/maillog" --re "$qid: to=<.*status=" --count "$n" \
		--timeout 30 >/dev/null || e2e_die "Postfix did not try $id"
	QID=$qid
}

# postfix_said QID: Postfix's log lines about a delivery attempt, shortened.
postfix_said() {
	grep -E "$1: to=<" "$T/maillog" |
		sed -E 's/^.*postfix\/(smtp)\[[0-9]+\]: /\1: /; s/, delays=[^,]*//; s/, dsn=[^,]*//'
}

e2e_init demo
set -e
[ -x "$MXGUARDD" ] || e2e_die "$MXGUARDD: not built"
[ -x "$MILTER" ] || e2e_die "$MILTER: not built"
start=$(date +%s)
e2e_net
e2e_dns
e2e_sinks
e2e_postfix
: >"$T/alerts.jsonl"
start_mxguardd --policy "$SRC/policies/mil.policy" --responder-port 11025 \
	--responder-netns "/run/netns/$E2E_NS_MAIL"
# Postfix's SMTP submission with the milter, as
# user/contrib/postfix/main.cf.snippet sets it up.
mkdir -p "$T/milter" && chown postfix: "$T/milter"
in_cg "$E2E_CG_AUX" setpriv --reuid=postfix --regid=postfix --clear-groups \
	"$MILTER" -f -s "unix:$T/milter/milter.sock" -q "$T/query.sock" \
	2>>"$T/milter.err" &
disown
for i in $(seq 1 100); do
	[ -S "$T/milter/milter.sock" ] && break
	sleep 0.05
done
postconf_ -M 'smtp/inet=smtp inet n - n - - smtpd'
postconf_ -e "smtpd_milters = unix:$T/milter/milter.sock" \
	'milter_default_action = accept' 'milter_protocol = 6' \
	'mynetworks = 127.0.0.0/8' \
	'smtpd_relay_restrictions = permit_mynetworks, reject'
PF reload >/dev/null 2>&1
$E2E_PY wait "$T/maillog" --re 'postfix/master.*reload' --timeout 10 \
	>/dev/null || true
set +e

say "== mxguard demo =="
say "A mail host (Postfix $(postconf -c "$T/postfix" -h mail_version) and unbound, in network namespace $E2E_NS_MAIL)"
say "sends to a test internet (nsd and SMTP servers, in $E2E_NS_INET)."
say "mxguardd watches Postfix's cgroup, with policies/mil.policy:"
grep -E '^(lookalike|allow)' "$SRC/policies/mil.policy" | indent
say "and mxguard-milter checks every recipient at Postfix's SMTP submission."
say ""

cap_start demo
say "1. Someone types officer@army.ml in their mail client (one letter dropped)."
mailns $E2E_PYTHON "$SRC/tests/e2e/smtpc.py" 127.0.0.1 25 ops@mailhost.test \
	demo-typed officer@army.ml >"$T/typed.smtp" 2>/dev/null
say "   The client is told at once:"
$E2E_PY select "$T/typed.smtp" --get text step=rcpt rcpt=officer@army.ml |
	sed 's/^/       /'
say ""

say "2. A script mails officer@navy.ml and buyer@contractor.com with sendmail(1),"
say "   past the submission check.  Both domains' MX are one address,"
say "   $MX_SHARED4 (mx.navy.ml = mx.bighost.net), as on big shared hosts."
submit demo-shared officer@navy.ml,buyer@contractor.com
SHARED=$QID
postfix_said "$SHARED" | indent
say "   The kernel sent Postfix's connect for navy.ml to mxguardd's responder,"
say "   which told it why; contractor.com's mail went out at once."
say ""

say "3. Mail to officer@army.mil, the real .mil."
submit demo-mil officer@army.mil
postfix_said "$QID" | indent
cap_stop
say ""

say "What reached the test internet: army.mil's server got" \
	"$($E2E_PY select "$T/sink.jsonl" --count event=message local=$MX_MIL4)" \
	"message, the shared MX got" \
	"$($E2E_PY select "$T/sink.jsonl" --count event=message local=$MX_SHARED4 'rcpt~=contractor')" \
	"for contractor.com and" \
	"$($E2E_PY select "$T/sink.jsonl" --count event=message 'rcpt~=navy\.ml')" \
	"for navy.ml; tcpdump saw $(cap_count "host $MX_ML4 or host $MX_ML6") packets to army.ml's server."
say ""
say "What mxguard saw (the message field of each JSON line):"
$E2E_PY select "$T/alerts.jsonl" --get message |
	sed -E 's/ \(rule [^)]*\)//; s/ \([^)]*\.policy:[0-9]+\)//' | indent
say ""
say "Where the held mail is, and why (postqueue -p):"
mailns postqueue -c "$T/postfix" -p | indent
say ""
say "mxguardctl held:"
"$(dirname "$MXGUARDD")/mxguardctl" -s "$T/control.sock" held | indent
say ""
say "Nothing was lost. If the rule stopped mail it should not have:"
say "    1. remove the rule from the policy (or add 'allow navy.ml')"
say "    2. mxguardctl reload    # what the rule tainted is purged"
say "    3. postqueue -f         # the held mail goes out on this run"
say "To drop the message instead: postsuper -d $SHARED"
say ""
say "Done in $(($(date +%s) - start)) s; removing the namespaces, cgroups and pins."
