# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# A real Exim 4 on the mail host of lib.sh, unpacked from Debian's packages
# (unpack.sh: it conflicts with Postfix, so it is never installed).  Its
# binary wants the Debian-exim user, which the host may not have: the user
# is added to copies of passwd and group that `ip netns exec` mounts over
# /etc inside the mail host's namespace only (as it does resolv.conf).
# Config, spool and logs live under $T/exim; it runs in the watched cgroup.

EXIM_UID=64950

e2e_exim() {
	local x=$T/exim
	. "$E2E_DIR/unpack.sh"
	unpack_debs "$x/root" exim4-daemon-light exim4-base exim4-config \
		libidn12 >/dev/null || e2e_die "cannot unpack Exim"
	EXIM_BIN=$x/root/usr/sbin/exim4
	# Not setuid: Exim re-executes itself as Debian-exim for a continued
	# delivery (-MC), and the loader would then ignore LD_LIBRARY_PATH,
	# which finds the unpacked libidn.  Every call here is root's anyway.
	chmod u-s "$EXIM_BIN"
	EXIM_LIB=$x/root/usr/lib/x86_64-linux-gnu
	EXIM_SPOOL=$x/spool EXIM_LOG=$x/log
	mkdir -p "$EXIM_SPOOL" "$EXIM_LOG"
	getent passwd Debian-exim >/dev/null || {
		cp /etc/passwd "/etc/netns/$E2E_NS_MAIL/passwd"
		cp /etc/group "/etc/netns/$E2E_NS_MAIL/group"
		echo "Debian-exim:x:$EXIM_UID:$EXIM_UID:mxguard e2e:/nonexistent:/usr/sbin/nologin" \
			>>"/etc/netns/$E2E_NS_MAIL/passwd"
		echo "Debian-exim:x:$EXIM_UID:" >>"/etc/netns/$E2E_NS_MAIL/group"
		chown -R "$EXIM_UID:$EXIM_UID" "$EXIM_SPOOL" "$EXIM_LOG"
	}
	# Debian's defaults where they matter here: dnslookup router, smtp
	# transport with recipients of one message sharing a host batched on
	# one connection, and a retry rule that waits (so a deferral shows).
	cat >"$x/exim.conf" <<-EOF
	exim_path = $EXIM_BIN
	spool_directory = $EXIM_SPOOL
	log_file_path = $EXIM_LOG/%slog
	primary_hostname = mailhost.test
	keep_environment = LD_LIBRARY_PATH
	trusted_users = root
	never_users =
	domainlist local_domains = mailhost.test
	begin routers
	dnslookup:
	  driver = dnslookup
	  domains = ! +local_domains
	  transport = remote_smtp
	  no_more
	begin transports
	remote_smtp:
	  driver = smtp
	  hosts_avoid_tls = *
	  connect_timeout = 5s
	begin retry
	* * F,1h,1h
	EOF
	EXIM_CONF=$x/exim.conf
	# The same, with mxguard's routing-time hold before dnslookup
	# (user/contrib/exim/mxguard-hold.router), asking this test's daemon.
	# A copy Exim's own user can read again when it re-executes itself
	# (the tree may sit under a home directory of mode 0700).
	install -m 0644 "$SRC/user/contrib/exim/mxguard-hold.router" "$x/"
	sed "/^begin routers\$/a .include $x/mxguard-hold.router" \
		"$x/exim.conf" >"$x/exim-hold.conf"
	sed -i "1i MXGUARD_QUERY = $T/query.sock" "$x/exim-hold.conf"
	grep -q '^.include .*mxguard-hold.router' "$x/exim-hold.conf" ||
		e2e_die "exim-hold.conf has no router"
	# The same, sending everything through a smarthost on 587.
	sed -e '/^dnslookup:$/,/^  no_more$/c\
smarthost:\
  driver = manualroute\
  domains = ! +local_domains\
  route_list = * smtp.office365.co\
  transport = relay_smtp\
  no_more' -e '/^begin retry$/i\
relay_smtp:\
  driver = smtp\
  port = 587\
  hosts_avoid_tls = *\
  connect_timeout = 5s' "$x/exim.conf" >"$x/exim-relay.conf"
	grep -q '^  route_list = \* smtp.office365.co$' "$x/exim-relay.conf" &&
		grep -q '^  port = 587$' "$x/exim-relay.conf" ||
		e2e_die "exim-relay.conf has no smarthost"
	EXIM_CONF_PLAIN=$x/exim.conf EXIM_CONF_HOLD=$x/exim-hold.conf
	EXIM_CONF_RELAY=$x/exim-relay.conf
	: >"$EXIM_LOG/mainlog"
	chown "$EXIM_UID:$EXIM_UID" "$EXIM_LOG/mainlog" 2>/dev/null || true
}

# EX ARGS...: Exim in the mail host's netns and the watched cgroup.
EX() {
	in_cg "$E2E_CG_MTA" ip netns exec "$E2E_NS_MAIL" \
		env LD_LIBRARY_PATH="$EXIM_LIB" "$EXIM_BIN" -C "$EXIM_CONF" "$@"
}

# exim_submit ID RCPT...: queue a message (no delivery yet); its id is
# the Message-ID's local part, as for Postfix.
exim_submit() {
	local id=$1
	shift
	printf 'From: ops@mailhost.test\nTo: %s\nSubject: e2e %s\nMessage-ID: <%s@e2e.test>\nX-E2E-Id: %s\n\nTest message %s.\n' \
		"$*" "$id" "$id" "$id" "$id" |
		EX -odq -f ops@mailhost.test -- "$@"
}

# exim_mid ID: Exim's message id for e2e message ID (from its <= line).
exim_mid() {
	sed -n "s/.* \([0-9A-Za-z]\{6\}-[0-9A-Za-z]\{4,6\}-[0-9A-Za-z]\{2,4\}\) <= .* id=$1@e2e\.test.*/\1/p" \
		"$EXIM_LOG/mainlog" | head -n 1
}

# exim_run: one queue run over everything, retry times ignored, in the
# foreground: it returns when every delivery it started has ended.
# Its warnings (a continued delivery re-executed as Debian-exim drops the
# privilege -C gave it) go to a file, not the TAP stream.
exim_run() { EX -qff 2>>"$T/exim/run.err"; }

# exim_queued MID: 1 if the message is still on the queue.
exim_queued() { [ -e "$EXIM_SPOOL/input/$1-H" ] && echo 1 || echo 0; }

exim_queue() { EX -bp; }
exim_msglog() { cat "$EXIM_SPOOL/msglog/$1" 2>/dev/null; }
