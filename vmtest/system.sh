#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The booted-system test (make vmtest-system): boot Debian 12 with systemd
# as PID 1 under QEMU (TCG), from the cached debootstrapped disk image
# (vmtest/rootfs.sh system), install the built .deb and run
# vmtest/system/guest.sh in it.  The image is opened as a snapshot, so every
# run starts from the same fresh system; the package and the test come in on
# a second, read-only disk; results come back as a tar stream on the second
# serial port.  The guest has no network (-nic none).
#
#   vmtest/system.sh DEB
#
# Results in .output/vmtest/system/ (console.log, guest.log, system.tap,
# journal.txt, ...).  Environment: VMTEST_ACCEL=tcg|kvm (tcg), VMTEST_SMP
# (2), VMTEST_MEM (2G), VMTEST_SYSTEM_TIMEOUT seconds (900).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
OUT=${VMTEST_OUT:-$repo/.output/vmtest}/system
ACCEL=${VMTEST_ACCEL:-tcg}
SMP=${VMTEST_SMP:-2}
MEM=${VMTEST_MEM:-2G}
TIMEOUT=${VMTEST_SYSTEM_TIMEOUT:-900}

die() { echo "vmtest-system: $*" >&2; exit 1; }
[ $# -eq 1 ] || die "usage: vmtest/system.sh DEB"
deb=$(readlink -f "$1")
[ -r "$deb" ] || die "no package at $1 (make deb)"
[ "$(id -u)" -eq 0 ] || die "needs root"

work=$(mktemp -d "${TMPDIR:-/tmp}/mxguard-system.XXXXXX")
qpid=
cleanup() {
	[ -n "$qpid" ] && kill -TERM "$qpid" 2>/dev/null
	[ -s "$work/qemu.pid" ] && kill -KILL "$(cat "$work/qemu.pid")" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

t0=$(date +%s)
img=$("$here/rootfs.sh" system) || die "could not build the system image"
t1=$(date +%s)
echo "vmtest-system: image $img ($((t1 - t0)) s)"

rm -rf "$OUT"
mkdir -p "$OUT" "$work/disk"
echo 1 > "$OUT/status"
# The guest's copy of the package keeps its Debian name: apt installs it
# as a file, by path.
cp "$deb" "$work/disk/$(dpkg-deb -f "$deb" Package)_$(dpkg-deb -f "$deb" Version)_$(dpkg-deb -f "$deb" Architecture).deb"
cp "$here"/system/guest.sh "$here"/system/sink.py "$here"/system/probe.py "$work/disk/"
# The boot takes up to 3 minutes under TCG on a busy host.
echo $((TIMEOUT - 300)) > "$work/disk/timeout"
mkfs.ext4 -q -L MXGTEST -d "$work/disk" "$work/test.img" 64M || die "mkfs.ext4 failed"

if [ "$ACCEL" = kvm ]; then
	accel=kvm cpu=host
else
	accel=tcg,thread=multi cpu=max
fi
echo "vmtest-system: booting Debian 12 ($ACCEL, $SMP CPUs, $MEM)"
timeout -k 10 "$TIMEOUT" qemu-system-x86_64 -pidfile "$work/qemu.pid" \
	-accel "$accel" -cpu "$cpu" -smp "$SMP" -m "$MEM" \
	-nodefaults -no-user-config -display none -nic none -no-reboot \
	-kernel "$img/vmlinuz" -initrd "$img/initrd.img" \
	-append "root=/dev/vda rw console=ttyS0 panic=-1 systemd.show_status=1 net.ifnames=0" \
	-drive "file=$img/root.img,if=virtio,format=raw,snapshot=on" \
	-drive "file=$work/test.img,if=virtio,format=raw,readonly=on" \
	-serial "file:$OUT/console.log" -serial "file:$work/results.tar" \
	> "$OUT/qemu.log" 2>&1 &
qpid=$!
wait "$qpid"
st=$?
qpid=
t2=$(date +%s)
[ $st -eq 124 ] && echo "vmtest-system: timeout after ${TIMEOUT}s" | tee -a "$OUT/error"
if [ -s "$work/results.tar" ]; then
	tar -xf "$work/results.tar" -C "$OUT" 2>> "$OUT/error" ||
		echo "results from the VM are truncated" >> "$OUT/error"
fi
cat "$OUT/system.tap" 2>/dev/null
status=$(cat "$OUT/status" 2>/dev/null || echo 1)
echo "vmtest-system: boot and test $((t2 - t1)) s, status $status (details in ${OUT#"$repo"/}/)"
[ "$status" = 0 ]
