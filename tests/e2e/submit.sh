#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The typo caught at submission (issue 10, section 2): the MTA integrations
# of user/contrib/ against a running mxguardd, with real MTAs in the e2e
# namespaces of lib.sh.  Postfix (installed) with mxguard-milter as
# smtpd_milters and non_smtpd_milters; Exim and OpenSMTPD unpacked from
# their Debian packages (unpack.sh) and run in a mount namespace of their
# own, where a copy of /etc/passwd holds the users they were built for.
#
# Policy: `lookalike ml of mil action=block`, `allow gov.ml`, and
# `lookalike navy.ml of navy.mil action=alert` (a more specific suffix:
# navy.ml's MX, on the shared address, takes mail and records headers).
#
# usage: submit.sh MXGUARDD MILTER SMTPD_FILTER   (as root)
set -uo pipefail

[ $# -eq 3 ] || { echo "usage: submit.sh MXGUARDD MILTER SMTPD_FILTER" >&2; exit 2; }
MXGUARDD=$(realpath "$1") MILTER=$(realpath "$2") SMTPD_FILTER=$(realpath "$3")
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/unpack.sh"
SMTPC="$E2E_PYTHON $E2E_DIR/smtpc.py"

TOTAL=12
. "$(dirname "$0")/checks.sh"
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

# sink_get FIELD CONDITION...: a field of this scenario's sink records.
sink_get() {
	local f=$1
	shift
	$E2E_PY select "$T/sink.jsonl" --skip "$SINK0" --get "$f" "$@"
}
wait_sink() {	# wait_sink ID: the message reached a sink
	$E2E_PY wait "$T/sink.jsonl" --skip "$SINK0" --count 1 \
		--timeout 30 --json event=message id="$1" >/dev/null 2>&1
}
maillog() { tail -n +"$((LOG0 + 1))" "$T/maillog"; }
# smtp ID RCPT...: one SMTP transaction to the mail host's smtpd; the
# replies as JSON lines in $T/ID.smtp.
smtp() {
	local id=$1
	shift
	mailns $SMTPC 127.0.0.1 25 ops@army.mil "$id" "$@" >"$T/$id.smtp" \
		2>"$T/$id.smtp.err" || fail "smtp $id: $(tail -n 1 "$T/$id.smtp.err")"
}
reply() {	# reply ID RCPT FIELD: what that RCPT got
	$E2E_PY select "$T/$1.smtp" --get "$3" step=rcpt rcpt="$2"
}
# sendmail_ ID RCPT: sendmail(1), as every script and cron job submits.
sendmail_() {
	local id=$1 rcpt=$2
	printf 'From: ops@army.mil\nTo: %s\nSubject: e2e %s\nMessage-ID: <%s@e2e.test>\nX-E2E-Id: %s\n\nTest message %s.\n' \
		"$rcpt" "$id" "$id" "$id" "$id" |
		mailns sendmail -C "$T/postfix" -f ops@army.mil -- "$rcpt"
}

# --- Postfix and its milters -------------------------------------------

# start_milter NAME ARGS...: mxguard-milter as the postfix user (as an MTA
# runs it), on $T/NAME/milter.sock, asking the daemon's query socket.
start_milter() {
	local name=$1 i
	shift
	mkdir -p "$T/$name"
	chown postfix: "$T/$name"
	"${IN_CG[@]}" "$E2E_CG_AUX" setpriv --reuid=postfix --regid=postfix \
		--clear-groups "$MILTER" -f -s "unix:$T/$name/milter.sock" \
		-n "unix:$T/$name/nonsmtp.sock" -q "$T/query.sock" "$@" \
		2>>"$T/$name.err" &
	eval "MILTER_PID_${name//-/_}=$!"
	disown
	for i in $(seq 1 100); do
		[ -S "$T/$name/milter.sock" ] && [ -S "$T/$name/nonsmtp.sock" ] &&
			return 0
		sleep 0.05
	done
	e2e_die "milter $name did not start: $(tail -n 3 "$T/$name.err")"
}

use_milter() {	# use_milter NAME: both milter lists point at it
	postconf_ -e "smtpd_milters = unix:$T/$1/milter.sock" \
		"non_smtpd_milters = unix:$T/$1/nonsmtp.sock"
	reload_postfix || fail "postfix reload"
}

setup_postfix_submission() {
	postconf_ -M 'smtp/inet=smtp inet n - n - - smtpd'
	# As user/contrib/postfix/main.cf.snippet says: a milter that is
	# itself down must not refuse mail (the daemon-down case is the
	# milter's own -d choice).
	postconf_ -e 'milter_default_action = accept' \
		'milter_protocol = 6' 'mynetworks = 127.0.0.0/8' \
		'smtpd_relay_restrictions = permit_mynetworks, reject'
	start_milter milter
	start_milter milter-hold -H
	start_milter milter-tempfail -d tempfail -t 500
	use_milter milter
}

# --- scenarios: Postfix ---------------------------------------------------

p1_smtp_block() {
	scenario_begin "SMTP: block rule -> 550 5.1.2 with the suggestion; the good recipient goes"
	smtp p1 officer@army.ml buyer@contractor.com
	expect "RCPT army.ml code" "$(reply p1 officer@army.ml code)" 550
	local text
	text=$(reply p1 officer@army.ml text)
	expect_has "RCPT army.ml text" "$text" "5.1.2 <officer@army.ml>: army.ml imitates mil"
	expect_has "RCPT army.ml text" "$text" "refused by mxguard; did you mean officer@army.mil?"
	expect "RCPT contractor.com code" "$(reply p1 buyer@contractor.com code)" 250
	wait_sink p1 || fail "the good recipient's message did not arrive"
	expect "recipients at the sink" "$(sink_get rcpt event=message id=p1)" \
		"['<buyer@contractor.com>']"
	expect "milter-reject in the log" "$(maillog | grep -c \
		'milter-reject: RCPT from localhost.*550 5.1.2 <officer@army.ml>: army.ml imitates mil.*did you mean officer@army.mil?')" 1
	wait_alerts 1 event.action=submission-lookalike
	expect "submission alerts" "$(alerts event.action=submission-lookalike \
		mxguard.lookalike=army.ml mxguard.protected=mil \
		mxguard.action=block process.name=mxguard-milter)" 1
	scenario_end
}

p2_smtp_alert() {
	scenario_begin "SMTP: alert rule -> accepted, X-Mxguard-Lookalike at the sink, alert raised"
	smtp p2 gunny@navy.ml
	expect "RCPT navy.ml code" "$(reply p2 gunny@navy.ml code)" 250
	wait_sink p2 || fail "message to navy.ml did not arrive"
	expect "header at the sink" "$(sink_get mxguard_header event=message id=p2)" \
		"<gunny@navy.ml>: navy.ml imitates navy.mil (submit.policy:3); marked by mxguard; did you mean gunny@navy.mil?"
	wait_alerts 1 event.action=submission-lookalike
	expect "submission alerts" "$(alerts event.action=submission-lookalike \
		mxguard.lookalike=navy.ml mxguard.action=alert)" 1
	scenario_end
}

# Postfix's cleanup is the milter client for sendmail(1) mail: a RCPT
# reject there cannot reach the submitting command (it has exited, the
# message is in the maildrop), so the whole message is rejected and
# bounced to the sender, the milter's text in the DSN and the log.
p3_sendmail_block() {
	scenario_begin "sendmail(1): block rule -> message rejected with 5.1.2 and the suggestion, bounced to the sender"
	sendmail_ p3 officer@army.ml || fail "sendmail exited $?"
	$E2E_PY wait "$T/maillog" --skip "$LOG0" --re 'milter-reject' \
		--timeout 20 >/dev/null || fail "no milter-reject in the log"
	expect "milter-reject in the log" "$(maillog | grep -c \
		'milter-reject: .*5.1.2 <officer@army.ml>: army.ml imitates mil.*did you mean officer@army.mil?')" 1
	# The DSN goes to ops@army.mil, whose MX is a sink.
	$E2E_PY wait "$T/sink.jsonl" --skip "$SINK0" --count 1 \
		--timeout 30 --json event=message 'mail_from=<>' >/dev/null 2>&1 ||
		fail "no bounce reached the sender"
	expect "bounces to the sender" "$($E2E_PY select "$T/sink.jsonl" \
		--skip "$SINK0" --count event=message 'mail_from=<>' \
		"rcpt~=ops@army.mil")" 1
	expect "bounced in the log, with the text" "$(maillog | grep -c \
		'to=<officer@army.ml>, .*dsn=5.1.2, status=bounced (<officer@army.ml>: army.ml imitates mil .*did you mean officer@army.mil?)')" 1
	# The DSN quotes the message's headers; the message itself never went.
	expect "p3 at a sink, other than in its bounce" "$($E2E_PY select \
		"$T/sink.jsonl" --skip "$SINK0" --count event=message id=p3 \
		'mail_from=<ops@army.mil>')" 0
	scenario_end
}

p4_sendmail_alert() {
	scenario_begin "sendmail(1): alert rule -> delivered with X-Mxguard-Lookalike"
	sendmail_ p4 gunny@navy.ml || fail "sendmail exited $?"
	wait_sink p4 || fail "message to navy.ml did not arrive"
	expect_has "header at the sink" "$(sink_get mxguard_header event=message id=p4)" \
		"<gunny@navy.ml>: navy.ml imitates navy.mil"
	scenario_end
}

p5_hold() {
	scenario_begin "hold option: alert-rule mail waits in the hold queue; postsuper -H releases it"
	use_milter milter-hold
	smtp p5 gunny@navy.ml
	expect "RCPT code" "$(reply p5 gunny@navy.ml code)" 250
	$E2E_PY wait "$T/maillog" --skip "$LOG0" --re 'milter-hold' \
		--timeout 20 >/dev/null || fail "no milter-hold in the log"
	local qid
	qid=$(mailns postqueue -c "$T/postfix" -j | $E2E_PY select - \
		--get queue_id queue_name=hold)
	[ -n "$qid" ] || fail "nothing in the hold queue"
	expect "held messages" "$(mailns postqueue -c "$T/postfix" -j |
		$E2E_PY select - --count queue_name=hold)" 1
	# postqueue -p marks a held message with '!' after its id.
	expect "postqueue -p shows it held" "$(mailns postqueue -c "$T/postfix" \
		-p | grep -c "^$qid!")" 1
	expect "not delivered while held" "$($E2E_PY select "$T/sink.jsonl" \
		--skip "$SINK0" --count event=message id=p5)" 0
	use_milter milter
	mailns postsuper -c "$T/postfix" -H "$qid" 2>/dev/null
	mailns postqueue -c "$T/postfix" -f
	wait_sink p5 || fail "released message did not arrive"
	expect_has "header at the sink" "$(sink_get mxguard_header event=message id=p5)" \
		"held by mxguard; did you mean gunny@navy.mil?"
	scenario_end
}

# Daemon down: the milter accepts (-d accept), logs why, at once; the
# kernel still refuses the lookalike's MX, so the mail waits in the queue.
p6_daemon_down() {
	scenario_begin "daemon stopped: SMTP and sendmail(1) accepted at once, warning logged, kernel path still holds"
	stop_mxguardd
	local t0 ms
	t0=$(date +%s%N)
	smtp p6 officer@army.ml
	ms=$(ms_since "$t0")
	expect "RCPT code with the daemon down" "$(reply p6 officer@army.ml code)" 250
	expect_le "ms for the SMTP transaction" "$ms" 3000
	sendmail_ p6s officer@army.ml || fail "sendmail exited $?"
	$E2E_PY wait "$T/milter.err" --re 'no verdict for <?officer@army.ml>?.*accepted' \
		--count 2 --timeout 20 >/dev/null || fail "no warning from the milter"
	# What got through is still held by the pinned programs.
	$E2E_PY wait "$T/maillog" --skip "$LOG0" --count 2 --timeout 20 \
		--re 'to=<officer@army.ml>, .*status=deferred \(connect to mx.mali-mail.net\[.*\]:25: Operation not permitted\)' \
		>/dev/null || fail "the accepted mail was not held by the kernel"
	expect "army.ml sink messages" "$($E2E_PY select "$T/sink.jsonl" \
		--skip "$SINK0" --count event=message 'id~=^p6')" 0
	start_mxguardd --policy "$POLICY"
	scenario_end
}

# Stopped with SIGSTOP: the socket is there and takes the connection, and
# nothing answers.  The milter's deadline (-t) bounds the wait.
p7_daemon_stalled() {
	scenario_begin "daemon stalled (SIGSTOP): SMTP answers within the deadline; -d tempfail gives 451 4.3.0"
	kill -STOP "$MXGUARDD_PID"
	local t0 ms
	t0=$(date +%s%N)
	smtp p7 officer@army.ml
	ms=$(ms_since "$t0")
	expect "RCPT code (accept)" "$(reply p7 officer@army.ml code)" 250
	expect_le "ms for the SMTP transaction" "$ms" 4000
	use_milter milter-tempfail
	smtp p7t officer@army.ml
	expect "RCPT code (tempfail)" "$(reply p7t officer@army.ml code)" 451
	expect_has "RCPT text (tempfail)" "$(reply p7t officer@army.ml text)" \
		"4.3.0 mxguard could not judge this recipient now"
	expect_le "ms for RCPT (tempfail, -t 500)" "$(reply p7t officer@army.ml ms)" 2000
	kill -CONT "$MXGUARDD_PID"
	# Back up: the same milter judges again.
	smtp p7u officer@army.ml
	expect "RCPT code, daemon back" "$(reply p7u officer@army.ml code)" 550
	use_milter milter
	scenario_end
}

# --- the query socket under hostile local users ---------------------------

q1_hostile() {
	scenario_begin "query socket: floods, slow and binary clients from an unprivileged user; daemon answers on"
	local t0
	# 200 connections held open by 'nobody', a 100 kB line, binary bytes,
	# half a request: the caps refuse, the deadlines close, no crash.
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
		$E2E_PYTHON - "$T/query.sock" >"$T/q1.out" 2>&1 <<-'PY' &
	import socket, sys, time
	path = sys.argv[1]
	held, refused = [], 0
	for i in range(200):
	    s = socket.socket(socket.AF_UNIX)
	    s.settimeout(2)
	    try:
	        s.connect(path)
	        s.send(b"rcpt officer@army")   # no newline: a slow client
	        held.append(s)
	    except OSError:
	        refused += 1
	for s in held[:50]:
	    s.setblocking(False)
	    try:
	        if s.recv(200).startswith(b"error"):
	            refused += 1
	    except OSError:
	        pass
	# The caps may refuse these too (reset, broken pipe): that is fine.
	for payload in (b"rcpt " + b"a" * 100000 + b"\n",
	                bytes(range(256)) + b"\n"):
	    try:
	        s = socket.socket(socket.AF_UNIX)
	        s.settimeout(2)
	        s.connect(path)
	        held.append(s)
	        s.sendall(payload)
	    except OSError:
	        pass
	print("refused", refused, flush=True)
	time.sleep(4)    # past the request deadline, still holding
	print("done", flush=True)
	PY
	local hostile=$!
	$E2E_PY wait "$T/q1.out" --re '^refused' --timeout 30 >/dev/null ||
		fail "the hostile client did not get going: $(cat "$T/q1.out")"
	# While 'nobody' holds all it may: its cap is per uid, so the MTA's
	# user (postfix) is still answered, at once.
	t0=$(date +%s%N)
	smtp q1 officer@army.ml
	expect "RCPT code during the flood" "$(reply q1 officer@army.ml code)" 550
	expect_le "ms during the flood" "$(ms_since "$t0")" 3000
	wait "$hostile"
	grep -q '^refused [1-9]' "$T/q1.out" || fail "no refusals: $(cat "$T/q1.out")"
	grep -q '^done' "$T/q1.out" || fail "hostile client: $(cat "$T/q1.out")"
	kill -0 "$MXGUARDD_PID" 2>/dev/null || fail "mxguardd died"
	# And after it: answers again.
	smtp q1b officer@army.ml
	expect "RCPT code after the flood" "$(reply q1b officer@army.ml code)" 550
	grep -q 'query: refused uid 65534 .*: too many connections from this uid' \
		"$T/mxguardd.err" || fail "the daemon did not log refusals"
	# ... at most a line a second, with a count of the rest.
	expect_le "refusal lines logged" "$(grep -c 'query: refused uid' \
		"$T/mxguardd.err")" 10
	scenario_end
}

# --- Exim -------------------------------------------------------------------

setup_exim() {
	EXIM_ROOT=$T/exim-root EXIM=$T/exim
	unpack_debs "$EXIM_ROOT" exim4-daemon-light exim4-base exim4-config \
		libidn12 || e2e_die "cannot unpack Exim"
	mkdir -p "$EXIM/spool" "$EXIM/log"
	cp /etc/passwd "$EXIM/passwd"
	cp /etc/group "$EXIM/group"
	grep -q '^Debian-exim:' "$EXIM/passwd" || {
		echo 'Debian-exim:x:64990:64990:Exim (e2e):/nonexistent:/usr/sbin/nologin' >>"$EXIM/passwd"
		echo 'Debian-exim:x:64990:' >>"$EXIM/group"
	}
	chown -R 64990:64990 "$EXIM/spool" "$EXIM/log"
	# The libraries Exim needs beyond the host's (libidn12), found by a
	# loader cache of our own: Exim re-executes itself with a clean
	# environment, so LD_LIBRARY_PATH would not reach the second run.
	ldconfig -C "$EXIM/ld.so.cache" "$EXIM_ROOT/usr/lib/x86_64-linux-gnu"
	# Copies Exim's own user can read when it re-executes itself (the
	# tree may sit under a home directory of mode 0700).
	install -m 0644 "$SRC/user/contrib/exim/mxguard-rcpt.acl" \
		"$SRC/user/contrib/exim/mxguard-not-smtp.acl" "$EXIM/"
	cat >"$EXIM/exim.conf" <<-EOF
	MXGUARD_QUERY = $T/query.sock
	MXGUARD_TIMEOUT = 1s
	primary_hostname = mailhost.test
	spool_directory = $EXIM/spool
	log_file_path = $EXIM/log/%slog
	acl_smtp_rcpt = acl_rcpt
	acl_not_smtp = acl_not_smtp
	begin acl
	acl_rcpt:
	.include $EXIM/mxguard-rcpt.acl
	  accept
	acl_not_smtp:
	.include $EXIM/mxguard-not-smtp.acl
	  accept
	begin routers
	begin transports
	EOF
}

# exim_ ARGS...: the unpacked exim, with the users it was built for.
exim_() {
	# Exim re-executes itself by its compiled-in path, /usr/sbin/exim4.
	mailns unshare -m sh -c 'mount --bind "$1/passwd" /etc/passwd &&
		mount --bind "$1/group" /etc/group &&
		mount --bind "$1/ld.so.cache" /etc/ld.so.cache &&
		mount --bind "$0/usr/sbin" /usr/sbin && shift &&
		exec "$0/usr/sbin/exim4" "$@"' \
		"$EXIM_ROOT" "$EXIM" -C "$EXIM/exim.conf" "$@"
}

exim_session() {	# exim_session RCPT...: SMTP lines for exim -bh / -bs
	printf 'EHLO client.test\r\nMAIL FROM:<ops@army.mil>\r\n'
	local r
	for r in "$@"; do printf 'RCPT TO:<%s>\r\n' "$r"; done
	printf 'DATA\r\nSubject: e2e\r\nX-E2E-Id: exim\r\n\r\nTest.\r\n.\r\nQUIT\r\n'
}

e1_exim_rcpt() {
	scenario_begin "Exim acl_smtp_rcpt (exim -bh): 550 5.1.2 with the suggestion; alert recipient marked; good one taken"
	exim_session officer@army.ml gunny@navy.ml buyer@contractor.com |
		exim_ -bh 192.0.2.99 >"$T/e1.out" 2>&1
	# Exim folds a long reply into 550- continuation lines.
	local text
	text=$(grep '^550[- ]' "$T/e1.out" | tr -d '\r' |
		sed 's/^550[- ]5\.1\.2 //' | paste -sd ' ')
	expect_has "550 for army.ml" "$(grep -m1 '^550' "$T/e1.out")" "550-5.1.2 <officer@army.ml>:"
	expect_has "550 text" "$text" "<officer@army.ml>: army.ml imitates mil (submit.policy:1); refused by mxguard; did you mean officer@army.mil?"
	expect "accepted others" "$(grep -c '^250 Accepted' "$T/e1.out")" 2
	expect "marked navy.ml in the log" "$(grep -c 'mxguard: marked <gunny@navy.ml>: navy.ml imitates navy.mil' "$T/e1.out")" 1
	wait_alerts 2 event.action=submission-lookalike process.name=exim4
	expect "submission alerts from exim" "$(alerts \
		event.action=submission-lookalike process.name=exim4)" 2
	scenario_end
}

e2_exim_header_and_not_smtp() {
	scenario_begin "Exim: header on accepted mail (exim -bs), acl_not_smtp rejects sendmail-style submission"
	local id
	exim_session gunny@navy.ml | exim_ -bs -odq >"$T/e2.out" 2>&1
	id=$(sed -n 's/^250 OK id=\([^ ]*\).*/\1/p' "$T/e2.out" | tr -d '\r')
	[ -n "$id" ] || fail "exim -bs queued nothing: $(tail -n 3 "$T/e2.out")"
	expect "header in Exim's spool" "$(exim_ -Mvh "$id" 2>&1 | grep -c \
		'X-Mxguard-Lookalike: <gunny@navy.ml>: navy.ml imitates navy.mil.*marked by mxguard; did you mean gunny@navy.mil?')" 1
	printf 'Subject: e2e\n\nTest.\n' | exim_ -odq -oep -i officer@army.ml \
		>"$T/e2n.out" 2>&1
	local rc=$?
	[ "$rc" -ne 0 ] || fail "exim accepted mail to army.ml from the command line"
	# exim folds its message at spaces: unfold before matching.
	local said
	said=$(tr '\n' ' ' <"$T/e2n.out")
	expect_has "not-smtp rejection" "$said" "exim: message rejected by non-SMTP ACL: 5.1.2 <officer@army.ml>: army.ml imitates mil"
	expect_has "not-smtp suggestion" "$said" "refused by mxguard; did you mean officer@army.mil?"
	printf 'Subject: e2e\n\nTest.\n' | exim_ -odq -oep -i gunny@navy.ml \
		>"$T/e2a.out" 2>&1 || fail "exim refused navy.ml from the command line"
	# Both accepted messages (SMTP and command line) carry the header.
	local i n=0
	for i in $(exim_ -bp 2>/dev/null | awk '$3 ~ /^[0-9A-Za-z]+-[0-9A-Za-z]+-[0-9A-Za-z]+$/ { print $3 }'); do
		exim_ -Mvh "$i" 2>/dev/null |
			grep -q 'X-Mxguard-Lookalike: <gunny@navy.ml>: navy.ml imitates navy.mil' &&
			n=$((n + 1))
	done
	expect "queued messages with the header" "$n" 2
	scenario_end
}

e3_exim_daemon_down() {
	scenario_begin "Exim with the daemon stalled, then stopped: accepted and logged within the timeout, or 451 with MXGUARD_DOWN_DEFER"
	local t0 ms
	kill -STOP "$MXGUARDD_PID"
	t0=$(date +%s%N)
	exim_session officer@army.ml | exim_ -bh 192.0.2.99 >"$T/e3s.out" 2>&1
	ms=$(ms_since "$t0")
	kill -CONT "$MXGUARDD_PID"
	expect "stalled: 250 for army.ml" "$(grep -c '^250 Accepted' "$T/e3s.out")" 1
	expect_le "stalled: ms" "$ms" 4000
	stop_mxguardd
	exim_session officer@army.ml | exim_ -bh 192.0.2.99 >"$T/e3.out" 2>&1
	expect "stopped: 250 for army.ml" "$(grep -c '^250 Accepted' "$T/e3.out")" 1
	expect "stopped: warning logged" "$(grep -c 'mxguard: no verdict for <officer@army.ml>.*accepted' "$T/e3.out")" 1
	# The other choice: MXGUARD_DOWN_DEFER (here from the command line).
	exim_session officer@army.ml | exim_ -DMXGUARD_DOWN_DEFER=yes \
		-bh 192.0.2.99 >"$T/e3d.out" 2>&1
	expect "stopped, MXGUARD_DOWN_DEFER: 451" "$(grep -c \
		'^451 4.3.0 mxguard could not judge this recipient now; try again later' "$T/e3d.out")" 1
	start_mxguardd --policy "$POLICY"
	scenario_end
}

# --- OpenSMTPD ------------------------------------------------------------

o1_opensmtpd() {
	scenario_begin "OpenSMTPD filter under the real smtpd: 550 5.1.2 with the suggestion; header for the alert rule; daemon down accepted"
	local O=$T/osmtpd R=$T/osmtpd-root
	unpack_debs "$R" opensmtpd || { fail "cannot unpack OpenSMTPD"; scenario_end; return; }
	mkdir -p "$O/spool" "$O/empty" "$O/run"
	chmod 711 "$O/spool"
	cp /etc/passwd "$O/passwd"
	cp /etc/group "$O/group"
	echo 'opensmtpd:x:64991:64991:smtpd (e2e):/nonexistent:/usr/sbin/nologin' >>"$O/passwd"
	echo 'opensmtpq:x:64992:64992:smtpq (e2e):/nonexistent:/usr/sbin/nologin' >>"$O/passwd"
	printf 'opensmtpd:x:64991:\nopensmtpq:x:64992:\n' >>"$O/group"
	# smtpd runs the filter as its own user: a copy where that user can
	# reach it (the tree may sit under a home directory of mode 0700).
	install -m 0755 "$SMTPD_FILTER" "$O/mxguard-smtpd-filter"
	cat >"$O/smtpd.conf" <<-EOF
	filter "mxguard" proc-exec "$O/mxguard-smtpd-filter -q $T/query.sock -t 1000"
	listen on 127.0.0.1 port 2525 filter "mxguard"
	action "out" relay
	match from any for any action "out"
	EOF
	# Its compiled-in paths (/var/spool/smtpd, /var/lib/opensmtpd/empty)
	# are bound to ours in a mount namespace of its own.
	"${IN_CG[@]}" "$E2E_CG_AUX" ip netns exec "$E2E_NS_MAIL" unshare -m sh -c '
		R=$1 O=$2
		mount --bind "$O/passwd" /etc/passwd &&
		mount --bind "$O/group" /etc/group &&
		mkdir -p /var/spool/smtpd /var/lib/opensmtpd/empty &&
		mount --bind "$O/spool" /var/spool/smtpd &&
		mount --bind "$O/empty" /var/lib/opensmtpd/empty &&
		mount --bind "$O/run" /var/run &&
		LD_LIBRARY_PATH=$R/usr/lib/x86_64-linux-gnu exec "$R/usr/sbin/smtpd" -d -f "$O/smtpd.conf"
		' sh "$R" "$O" >"$T/smtpd.out" 2>&1 &
	local spid=$! i
	disown
	for i in $(seq 1 100); do
		mailns bash -c 'exec 3<>/dev/tcp/127.0.0.1/2525' 2>/dev/null && break
		sleep 0.1
	done
	mailns $SMTPC 127.0.0.1 2525 ops@army.mil o1 officer@army.ml \
		buyer@contractor.com gunny@navy.ml >"$T/o1.smtp" 2>"$T/o1.err" ||
		fail "smtp to smtpd: $(tail -n 2 "$T/o1.err") $(tail -n 5 "$T/smtpd.out")"
	expect "RCPT army.ml code" "$(reply o1 officer@army.ml code)" 550
	expect_has "RCPT army.ml text" "$(reply o1 officer@army.ml text)" \
		"5.1.2 <officer@army.ml>: army.ml imitates mil"
	expect_has "RCPT army.ml text" "$(reply o1 officer@army.ml text)" \
		"did you mean officer@army.mil?"
	expect "RCPT contractor.com code" "$(reply o1 buyer@contractor.com code)" 250
	expect "RCPT navy.ml code" "$(reply o1 gunny@navy.ml code)" 250
	# smtpd relays it (from the aux cgroup: no kernel verdict here) to
	# the shared MX's sink, with the filter's header before the message.
	wait_sink o1 || fail "smtpd's message did not reach the sink"
	expect_has "header at the sink (OpenSMTPD)" \
		"$(sink_get mxguard_header event=message id=o1 | head -n 1)" \
		"<gunny@navy.ml>: navy.ml imitates navy.mil (submit.policy:3); marked by mxguard; did you mean gunny@navy.mil?"
	stop_mxguardd
	mailns $SMTPC 127.0.0.1 2525 ops@army.mil o1d officer@army.ml \
		>"$T/o1d.smtp" 2>>"$T/o1.err" || fail "smtp to smtpd (daemon down)"
	expect "RCPT army.ml code, daemon down" "$(reply o1d officer@army.ml code)" 250
	grep -q 'no verdict for officer@army.ml' "$T/smtpd.out" ||
		fail "no warning in smtpd's log"
	start_mxguardd --policy "$POLICY"
	kill -TERM "$spid" 2>/dev/null
	scenario_end
}

# --- main -------------------------------------------------------------------

e2e_init submit
POLICY=$T/submit.policy
trap 'echo "Bail out! setup failed: line $LINENO: $BASH_COMMAND"' ERR
set -e
for f in "$MXGUARDD" "$MILTER" "$SMTPD_FILTER"; do
	[ -x "$f" ] || e2e_die "$f: not built"
done
e2e_net
e2e_dns
e2e_sinks
e2e_postfix
printf '%s\n' 'lookalike ml of mil action=block' 'allow gov.ml' \
	'lookalike navy.ml of navy.mil action=alert' >"$POLICY"
: >"$T/alerts.jsonl"
start_mxguardd --policy "$POLICY"
setup_postfix_submission
setup_exim
set +e
trap - ERR
echo "1..$TOTAL"

# SUBMIT_ONLY="p1_smtp_block ..." runs some (while working on one).
for s in ${SUBMIT_ONLY:-p1_smtp_block p2_smtp_alert p3_sendmail_block \
	p4_sendmail_alert p5_hold p6_daemon_down p7_daemon_stalled \
	q1_hostile e1_exim_rcpt e2_exim_header_and_not_smtp \
	e3_exim_daemon_down o1_opensmtpd}; do
	$s
done

[ "$PASSED" -eq "$TOTAL" ]
