#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Run mxguard's unit and BPF suites on a matrix of kernels.
#
#   vmtest/run.sh [-f FILTER] KERNEL...
#
# KERNEL is 5.10, 6.1 or 6.12 (Debian's cloud kernel from bullseye, bookworm
# or trixie, fetched by kernel.sh), a path to a bzImage, or "native" (the
# running kernel, no VM).  A Debian kernel with "-lockdown" (6.12-lockdown)
# boots with lockdown=confidentiality and runs LOCKDOWN_FILTER's cases; the
# host itself is never locked down.  FILTER (also VMTEST_FILTER) picks
# bpf_test cases: comma-separated substrings of their names.  Each kernel's
# results land in .output/vmtest/<kernel>/ and as TAP and JUnit XML beside
# it; a table sums them up.  Exit status 0 only if every kernel passed.
#
# Environment: VMTEST_ACCEL=tcg|kvm (tcg), VMTEST_TIMEOUT seconds per kernel
# (1200), VMTEST_LOCKDOWN_FILTER (the focused cases of a -lockdown run),
# VMTEST_SMP (2), VMTEST_MEM (2G), VMTEST_VNG=0 to ignore vng,
# VMTEST_JOBS (bpf_test cases at once; the guest's CPU count), VMTEST_UNITS=1
# to run the unit tests in each guest too (see guest.sh),
# VMTEST_OUT (.output/vmtest), VMTEST_CACHE (/var/cache/mxguard-vmtest),
# VMTEST_MODULES_DIR (a bzImage's /lib/modules/<release>, if it has modules),
# VMTEST_MODULES and VMTEST_GUEST_PACKAGES (see modules.sh, initramfs.sh).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
OUT=${VMTEST_OUT:-$repo/.output/vmtest}
ACCEL=${VMTEST_ACCEL:-tcg}
TIMEOUT=${VMTEST_TIMEOUT:-1200}
SMP=${VMTEST_SMP:-2}
MEM=${VMTEST_MEM:-2G}
FILTER=${VMTEST_FILTER:-}
# Under lockdown: the seed case, what lineage falls back to (process_scope
# expects the unit-level alert there), the other scopes, connect6, and the
# status and -n checks.  The rest does not touch what lockdown changes.
# The names match as substrings: destroy_process_scope, which needs the
# lineage walk, is left out by name (process_scope covers the fallback).
LOCKDOWN_FILTER=${VMTEST_LOCKDOWN_FILTER:-seed_block,process_scope,unit_scope,host_scope,aaaa_connect6,ctl_commands,check_config,-destroy_process_scope}

# Kernel splats that fail a run even when every test passed.
SPLATS='WARNING:|BUG:|KASAN:|UBSAN:|KCSAN:|kernel BUG|Oops|general protection fault|Kernel panic|possible circular locking|possible recursive locking|inconsistent lock state|lockdep|INFO: task .* blocked for more than|hung task|soft lockup|hard LOCKUP|rcu: INFO|self-detected stall'

usage() {
	echo "usage: vmtest/run.sh [-f FILTER] 5.10|6.1|6.12[-lockdown]|native|/path/to/bzImage..." >&2
	exit 2
}

while getopts f:h opt; do
	case $opt in
	f) FILTER=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage
[ "$(id -u)" -eq 0 ] || { echo "vmtest: needs root (the suites load BPF programs)" >&2; exit 1; }
case $FILTER$LOCKDOWN_FILTER in *[[:space:]]*) echo "vmtest: FILTER may not contain spaces" >&2; exit 2 ;; esac

for f in mxguardd tests/bpf_test tests/bpf_packets vmtest/verifier_stats; do
	[ -x "$repo/.output/$f" ] || { echo "vmtest: .output/$f missing: run 'make vmtest'" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/mxguard-vmtest.XXXXXX")
child=
cleanup() {
	# timeout passes TERM on to its process group; QEMU also by its pid.
	[ -n "$child" ] && kill -TERM "$child" 2>/dev/null
	[ -s "$work/qemu.pid" ] && kill -KILL "$(cat "$work/qemu.pid")" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

initramfs=
need_initramfs() {
	[ -n "$initramfs" ] && return 0
	initramfs=$work/initramfs.cpio
	echo "vmtest: building the initramfs"
	"$here/initramfs.sh" "$initramfs" || { initramfs=; return 1; }
}

# A bzImage is named by the release in its header (boot protocol: the
# version string's offset, less 0x200, is at 0x20e).
bzimage_release() {
	local off
	off=$(od -An -tu2 -j 526 -N 2 "$1" 2>/dev/null | tr -d ' ')
	[ -n "$off" ] && dd if="$1" bs=1 skip=$((off + 512)) count=64 2>/dev/null |
		tr '\0' ' ' | cut -d' ' -f1
}

label_of() {
	local rel
	case $1 in
	*/*)
		rel=$(bzimage_release "$1")
		echo "bzImage-${rel:-unknown}" | tr -c 'A-Za-z0-9._+\n-' _
		;;
	*) echo "$1" ;;
	esac
}

# Run a command bounded by TIMEOUT.  In the background, so that a signal
# to us runs the trap at once instead of after the command ends.
bounded() {
	local st
	timeout -k 10 "$TIMEOUT" "$@" &
	child=$!
	wait "$child"
	st=$?
	child=
	return $st
}

run_native() {
	local dir=$1
	VMTEST_UNITS=${VMTEST_UNITS:-1} \
		bounded "$here/guest.sh" "$dir" "$FILTER" > "$dir/console.log" 2>&1
	[ $? -eq 124 ] && echo "timeout after ${TIMEOUT}s" > "$dir/error"
}

# kernel CI's way: vng boots the kernel on a snapshot of this host, and
# guest.sh writes straight into the (shared, writable) result directory.
run_vng() {
	local dir=$1 kimg=$2 accel=()
	[ "$ACCEL" = kvm ] || accel=(--disable-kvm)
	bounded vng --run "$kimg" --user root "${accel[@]}" \
		--cpus "$SMP" --memory "$MEM" --rwdir "$dir" \
		--exec "VMTEST_UNITS=${VMTEST_UNITS:-0} VMTEST_JOBS=${VMTEST_JOBS:-} $here/guest.sh $dir $FILTER" > "$dir/console.log" 2>&1
	[ $? -eq 124 ] && echo "timeout after ${TIMEOUT}s" > "$dir/error"
}

# Plain QEMU: results come back as a tar stream on the second serial port.
# EXTRA is more kernel command line (lockdown=confidentiality).
run_qemu() {
	local dir=$1 kimg=$2 moddir=$3 filter=$4 extra=$5 st accel cpu
	local initrd=$work/initrd.cpio
	need_initramfs || { echo "initramfs build failed" > "$dir/error"; return; }
	# The kernel unpacks its module archive over the shared one.
	if [ -n "$moddir" ]; then
		"$here/modules.sh" "$moddir" "$work/modules.cpio" 2> "$dir/modules.log" ||
			{ echo "modules: $(head -n1 "$dir/modules.log")" > "$dir/error"; return; }
		cat "$initramfs" "$work/modules.cpio" > "$initrd"
	else
		cp "$initramfs" "$initrd"
	fi
	if [ "$ACCEL" = kvm ]; then
		accel=kvm cpu=host
	else
		accel=tcg,thread=multi cpu=max
	fi
	rm -f "$work/results.tar" "$work/qemu.pid"
	bounded qemu-system-x86_64 -pidfile "$work/qemu.pid" \
		-accel "$accel" -cpu "$cpu" -smp "$SMP" -m "$MEM" \
		-nodefaults -no-user-config -display none -nic none -no-reboot \
		-kernel "$kimg" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 loglevel=6 $extra mxguard.repo=$repo mxguard.filter=$filter mxguard.units=${VMTEST_UNITS:-0} mxguard.jobs=${VMTEST_JOBS:-}" \
		-serial "file:$dir/console.log" -serial "file:$work/results.tar" \
		> "$dir/qemu.log" 2>&1
	st=$?
	rm -f "$work/qemu.pid"
	if [ $st -eq 124 ]; then
		echo "timeout after ${TIMEOUT}s" > "$dir/error"
	elif [ $st -ne 0 ]; then
		echo "qemu exited with $st: $(head -c 300 "$dir/qemu.log")" > "$dir/error"
	fi
	if [ -s "$work/results.tar" ]; then
		tar -xf "$work/results.tar" -C "$dir" 2>> "$dir/error" ||
			echo "results from the VM are truncated" >> "$dir/error"
	fi
}

# Counts of the TAP files of one kernel: passed failed skipped.
tap_counts() {
	cat "$1"/*.tap 2>/dev/null | awk '
		/^not ok/ { f++; next }
		/^ok .*# *[Ss][Kk][Ii][Pp]/ { s++; next }
		/^ok/ { p++ }
		END { printf "%d %d %d\n", p, f, s }'
}

# One TAP stream per kernel: every suite's cases, then the run's own checks.
write_tap() {
	local dir=$1 label=$2 status=$3
	{
		echo "TAP version 13"
		echo "# mxguard vmtest on $label ($(cat "$dir/uname" 2>/dev/null || echo unknown))"
		for t in "$dir"/*.tap; do
			[ -e "$t" ] || continue
			sed -n "s/^\(not ok\|ok\) [0-9]* - /\1 - $(basename "$t" .tap): /p" "$t"
		done
		if [ -s "$dir/splats.txt" ]; then
			echo "not ok - kernel log has no splats"
		else
			echo "ok - kernel log has no splats"
		fi
		if [ "$status" = 0 ]; then
			echo "ok - run completed"
		else
			echo "not ok - run completed: $(head -n1 "$dir/error" 2>/dev/null)"
		fi
	} | awk '/^(not )?ok/ { n++; sub(/^ok/, "ok " n); sub(/^not ok/, "not ok " n) } { print } END { print "1.." n }' \
		> "$OUT/$label.tap"
}

xml_escape() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g'; }

write_junit() {
	local label=$1 secs=$2
	awk -v k="$label" -v secs="$secs" '
		/^(not )?ok/ {
			fail = /^not ok/
			name = $0; sub(/^(not )?ok [0-9]+ - /, "", name)
			skip = name ~ /# *[Ss][Kk][Ii][Pp]/
			n++; f += fail; s += skip
			cases[n] = sprintf("    <testcase classname=\"mxguard.%s\" name=\"%s\">%s</testcase>",
				k, name, fail ? "<failure message=\"failed\"/>" : skip ? "<skipped/>" : "")
		}
		END {
			printf "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n"
			printf "  <testsuite name=\"mxguard-vmtest-%s\" tests=\"%d\" failures=\"%d\" skipped=\"%d\" time=\"%d\">\n", k, n, f, s, secs
			for (i = 1; i <= n; i++) print cases[i]
			printf "  </testsuite>\n</testsuites>\n"
		}' < <(xml_escape < "$OUT/$label.tap") > "$OUT/$label.xml"
}

rows=()
overall=0
mkdir -p "$OUT"
for k in "$@"; do
	label=$(label_of "$k")
	dir=$OUT/$label
	rm -rf "$dir"
	mkdir -p "$dir"
	# Pre-seeded: only a guest that reaches its end overwrites this.
	echo 1 > "$dir/status"
	: > "$dir/error"
	echo "vmtest: === $label"
	t0=$(date +%s)
	kern=$k filter=$FILTER extra=
	case $k in
	*/*) ;;
	*-lockdown)
		kern=${k%-lockdown} filter=$LOCKDOWN_FILTER
		extra=lockdown=confidentiality
		;;
	esac
	case $kern in
	native)
		if [ -n "$extra" ]; then
			echo "lockdown cannot be undone without a reboot: only in a VM" > "$dir/error"
		else
			run_native "$dir"
		fi
		;;
	*)
		if kdir=$("$here/kernel.sh" "$kern"); then
			case $kern in
			*/*) kimg=$(readlink -f "$kern") moddir=${VMTEST_MODULES_DIR:-} ;;
			*) kimg=$kdir/vmlinuz moddir=$kdir/modules ;;
			esac
			if [ "${VMTEST_VNG:-1}" != 0 ] && command -v vng > /dev/null &&
			   [ "$kern" != "${kern#*/}" ]; then
				run_vng "$dir" "$kimg"
			else
				run_qemu "$dir" "$kimg" "$moddir" "$filter" "$extra"
			fi
		else
			echo "could not get kernel $kern" > "$dir/error"
		fi
		;;
	esac
	secs=$(($(date +%s) - t0))
	status=$(cat "$dir/status" 2>/dev/null || echo 1)
	if [ "$status" != 0 ] && [ ! -s "$dir/error" ]; then
		if grep -q '^no' "$dir/loaded" 2>/dev/null; then
			echo "BPF programs did not load: $(cut -c5- "$dir/loaded")"
		else
			echo "suites failed (status $status)"
		fi > "$dir/error"
	fi
	# Splats: the guest's log since the run began, else whatever the
	# console caught (a panic never reaches dmesg.txt).
	log=$dir/dmesg.txt
	[ -s "$log" ] || log=$dir/console.log
	grep -E "$SPLATS" "$log" 2>/dev/null | grep -v "mxguard-vmtest:" > "$dir/splats.txt"
	if [ -s "$dir/splats.txt" ]; then
		status=1
		echo "kernel splat: $(head -n1 "$dir/splats.txt")" >> "$dir/error"
	fi
	write_tap "$dir" "$label" "$status"
	write_junit "$label" "$secs"
	read -r p f s < <(tap_counts "$dir")
	loaded=$(cut -d: -f1 "$dir/loaded" 2>/dev/null || echo "?")
	result=PASS
	[ "$status" = 0 ] || { result=FAIL; overall=1; }
	rows+=("$(printf '%-13s %-30s %-6s %6s %6s %7s %6ss  %s' "$label" \
		"$(cat "$dir/uname" 2>/dev/null || echo '?')" "$loaded" "$p" "$f" "$s" "$secs" "$result")")
	if [ "$result" = FAIL ]; then
		echo "vmtest: $label FAILED: $(head -n1 "$dir/error")"
		grep -h '^not ok' "$dir"/*.tap 2>/dev/null | sed "s/^/vmtest: $label: /"
		echo "vmtest: details in ${dir#"$repo"/}/ (console.log, *.log)"
	fi
done

{
	printf '%-13s %-30s %-6s %6s %6s %7s %7s  %s\n' kernel release loaded passed failed skipped time result
	printf '%s\n' "${rows[@]}"
} | tee "$OUT/summary.txt"
if [ -n "$FILTER" ]; then
	echo "(bpf_test cases: $FILTER)" | tee -a "$OUT/summary.txt"
fi
case " $* " in *-lockdown\ *)
	echo "(-lockdown: lockdown=confidentiality; bpf_test cases: $LOCKDOWN_FILTER)" |
		tee -a "$OUT/summary.txt" ;;
esac
exit $overall
