#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# `make demo`: scenarios 1 and 2 of the end-to-end suite, told as a story.
# A real Postfix and unbound on a mail host in a throwaway network namespace
# send one message to army.mil and one to army.ml; mxguardd, with the shipped
# policies/mil.policy, lets the first go and holds the second.  Everything is
# removed afterwards.
#
# usage: demo.sh MXGUARDD   (as root)
set -uo pipefail

[ $# -eq 1 ] || { echo "usage: demo.sh MXGUARDD" >&2; exit 2; }
MXGUARDD=$(realpath "$1")
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/lib.sh"

say() { printf '%s\n' "$*"; }
indent() { sed 's/^/    /'; }

# submit ID RCPT: send one message and wait for Postfix's verdict on it.
submit() {
	local id=$1 rcpt=$2 qid
	printf 'From: ops@mailhost.test\nTo: %s\nSubject: orders\nMessage-ID: <%s@e2e.test>\n\nThe orders for next week.\n' \
		"$rcpt" "$id" |
		mailns sendmail -C "$T/postfix" -f ops@mailhost.test -- "$rcpt"
	$E2E_PY wait "$T/maillog" --re "message-id=<$id@e2e\\.test>" \
		--timeout 20 >/dev/null || e2e_die "Postfix did not take $id"
	qid=$(sed -n "s/.*: \([0-9A-F]*\): message-id=<$id@e2e\.test>.*/\1/p" \
		"$T/maillog" | head -n 1)
	$E2E_PY wait "$T/maillog" --re "$qid: to=<.*status=" --timeout 30 \
		>/dev/null || e2e_die "Postfix did not try $id"
	QID=$qid
}

# postfix_said QID: Postfix's log lines about a delivery attempt, shortened.
postfix_said() {
	grep -E "$1: to=<|smtp\[[0-9]+\]: connect to" "$T/maillog" |
		sed -E 's/^.*postfix\/(smtp)\[[0-9]+\]: /\1: /; s/, delays=[^,]*//'
}

e2e_init demo
set -e
[ -x "$MXGUARDD" ] || e2e_die "$MXGUARDD: not built"
start=$(date +%s)
e2e_net
e2e_dns
e2e_sinks
e2e_postfix
: >"$T/alerts.jsonl"
start_mxguardd --policy "$SRC/policies/mil.policy"
set +e

say "== mxguard demo =="
say "A mail host (Postfix $(postconf -c "$T/postfix" -h mail_version) and unbound, in network namespace $E2E_NS_MAIL)"
say "sends to a test internet (nsd and SMTP servers, in $E2E_NS_INET)."
say "mxguardd watches Postfix's cgroup, with policies/mil.policy:"
grep -E '^(lookalike|allow)' "$SRC/policies/mil.policy" | indent
say ""

say "1. Postfix sends to officer@army.mil, the real .mil."
submit demo-mil officer@army.mil
postfix_said "$QID" | indent
say "   The army.mil server ($MX_MIL4) received $($E2E_PY select "$T/sink.jsonl" \
	--count event=message local=$MX_MIL4) message. mxguard raised \
$($E2E_PY select "$T/alerts.jsonl" --count event.kind=alert) alerts."
say ""

a0=$(wc -l <"$T/alerts.jsonl")
say "2. Postfix sends to officer@army.ml: one letter dropped, Mali's .ml."
cap_start demo
submit demo-ml officer@army.ml
cap_stop
postfix_said "$QID" | indent
$E2E_PY wait "$T/alerts.jsonl" --skip "$a0" --count 2 --timeout 10 \
	--json event.action=blocked >/dev/null
say "   The army.ml server (mx.mali-mail.net, $MX_ML4 and $MX_ML6) saw" \
	"$(($($E2E_PY select "$T/sink.jsonl" --count event=connect \
	"local~=^($MX_ML4|$MX_ML6)\$")))" "connections. tcpdump on the mail" \
	"host's link saw $(cap_count "host $MX_ML4 or host $MX_ML6") packets to it."
say ""

say "What mxguard saw (the message field of each JSON line):"
$E2E_PY select "$T/alerts.jsonl" --skip "$a0" --get message |
	sed -E 's/ \(rule .*\)$//' | indent
say ""
say "The alert for the IPv4 connect, as the SOC gets it:"
$E2E_PY select "$T/alerts.jsonl" --skip "$a0" --pretty \
	event.action=blocked destination.ip=$MX_ML4 | indent
say ""

qfile=$(cd "$T/postfix-spool" && find deferred -name "$QID")
say "Where the mail is: held in Postfix's deferred queue, as \$queue_directory/$qfile."
say "postqueue -j says:"
mailns postqueue -c "$T/postfix" -j |
	$E2E_PYTHON -c 'import json, sys
for l in sys.stdin:
    m = json.loads(l)
    for r in m["recipients"]:
        print("%s  %s  to=<%s>\n  reason: %s" % (m["queue_name"],
              m["queue_id"], r["address"], r["delay_reason"]))' | indent
say ""
say "Nothing was lost. If the rule stopped mail it should not have:"
say "    1. remove the rule from the policy (or add 'allow army.ml')"
say "    2. mxguardctl reload    # or kill -HUP mxguardd; what the rule tainted is purged"
say "    3. postqueue -i $QID    # or postqueue -f for the whole queue"
say "To drop the message instead: postsuper -d $QID"
say ""
say "Done in $(($(date +%s) - start)) s; removing the namespaces, cgroups and pins."
