#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Run mxguard's suites on the kernel this runs on (a vmtest guest, a vng
# guest, or the host for "native") and write the results to OUTDIR:
#
#   status           exit status of the whole run; 1 until the end is reached
#   uname            the kernel release
#   loaded           "yes", or "no: <the daemon's reason>"
#   lockdown         the kernel's lockdown level (none without the LSM)
#   verifier.txt     "program processed-insns" per program
#   <suite>.tap      TAP of each suite; <suite>.log its stderr
#   times            seconds per step
#   dmesg.txt        the kernel log since this run started
#
#   guest.sh OUTDIR [BPF_TEST_FILTER]
set -uo pipefail
[ $# -ge 1 ] || { echo "usage: guest.sh OUTDIR [FILTER]" >&2; exit 2; }
out=$1
filter=${2:-}
cd "$(dirname "$0")/.." || exit 1
mkdir -p "$out" || exit 1
out=$(cd "$out" && pwd)
echo 1 > "$out/status"
: > "$out/times"
STEP_TIMEOUT=${VMTEST_STEP_TIMEOUT:-900}
marker="mxguard-vmtest: start $$-$RANDOM"
rc=0

uname -r > "$out/uname"
# vng and bare hosts may lack these; the vmtest initramfs has them already.
grep -q " - bpf " /proc/self/mountinfo || mount -t bpf bpf /sys/fs/bpf
grep -q " - cgroup2 " /proc/self/mountinfo ||
	mount -t cgroup2 cgroup2 /sys/fs/cgroup
echo "$marker" > /dev/kmsg 2>/dev/null

# Run step NAME CMD...: stdout to NAME.tap, stderr to NAME.log, both bounded.
step() {
	local name=$1 t0 t1 st
	shift
	echo "vmtest: == $name"
	t0=$(date +%s)
	timeout "$STEP_TIMEOUT" "$@" > "$out/$name.tap" 2> "$out/$name.log"
	st=$?
	t1=$(date +%s)
	[ $st -eq 124 ] && echo "timeout after ${STEP_TIMEOUT}s" >> "$out/$name.log"
	echo "$name $((t1 - t0)) $st" >> "$out/times"
	cat "$out/$name.tap"
	[ $st -eq 0 ] || { tail -n 20 "$out/$name.log"; rc=1; }
	return $st
}

load_cg=$(awk '$0 ~ / - cgroup2 / { print $5; exit }' /proc/self/mountinfo)
load_cg=$load_cg/mxguard-vmtest-$$
load_pin=/sys/fs/bpf/mxguard-vmtest-$$
# Natively, a run cut short must not leave enforcement pinned on the host.
trap '[ -e "$load_pin" ] && .output/mxguardd --unload --pin-dir "$load_pin"
      rmdir "$load_cg" 2>/dev/null' EXIT

# Does the daemon itself load and attach?  Its own words if it does not.
load_check() {
	local cg=$load_cg pin=$load_pin pid line st=1
	mkdir -p "$cg"
	# No control socket or SMTP responder: natively, a real daemon may own
	# the default socket and port; nor the host's config or state files
	# (tests/hoststate.sh).
	exec 3< <(exec timeout 300 .output/mxguardd --policy policies/ \
		--cgroup "$cg" --pin-dir "$pin" --control "" --foreground \
		--responder-port 0 \
		--config /dev/null --learned-file "$out/load.learned" \
		--correspondents-file "$out/load.correspondents" \
		2>&1 >/dev/null)
	pid=$!
	while IFS= read -r line <&3; do
		echo "$line" >> "$out/load.log"
		case $line in *"attached to "*) st=0; break ;; esac
	done
	kill "$pid" 2>/dev/null
	cat <&3 >> "$out/load.log"
	exec 3<&-
	.output/mxguardd --unload --pin-dir "$pin" >> "$out/load.log" 2>&1
	rmdir "$cg" 2>/dev/null
	# The daemon's own lines (not libbpf's) say why, or what fell back.
	grep '^mxguardd: ' "$out/load.log" |
		grep -v ': attached to \|: exiting\|: counters:\|: unloaded:' \
		> "$out/load.notes"
	if [ $st -eq 0 ]; then
		echo yes > "$out/loaded"
		return 0
	fi
	echo "no: $(head -n1 "$out/load.notes")$(verifier_reason "$out/load.log")" \
		> "$out/loaded"
	return 1
}

# libbpf prints the verifier's log of a refused program; its verdict is the
# last line before the "processed N insns" statistics.
verifier_reason() {
	awk '/BPF program load failed/ && prog == "" {
		prog = $3; gsub(/[\047:]/, "", prog) }
	     /^BPF program is too large/ && why == "" { why = $0 }
	     /^processed [0-9]+ insns/ && why == "" { why = prev }
	     { prev = $0 }
	     END { if (prog != "") printf " [%s: %s]", prog, why }' "$1"
}

# One TAP line of load.tap: ok if the command succeeds.
ntap=0
tap() {
	local what=$1
	shift
	ntap=$((ntap + 1))
	if "$@"; then
		echo "ok $ntap - $what"
	else
		echo "not ok $ntap - $what"
	fi
}

# Lockdown asked for on the command line must be in force, and the daemon
# must say what it costs exactly when it is (the real_parent walk is off).
lockdown_check() {
	local level warned=no
	level=$(sed -n 's/.*\[\([a-z]*\)\].*/\1/p' \
		/sys/kernel/security/lockdown 2>/dev/null)
	level=${level:-none}
	echo "$level" > "$out/lockdown"
	grep -q 'kernel lockdown (confidentiality) refuses bpf_probe_read_kernel' \
		"$out/load.log" && warned=yes
	if grep -qw 'lockdown=confidentiality' /proc/cmdline; then
		tap "kernel is locked down (confidentiality)" \
			test "$level" = confidentiality
	fi
	tap "mxguardd warns that lockdown limits process scope only under it (lockdown: $level)" \
		test "$warned" = "$([ "$level" = confidentiality ] && echo yes || echo no)"
}

t0=$(date +%s)
loaded=1
load_check || { loaded=0; rc=1; }
echo "load $(($(date +%s) - t0)) $((1 - loaded))" >> "$out/times"
echo "vmtest: BPF programs loaded: $(cat "$out/loaded")"
{
	tap "mxguardd loads and attaches its BPF programs" test $loaded = 1
	lockdown_check
} > "$out/load.tap"
grep -q '^not ok' "$out/load.tap" && rc=1
cat "$out/load.tap"
step verifier .output/vmtest/verifier_stats && cp "$out/verifier.tap" "$out/verifier.txt"
rm -f "$out/verifier.tap"

# The unit tests are user-space logic with no kernel interface of their own:
# the same binaries give the same results on every kernel, and check-unit
# runs them on the host, plain and under ASan and UBSan.  Under TCG they cost
# about a minute per kernel (unit-secondlook alone 34-49 s), so a guest runs
# them only when asked (VMTEST_UNITS=1; the "native" row runs them).
if [ "${VMTEST_UNITS:-0}" = 1 ]; then
	for t in .output/tests/test_*; do
		CMOCKA_MESSAGE_OUTPUT=TAP step "unit-${t##*/test_}" "$t"
	done
fi
# Without the programs every BPF case would fail alike: the load says why.
if [ $loaded = 1 ]; then
	step packets tests/bpf/run.sh .output/tests/bpf_packets
	# The differential fuzzer, fewer cases than natively (make fuzz: 1M):
	# under TCG a case costs some 20 times more.
	step dnsdiff tests/bpf/run.sh .output/tests/dnsdiff -n 50000 -t 240 \
		-c tests/fuzz/corpus/dns
	# Each case has its own netns, cgroup, pins and files, so they run
	# as many at once as the guest has CPUs: most of a case under TCG is
	# the kernel verifying the daemon's programs, one CPU each.
	step datapath env MXG_TEST_JOBS="${VMTEST_JOBS:-$(nproc)}" \
		tests/bpf/run.sh .output/tests/bpf_test .output/mxguardd $filter
else
	echo "ok 1 - bpf_packets # SKIP BPF programs did not load" > "$out/packets.tap"
	echo "ok 1 - bpf_test # SKIP BPF programs did not load" > "$out/datapath.tap"
fi

# The kernel's log since our marker: the host scans it for splats.
dmesg 2>/dev/null | sed -n "/$marker/,\$p" > "$out/dmesg.txt"
echo $rc > "$out/status"
exit $rc
