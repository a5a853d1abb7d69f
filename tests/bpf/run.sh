#!/bin/bash
# Run the BPF suite on the real kernel.  Needs root, cgroup v2 and bpffs;
# mounts bpffs if it is missing.  The suite cleans up each test itself; the
# trap removes anything a crash of the whole runner would leave behind.
set -uo pipefail
[ $# -ge 1 ] || { echo "usage: run.sh TEST-BINARY [ARGS...]" >&2; exit 2; }

if [ "$(id -u)" -ne 0 ]; then
	echo "run.sh: the BPF tests need root (they load BPF programs)" >&2
	exit 1
fi
# Mount bpffs only if missing: a second mount would hide existing pins.
if [ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" != bpf_fs ]; then
	mount -t bpf bpf /sys/fs/bpf
fi
cgroot=$(awk '$0 ~ / - cgroup2 / { print $5; exit }' /proc/self/mountinfo)
if [ -z "$cgroot" ]; then
	echo "run.sh: no cgroup2 mount found in /proc/self/mountinfo" >&2
	exit 1
fi

cleanup() {
	local d
	for d in "$cgroot"/mxguard-test-$$*/ /sys/fs/bpf/mxguard-test-$$*; do
		[ -e "$d" ] || continue
		case "$d" in
		/sys/fs/bpf/*) rm -rf "$d" ;;
		*) find "$d" -depth -type d -exec rmdir {} + 2>/dev/null ;;
		esac
	done
	rm -f /tmp/mxguard-test-$$-*.policy /tmp/mxguard-test-$$-*.sock \
		/tmp/mxguard-test-$$-*.learned /tmp/mxguard-test-$$-*.learned.tmp \
		/tmp/mxguard-test-$$-*.corr /tmp/mxguard-test-$$-*.corr.tmp
}
trap cleanup EXIT

# The runner names its cgroups, pins and files after MXG_TEST_ID.
MXG_TEST_ID=$$ "$@"
