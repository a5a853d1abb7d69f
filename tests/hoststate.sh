#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The suites must not touch the host's own mxguard: its configuration, its
# state (the learned second-look rules and the correspondents, which change
# verdicts) and its runtime directory.  Each daemon a test starts is given
# its own files; this checks that none was missed.
#
#   hoststate.sh snap FILE     record the host paths' state in FILE
#   hoststate.sh verify FILE   fail, with the difference, if it changed
#
# A daemon of the host's own that is running (its control socket answers)
# may write its state meanwhile: then only /etc/mxguard is compared, and
# verify says so.
set -euo pipefail

PATHS=(/etc/mxguard /var/lib/mxguard /run/mxguard)

live_daemon() {
	python3 - <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect("/run/mxguard/control.sock")
except OSError:
    sys.exit(1)
EOF
}

state() {
	local p paths=("${PATHS[@]}")
	if live_daemon; then
		echo "# a host daemon is running: only /etc/mxguard compared"
		paths=(/etc/mxguard)
	fi
	for p in "${paths[@]}"; do
		if [ ! -e "$p" ]; then
			echo "$p absent"
			continue
		fi
		find "$p" -printf '%p %y %m %s %T@\n' | sort
		find "$p" -type f -print0 | sort -z | xargs -0r sha256sum
	done
}

case ${1:-} in
snap)
	state > "$2"
	;;
verify)
	now=$(mktemp)
	trap 'rm -f "$now"' EXIT
	state > "$now"
	if ! diff -u "$2" "$now" > "$now.diff"; then
		echo "hoststate: the suites changed the host's mxguard paths:" >&2
		cat "$now.diff" >&2
		rm -f "$now.diff"
		exit 1
	fi
	rm -f "$now.diff"
	echo "hoststate: ${PATHS[*]} untouched"
	;;
*)
	echo "usage: hoststate.sh snap|verify FILE" >&2
	exit 2
	;;
esac
