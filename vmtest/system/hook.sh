#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Boot hook of the booted-system image (vmtest/rootfs.sh system): mount the
# test disk (label MXGTEST, read only), run its guest.sh with a bound, send
# the result directory to the host as a tar stream on the second serial
# port (ttyS1), power off.  Whatever happens, the guest powers off; the
# host's timeout covers a hang.
set -u
res=/run/mxgtest/results
mkdir -p /mnt/mxgtest "$res"
echo 1 > "$res/status"
if mount -o ro LABEL=MXGTEST /mnt/mxgtest; then
	limit=$(cat /mnt/mxgtest/timeout 2>/dev/null || echo 600)
	timeout -k 10 "$limit" /mnt/mxgtest/guest.sh /mnt/mxgtest "$res" \
		> "$res/guest.log" 2>&1
	echo $? > "$res/status"
else
	echo "no test disk" > "$res/guest.log"
fi
journalctl -b --no-pager -o short-precise > "$res/journal.txt" 2>&1
dmesg > "$res/dmesg.txt" 2>&1
stty -F /dev/ttyS1 raw -echo 2>/dev/null
tar -C "$res" -cf - . | cat > /dev/ttyS1
sync
systemctl --no-block poweroff
