# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# The end-to-end world, shared by run.sh (the suite) and demo.sh:
#
#   netns "mail" (the mail host)          netns "inet" (a test internet)
#   ----------------------------          ------------------------------
#   Postfix (own config + queue),         nsd: fake root + mil ml net com co
#     in the cgroup mxguardd watches        on 203.0.113.53, 2001:db8:53::53
#   unbound on 127.0.0.1/::1, root  ----  SMTP sinks (e2e.py sink) on every
#     hints point at the fake root   veth   MX address of the zones below
#   tcpdump on eth0 (this side)
#
# Documentation addresses only; the inet netns has no other link, so nothing
# can be routed out.  Everything the test starts runs in a cgroup under
# $E2E_CG, so one cgroup.kill ends it all, and e2e_cleanup (the EXIT trap)
# removes the namespaces, cgroups, pins, /etc/netns entry and temp dir.

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Debian's python3 (build.list) first: a version manager's shim in PATH costs
# a tenth of a second per call, and the suite makes hundreds.
E2E_PYTHON=$(command -v /usr/bin/python3 || command -v python3)
E2E_PY="$E2E_PYTHON $E2E_DIR/e2e.py"

# Addresses (see the zones in e2e_write_zones).
MAIL4=198.51.100.10 MAIL6=2001:db8:100::10
GW4=198.51.100.1 GW6=2001:db8:100::1
NS4=203.0.113.53 NS6=2001:db8:53::53
MX_MIL4=192.0.2.10			# mx.army.mil (genuine)
MX_ML4=192.0.2.25 MX_ML6=2001:db8:25::25	# mx.mali-mail.net (army.ml)
MX_SHARED4=192.0.2.30			# mx.navy.ml = mx.bighost.net (fleet.ml's MX)
MX_V6ONLY=2001:db8:6::25		# mx6.marines.ml, AAAA only
RELAY_TYPO4=192.0.2.87			# smtp.office365.co
RELAY_GOOD4=192.0.2.88			# smtp.office365.com

e2e_die() { printf 'Bail out! %s\n' "$*"; exit 1; }

# e2e_init NAME: temp dir, names of netns/cgroup/pins; installs the trap.
e2e_init() {
	local tag=$1
	[ "$(id -u)" -eq 0 ] || e2e_die "needs root (netns, cgroups, BPF)"
	local c
	for c in postfix sendmail postqueue unbound nsd tcpdump ip; do
		command -v "$c" >/dev/null ||
			e2e_die "$c is not installed (make deps)"
	done
	E2E_ID=$tag-$$
	E2E_NS_MAIL=mxe-mail-$$
	E2E_NS_INET=mxe-inet-$$
	E2E_BPFFS= E2E_PIN=
	E2E_CGROOT=$(awk '$0 ~ / - cgroup2 / { print $5; exit }' /proc/self/mountinfo)
	[ -n "$E2E_CGROOT" ] || e2e_die "no cgroup2 mount in /proc/self/mountinfo"
	E2E_CG=$E2E_CGROOT/mxguard-$E2E_ID
	E2E_CG_MTA=$E2E_CG/postfix		# watched by mxguardd
	E2E_CG_AUX=$E2E_CG/aux			# resolver, DNS, sinks, tcpdump
	E2E_CG_DAEMON=$E2E_CG/mxguardd
	E2E_ETC_NETNS_CREATED=
	T=$(mktemp -d "/tmp/mxguard-$E2E_ID.XXXXXX")
	# Postfix drops to its own user; it must reach its queue under $T.
	chmod 755 "$T"
	# A signal's trap runs with the redirections of the function that was
	# running (say, cmd >/dev/null); cleanup writes to these instead.
	exec {E2E_STDOUT}>&1 {E2E_STDERR}>&2
	trap e2e_cleanup EXIT
	trap 'exit 130' INT TERM
	# Pins go in a bpffs instance of our own.  A bpffs that anyone mounts
	# on /sys/fs/bpf during the run would hide pins there, and a restarted
	# daemon would then attach a second set instead of adopting the first.
	mkdir "$T/bpffs"
	mount -t bpf bpf "$T/bpffs"
	E2E_BPFFS=$T/bpffs
	E2E_PIN=$E2E_BPFFS/mxguard
	mkdir "$E2E_CG" "$E2E_CG_MTA" "$E2E_CG_AUX" "$E2E_CG_DAEMON"
	MXGUARDD_PID=
}

e2e_cleanup() {
	local rc=$? d
	trap - EXIT INT TERM
	set +e
	[ -n "${E2E_STDOUT:-}" ] && exec 1>&"$E2E_STDOUT" 2>&"$E2E_STDERR"
	if [ "$rc" -ne 0 ] && [ -n "${T:-}" ] && [ -d "$T" ]; then
		e2e_dump_logs
	fi
	[ -n "${MXGUARDD_PID:-}" ] && kill -TERM "$MXGUARDD_PID" 2>/dev/null
	if [ -n "${E2E_CG:-}" ] && [ -d "$E2E_CG" ]; then
		if [ -e "$E2E_CG/cgroup.kill" ]; then
			echo 1 >"$E2E_CG/cgroup.kill"
		else	# before Linux 5.14
			cat "$E2E_CG"/*/cgroup.procs | xargs -r kill -KILL
		fi
		$E2E_PY wait "$E2E_CG/cgroup.events" --re '^populated 0' \
			--timeout 10 >/dev/null 2>&1 ||
			echo "# cleanup: processes left in $E2E_CG" >&2
	fi
	if [ -n "${E2E_PIN:-}" ] && [ -e "$E2E_PIN" ]; then
		"$MXGUARDD" --unload --pin-dir "$E2E_PIN" >/dev/null 2>&1 ||
			echo "# cleanup: mxguardd --unload failed" >&2
		rm -rf "$E2E_PIN"
	fi
	[ -n "${E2E_BPFFS:-}" ] && umount "$E2E_BPFFS"
	ip netns del "$E2E_NS_MAIL" 2>/dev/null
	ip netns del "$E2E_NS_INET" 2>/dev/null
	rm -rf "/etc/netns/$E2E_NS_MAIL"
	[ -n "$E2E_ETC_NETNS_CREATED" ] && rmdir /etc/netns 2>/dev/null
	if [ -n "${E2E_CG:-}" ] && [ -d "$E2E_CG" ]; then
		for d in "$E2E_CG"/*/ "$E2E_CG"; do
			[ -d "$d" ] && rmdir "$d"
		done
	fi
	[ -n "${T:-}" ] && [ -z "${E2E_KEEP:-}" ] && rm -rf "$T"
	[ -n "${E2E_KEEP:-}" ] && echo "# kept $T" >&2
	[ -n "${E2E_ON_EXIT:-}" ] && $E2E_ON_EXIT
	exit "$rc"
}

e2e_dump_logs() {
	local f
	for f in "$T"/mxguardd.err "$T"/maillog "$T"/unbound/unbound.log \
		 "$T"/nsd/nsd.log "$T"/sink.jsonl "$T"/alerts.jsonl; do
		[ -s "$f" ] || continue
		echo "# --- last lines of $f" >&2
		tail -n 25 "$f" | sed 's/^/#   /' >&2
	done
}

# in_cg CGROUP CMD...: run CMD as a member of CGROUP (children follow it).
# Put in the background as "${IN_CG[@]}" CGROUP CMD... &, so that $! is
# CMD's own pid (a function would leave a subshell in between).
IN_CG=(bash -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' in_cg)
in_cg() { "${IN_CG[@]}" "$@"; }
mailns() { ip netns exec "$E2E_NS_MAIL" "$@"; }

# --- network -------------------------------------------------------------

e2e_net() {
	ip netns add "$E2E_NS_MAIL"
	ip netns add "$E2E_NS_INET"
	ip link add eth0 netns "$E2E_NS_MAIL" type veth \
		peer name eth0 netns "$E2E_NS_INET"
	ip -n "$E2E_NS_MAIL" link set lo up
	ip -n "$E2E_NS_INET" link set lo up
	ip -n "$E2E_NS_MAIL" addr add "$MAIL4/24" dev eth0
	ip -n "$E2E_NS_MAIL" addr add "$MAIL6/64" dev eth0 nodad
	ip -n "$E2E_NS_INET" addr add "$GW4/24" dev eth0
	ip -n "$E2E_NS_INET" addr add "$GW6/64" dev eth0 nodad
	ip -n "$E2E_NS_MAIL" link set eth0 up
	ip -n "$E2E_NS_INET" link set eth0 up
	# The mail host reaches only the documentation ranges, via the veth.
	ip -n "$E2E_NS_MAIL" route add 192.0.2.0/24 via "$GW4"
	ip -n "$E2E_NS_MAIL" route add 203.0.113.0/24 via "$GW4"
	ip -n "$E2E_NS_MAIL" -6 route add 2001:db8::/32 via "$GW6"
	local a
	for a in $NS4 $MX_MIL4 $MX_ML4 $MX_SHARED4 $RELAY_TYPO4 $RELAY_GOOD4; do
		ip -n "$E2E_NS_INET" addr add "$a/32" dev lo
	done
	for a in $NS6 $MX_ML6 $MX_V6ONLY; do
		ip -n "$E2E_NS_INET" addr add "$a/128" dev lo
	done
	# The mail host's resolver is its own unbound (ip netns exec mounts it).
	[ -d /etc/netns ] || { mkdir /etc/netns && E2E_ETC_NETNS_CREATED=1; }
	mkdir -p "/etc/netns/$E2E_NS_MAIL"
	printf 'nameserver 127.0.0.1\n' >"/etc/netns/$E2E_NS_MAIL/resolv.conf"
	printf '127.0.0.1 localhost\n::1 localhost\n' \
		>"/etc/netns/$E2E_NS_MAIL/hosts"
}

# --- DNS -----------------------------------------------------------------

e2e_write_zones() {
	local z=$T/nsd soa
	mkdir -p "$z"
	soa='@ SOA a.root-servers.test. hostmaster.test. 1 3600 600 86400 300
@ NS a.root-servers.test.'
	cat >"$z/root.zone" <<-EOF
	\$ORIGIN .
	\$TTL 3600
	$soa
	a.root-servers.test. A $NS4
	a.root-servers.test. AAAA $NS6
	mil. NS a.root-servers.test.
	ml. NS a.root-servers.test.
	net. NS a.root-servers.test.
	com. NS a.root-servers.test.
	co. NS a.root-servers.test.
	EOF
	cat >"$z/mil.zone" <<-EOF
	\$ORIGIN mil.
	\$TTL 3600
	$soa
	army MX 10 mx.army.mil.
	mx.army A $MX_MIL4
	EOF
	# army.ml: the seed case, an out-of-zone MX with A and AAAA.
	# navy.ml: its MX shares an address with contractor.com's.
	# marines.ml: an IPv6-only MX.
	# fleet.ml: its MX is contractor.com's own host name.
	cat >"$z/ml.zone" <<-EOF
	\$ORIGIN ml.
	\$TTL 3600
	$soa
	army MX 10 mx.mali-mail.net.
	navy MX 10 mx.navy.ml.
	fleet MX 10 mx.bighost.net.
	mx.navy A $MX_SHARED4
	marines MX 10 mx6.marines.ml.
	mx6.marines AAAA $MX_V6ONLY
	EOF
	cat >"$z/net.zone" <<-EOF
	\$ORIGIN net.
	\$TTL 3600
	$soa
	mx.mali-mail A $MX_ML4
	mx.mali-mail AAAA $MX_ML6
	mx.bighost A $MX_SHARED4
	EOF
	cat >"$z/com.zone" <<-EOF
	\$ORIGIN com.
	\$TTL 3600
	$soa
	contractor MX 10 mx.bighost.net.
	smtp.office365 A $RELAY_GOOD4
	EOF
	# The relay name with the last letter dropped: .co, not .com.
	cat >"$z/co.zone" <<-EOF
	\$ORIGIN co.
	\$TTL 3600
	$soa
	smtp.office365 A $RELAY_TYPO4
	EOF
	{
		cat <<-EOF
		server:
		    ip-address: $NS4
		    ip-address: $NS6
		    port: 53
		    username: ""
		    chroot: ""
		    zonesdir: "$z"
		    database: ""
		    zonelistfile: "$z/zone.list"
		    xfrdfile: "$z/xfrd.state"
		    xfrdir: "$z"
		    pidfile: "$z/nsd.pid"
		    logfile: "$z/nsd.log"
		    server-count: 1
		    reuseport: no
		    verbosity: 1
		remote-control:
		    control-enable: no
		EOF
		for zone in . mil ml net com co; do
			printf 'zone:\n    name: "%s"\n    zonefile: "%s.zone"\n' \
				"$zone" "${zone/#./root}"
		done
	} >"$z/nsd.conf"
}

e2e_write_unbound() {
	local u=$T/unbound
	mkdir -p "$u"
	cat >"$u/root.hints" <<-EOF
	.                    3600000 NS   a.root-servers.test.
	a.root-servers.test. 3600000 A    $NS4
	a.root-servers.test. 3600000 AAAA $NS6
	EOF
	cat >"$u/unbound.conf" <<-EOF
	server:
	    verbosity: 1
	    use-syslog: no
	    logfile: "$u/unbound.log"
	    username: ""
	    chroot: ""
	    directory: "$u"
	    pidfile: ""
	    use-systemd: yes
	    interface: 127.0.0.1
	    interface: ::1
	    port: 53
	    num-threads: 1
	    so-reuseport: no
	    do-ip6: yes
	    access-control: 127.0.0.0/8 allow
	    access-control: ::1/128 allow
	    root-hints: "$u/root.hints"
	    do-not-query-localhost: no
	    harden-referral-path: no
	    module-config: "iterator"
	remote-control:
	    control-enable: no
	EOF
}

# --- daemons -------------------------------------------------------------

# e2e_start NAME NETNS-FN CMD...: start a daemon that says READY=1 in the
# aux cgroup, within the namespace; fails if it does not within 20 s.
e2e_start() {
	local name=$1 ns=$2
	shift 2
	in_cg "$E2E_CG_AUX" $E2E_PY notify-run --timeout 20 \
		--out "$T/$name.out" --err "$T/$name.err" -- \
		ip netns exec "$ns" "$@" >"$T/$name.pid" ||
		e2e_die "$name did not start: $(tail -n 3 "$T/$name.err" 2>/dev/null)"
}

e2e_dns() {
	e2e_write_zones
	e2e_write_unbound
	# nsd has no sd_notify; it logs when its sockets are open and zones
	# are read.
	: >"$T/nsd/nsd.log"
	"${IN_CG[@]}" "$E2E_CG_AUX" ip netns exec "$E2E_NS_INET" \
		nsd -d -c "$T/nsd/nsd.conf" >"$T/nsd.out" 2>&1 &
	disown	# cleanup's cgroup.kill ends it; no job notice
	$E2E_PY wait "$T/nsd/nsd.log" --re 'nsd started' --timeout 20 ||
		e2e_die "nsd did not start: $(tail -n 3 "$T/nsd/nsd.log")"
	e2e_dns_capture
	e2e_start unbound "$E2E_NS_MAIL" unbound -d -c "$T/unbound/unbound.conf"
}

# With MXG_E2E_DNS_PCAP=DIR, every DNS packet of the mail host (loopback:
# the MTA and unbound; eth0: unbound and nsd) goes to DIR/<scenario>.pcap,
# for the seed corpus of the differential fuzzer (tests/fuzz/pcap2corpus.py).
# Packet-buffered, so the kill at cleanup loses nothing written.
e2e_dns_capture() {
	[ -n "${MXG_E2E_DNS_PCAP:-}" ] || return 0
	mkdir -p "$MXG_E2E_DNS_PCAP"
	"${IN_CG[@]}" "$E2E_CG_AUX" ip netns exec "$E2E_NS_MAIL" \
		tcpdump -i any -n -U -s 0 -Z root -w \
		"$MXG_E2E_DNS_PCAP/$E2E_ID.pcap" port 53 \
		2>"$T/dns-capture.err" &
	disown
	$E2E_PY wait "$T/dns-capture.err" --re 'listening on' --timeout 10 ||
		e2e_die "tcpdump (DNS capture) did not start"
}

e2e_sinks() {
	: >"$T/sink.jsonl"
	e2e_start sink "$E2E_NS_INET" $E2E_PY sink --log "$T/sink.jsonl" \
		--listen "$MX_MIL4:25" --listen "$MX_ML4:25" \
		--listen "[$MX_ML6]:25" --listen "$MX_SHARED4:25" \
		--listen "[$MX_V6ONLY]:25" --listen "$RELAY_TYPO4:587" \
		--listen "$RELAY_GOOD4:587"
}

# --- Postfix -------------------------------------------------------------

PF() { mailns postfix -c "$T/postfix" "$@"; }
postconf_() { postconf -c "$T/postfix" "$@"; }
# reload_postfix: `postfix reload`, then wait for the master to log it.
reload_postfix() {
	local n
	n=$(grep -c 'postfix/master.*reload' "$T/maillog")
	PF reload >/dev/null 2>&1
	$E2E_PY wait "$T/maillog" --re 'postfix/master.*reload' \
		--count $((n + 1)) --timeout 10 >/dev/null
}

e2e_postfix() {
	# Config, queue and data apart: `postfix check` wants the config tree
	# owned by root and the data directory by postfix.
	local pf=$T/postfix
	mkdir -p "$pf" "$T/postfix-spool" "$T/postfix-data"
	chown postfix: "$T/postfix-data"
	cat >"$pf/main.cf" <<-EOF
	compatibility_level = 3.6
	queue_directory = $T/postfix-spool
	data_directory = $T/postfix-data
	maillog_file = $T/maillog
	maillog_file_prefixes = $T
	myhostname = mailhost.test
	mydomain = mailhost.test
	myorigin = \$myhostname
	mydestination =
	inet_interfaces = all
	inet_protocols = all
	alias_maps =
	alias_database =
	local_recipient_maps =
	biff = no
	smtputf8_enable = no
	# Resolve through the host's resolver (unbound), never /etc/hosts.
	smtp_host_lookup = dns
	disable_dns_lookups = no
	smtp_tls_security_level = none
	smtp_connect_timeout = 5s
	# A held message waits for a flush (postqueue -f), not for a timer.
	queue_run_delay = 1h
	minimal_backoff_time = 1h
	maximal_backoff_time = 2h
	delay_warning_time = 0
	EOF
	# Debian's master.cf less smtpd, with no chroot (no /var/spool copy of
	# /etc/resolv.conf: smtp reads the one ip netns exec mounted).
	cat >"$pf/master.cf" <<-'EOF'
	pickup    unix  n       -       n       60      1       pickup
	cleanup   unix  n       -       n       -       0       cleanup
	qmgr      unix  n       -       n       300     1       qmgr
	tlsmgr    unix  -       -       n       1000?   1       tlsmgr
	rewrite   unix  -       -       n       -       -       trivial-rewrite
	bounce    unix  -       -       n       -       0       bounce
	defer     unix  -       -       n       -       0       bounce
	trace     unix  -       -       n       -       0       bounce
	verify    unix  -       -       n       -       1       verify
	flush     unix  n       -       n       1000?   0       flush
	proxymap  unix  -       -       n       -       -       proxymap
	proxywrite unix -       -       n       -       1       proxymap
	smtp      unix  -       -       n       -       -       smtp
	relay     unix  -       -       n       -       -       smtp
	showq     unix  n       -       n       -       -       showq
	error     unix  -       -       n       -       -       error
	retry     unix  -       -       n       -       -       error
	discard   unix  -       -       n       -       -       discard
	local     unix  -       n       n       -       -       local
	virtual   unix  -       n       n       -       -       virtual
	lmtp      unix  -       -       n       -       -       lmtp
	anvil     unix  -       -       n       -       1       anvil
	scache    unix  -       -       n       -       1       scache
	postlog   unix-dgram n  -       n       -       1       postlogd
	EOF
	: >"$T/maillog"
	# Started from the watched cgroup: master and every child it forks
	# (smtp, qmgr, ...) are in it.  `postfix start` waits for the master.
	in_cg "$E2E_CG_MTA" ip netns exec "$E2E_NS_MAIL" \
		postfix -c "$pf" start >"$T/postfix.out" 2>&1 ||
		e2e_die "postfix start: $(tail -n 5 "$T/postfix.out")"
}

# --- mxguardd ------------------------------------------------------------

# start_mxguardd [ARGS...]: start the daemon on the Postfix cgroup, with our
# pins, control socket and state files and no host config file
# (tests/hoststate.sh checks that the host's are left alone).  It appends its JSON
# lines to $T/alerts.jsonl and its log to $T/mxguardd.err; returns once it
# said READY=1.
start_mxguardd() {
	MXGUARDD_PID=$(in_cg "$E2E_CG_DAEMON" $E2E_PY notify-run --timeout 30 \
		--out "$T/alerts.jsonl" --err "$T/mxguardd.err" -- \
		"$MXGUARDD" --cgroup "$E2E_CG_MTA" --pin-dir "$E2E_PIN" \
		--control "$T/control.sock" --config /dev/null --foreground \
		--learned-file "$T/learned" \
		--correspondents-file "$T/correspondents" \
		"$@") ||
		e2e_die "mxguardd did not start: $(tail -n 3 "$T/mxguardd.err")"
}

stop_mxguardd() {
	[ -n "$MXGUARDD_PID" ] || return 0
	kill -TERM "$MXGUARDD_PID"
	$E2E_PY wait-exit "$MXGUARDD_PID" --timeout 10
	MXGUARDD_PID=
}

# --- packet capture ------------------------------------------------------

# cap_start NAME: tcpdump on the mail host's side of the veth, writing the
# pcap and, for waiting on, its text.
cap_start() {
	CAP_FILE=$T/$1.pcap CAP_TEXT=$T/$1.txt
	: >"$CAP_TEXT"
	"${IN_CG[@]}" "$E2E_CG_AUX" ip netns exec "$E2E_NS_MAIL" \
		tcpdump -i eth0 -n -tt -l -U --immediate-mode -Z root \
		-w "$CAP_FILE" --print >"$CAP_TEXT" 2>"$T/$1.tcpdump.err" &
	CAP_PID=$!
	disown
	$E2E_PY wait "$T/$1.tcpdump.err" --re 'listening on' --timeout 10 ||
		e2e_die "tcpdump did not start"
}

# cap_stop: end the capture with a canary datagram.  Once tcpdump has
# printed the canary it has written every earlier packet, and the canary in
# the pcap shows the capture was live (an empty result is then real).
cap_stop() {
	mailns bash -c "echo canary >/dev/udp/$GW4/9"
	$E2E_PY wait "$CAP_TEXT" --re " > ${GW4//./\\.}\\.9: UDP" --timeout 10
	kill -TERM "$CAP_PID" 2>/dev/null
	$E2E_PY wait-exit "$CAP_PID" --timeout 10 || return 1
	[ "$(cap_count "udp and dst host $GW4 and dst port 9")" -ge 1 ] ||
		{ echo "# capture missed its canary"; return 1; }
}

# cap_count FILTER: packets in the capture that match a pcap filter.
cap_count() {
	tcpdump -r "$CAP_FILE" -n "$1" 2>/dev/null | wc -l
}
