#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# README's two commands on a fresh Debian 12 minbase (make check-minbase):
# unpack the cached `debootstrap --variant=minbase bookworm`
# (vmtest/rootfs.sh minbase), clone this tree's HEAD into it, chroot, and run
#
#   ./.ci/deps.sh && make && .output/mxguardd --policy policies/ --foreground
#   ./.ci/deps.sh && make $MINBASE_CHECK        (check-host; MINBASE_CHECK=check
#                                                for README's full `make check`)
#
# The daemon of the first command must come up, attach and report ready (it
# runs in the foreground, so it is stopped with SIGTERM after that).  The
# chroot shares this host's kernel only: it gets its own mount namespace, a
# private bpffs, and a cgroup namespace rooted at a child cgroup of this
# one, with its own cgroup2 mount, so what it attaches at "the cgroup2
# root" is that child and nothing of the host's.  apt reaches Debian's
# archive, as .ci/deps.sh does in CI.
set -uo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
CHECK=${MINBASE_CHECK:-check-host}
OUT=$repo/.output/minbase
pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
bad() { echo "not ok - $1"; fail=$((fail + 1)); }

[ "$(id -u)" -eq 0 ] || { echo "minbase: needs root" >&2; exit 1; }
tarball=$(vmtest/rootfs.sh minbase) || { echo "minbase: no rootfs" >&2; exit 1; }

# The cgroup2 mount, from mountinfo (field 5 is the mount point).
cg2=$(awk '$(NF-2) == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
[ -n "$cg2" ] || { echo "minbase: no cgroup2 mount" >&2; exit 1; }

root=$(mktemp -d /var/tmp/mxguard-minbase.XXXXXX)
cg=$cg2/mxguard-minbase.$$
cleanup() {
	# Processes the chroot left behind die with its namespaces' last user.
	if [ -d "$cg" ]; then
		[ -e "$cg/cgroup.kill" ] && echo 1 > "$cg/cgroup.kill" 2>/dev/null
		for p in $(cat "$cg/cgroup.procs" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
		sleep 0.5
		find "$cg" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null
		rmdir "$cg" 2>/dev/null
	fi
	rm -rf --one-file-system "$root"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rm -rf "$OUT"
mkdir -p "$OUT"
t0=$(date +%s)
zstd -qdc "$tarball" | tar -C "$root" -xf -
cp /etc/resolv.conf "$root/etc/resolv.conf"
git clone -q --no-checkout "$repo" "$root/root/mxguard" &&
	git -C "$root/root/mxguard" checkout -q "$(git rev-parse HEAD)" ||
	{ echo "minbase: clone failed" >&2; exit 1; }
echo "# minbase: HEAD $(git rev-parse --short HEAD) in $root"

# What runs in the chroot: the two commands, each timed, with a bound on
# the daemon's run.  Its start-up line names the rules and the mode.
cat > "$root/root/run.sh" <<-'RUN'
	#!/bin/bash
	cd /root/mxguard || exit 1
	export DEBIAN_FRONTEND=noninteractive
	s=$(date +%s)
	./.ci/deps.sh && make && { timeout -s TERM 30 .output/mxguardd \
		--policy policies/ --foreground > /tmp/daemon.log 2>&1; echo $? > /tmp/daemon.rc; }
	echo "cmd1 $? $(($(date +%s) - s))" >> /tmp/times
	.output/mxguardd --unload > /dev/null 2>&1
	s=$(date +%s)
	./.ci/deps.sh && make "$1"
	echo "cmd2 $? $(($(date +%s) - s))" >> /tmp/times
RUN
chmod +x "$root/root/run.sh"

mkdir "$cg"
(
	echo $BASHPID > "$cg/cgroup.procs"
	exec unshare -m -C --propagation private bash -c '
		set -e
		root=$1 cg2=$2 check=$3
		# The root a mount point, as on a real system (the suites
		# make "/" private in namespaces of their own).
		mount --bind "$root" "$root"
		mount -t proc proc "$root/proc"
		mount --rbind /sys "$root/sys"
		# The cgroup2 mount of this cgroup namespace (its root is the
		# child cgroup) over the host'"'"'s, and a bpffs of its own.
		umount -l "$root$cg2"
		mount -t cgroup2 mxguard-minbase "$root$cg2"
		[ "$(cat /proc/self/cgroup | grep "^0::")" = "0::/" ]
		umount -l "$root/sys/fs/bpf" 2>/dev/null || true
		mount -t bpf mxguard-minbase "$root/sys/fs/bpf"
		set +e
		# A /dev of its own: what the suites do to device nodes stays in
		# the chroot (a devtmpfs would be the host'"'"'s own).
		mount -t tmpfs -o mode=0755,nosuid devfs "$root/dev"
		for n in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
			IFS=: read -r name maj min <<< "$n"
			mknod -m 0666 "$root/dev/$name" c "$maj" "$min"
		done
		mkdir -p "$root/dev/pts" "$root/dev/shm"
		mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts"
		ln -s pts/ptmx "$root/dev/ptmx"
		mount -t tmpfs -o mode=1777 shm "$root/dev/shm"
		ln -s /proc/self/fd "$root/dev/fd"
		ln -s /proc/self/fd/0 "$root/dev/stdin"
		ln -s /proc/self/fd/1 "$root/dev/stdout"
		ln -s /proc/self/fd/2 "$root/dev/stderr"
		mount -t tmpfs tmpfs "$root/run"
		mount -t tmpfs tmpfs "$root/tmp"
		chroot "$root" /root/run.sh "$check" > "$root/root/run.log" 2>&1
		cp "$root"/tmp/times "$root"/tmp/daemon.* "$root/root/" 2>/dev/null
		true
	' minbase "$root" "$cg2" "$CHECK"
)
cp "$root"/root/run.log "$root"/root/times "$root"/root/daemon.* "$OUT/" 2>/dev/null
t1=$(date +%s)

read -r _ rc1 s1 < <(grep '^cmd1' "$OUT/times" 2>/dev/null || echo "cmd1 1 0")
read -r _ rc2 s2 < <(grep '^cmd2' "$OUT/times" 2>/dev/null || echo "cmd2 1 0")
if [ "$rc1" = 0 ] && [ "$(cat "$OUT/daemon.rc" 2>/dev/null)" = 124 ] &&
   grep -q 'rules, mode block' "$OUT/daemon.log"; then
	ok "deps.sh && make && mxguardd --policy policies/ --foreground: up, attached, ready ($s1 s)"
else
	bad "deps.sh && make && mxguardd --policy policies/ --foreground (rc $rc1, daemon $(cat "$OUT/daemon.rc" 2>/dev/null))"
	tail -n 20 "$OUT/daemon.log" "$OUT/run.log" 2>/dev/null | sed 's/^/#   /'
fi
if [ "$rc2" = 0 ]; then
	ok "deps.sh && make $CHECK ($s2 s)"
else
	bad "deps.sh && make $CHECK (rc $rc2)"
	grep -E '^not ok|FAIL|Error' "$OUT/run.log" | head -n 30 | sed 's/^/#   /'
fi
echo "# minbase: $((t1 - t0)) s in all; log in ${OUT#"$repo"/}/run.log"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
