#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Debian 12 root filesystems for the booted-system and fresh-install tests,
# built with debootstrap once and cached:
#
#   rootfs.sh minbase   a tarball of `debootstrap --variant=minbase bookworm`
#   rootfs.sh system    an ext4 disk image: minbase plus SYSTEM_PACKAGES
#                       (systemd as PID 1, Debian's kernel, Postfix, unbound,
#                       nsd, the package's run-time libraries) and the boot
#                       hook that runs a test from a second disk
#
# Prints the path of the cached file.  The cache key is a hash of what goes
# in (the suite, the package list, this script), so changing any of them
# builds a new one; the old ones stay until removed by hand.  Debian's
# archive is reached from the host only, at build time; the guest never has
# a network.
set -euo pipefail

CACHE=${VMTEST_CACHE:-/var/cache/mxguard-vmtest}/rootfs
SUITE=bookworm
here=$(cd "$(dirname "$0")" && pwd)
MIRROR=${VMTEST_MIRROR:-http://deb.debian.org/debian}

# What the booted system needs, besides minbase.  The libraries are the
# package's Depends (debian/control, ${shlibs:Depends}): the guest has no
# network, so `apt install ./mxguard.deb` must find them installed.
SYSTEM_PACKAGES="systemd systemd-sysv udev dbus kmod linux-image-cloud-amd64
	initramfs-tools e2fsprogs postfix unbound nsd bpftool logrotate python3
	iproute2 procps libbpf1 libelf1 zlib1g libnl-3-200 libnl-idiag-3-200
	libpsl5 libidn2-0 libicu72 libcap2 libsystemd0 libmilter1.0.1 publicsuffix
	wamerican"

die() { echo "rootfs: $*" >&2; exit 1; }

# Scratch directories, and a chroot's mounts, go on any exit.
scratch=
cleanup() {
	[ -n "$scratch" ] || return 0
	umount -R "$scratch/root/dev" "$scratch/root/sys" "$scratch/root/proc" 2>/dev/null
	rm -rf "$scratch"
}
trap cleanup EXIT

# The key of an image: a hash of its suite and of what went into it.
key() {
	{ echo "$SUITE"; printf '%s\n' "$@"; } | sha256sum | cut -c1-16
}

build_minbase() {
	local out=$1 tmp
	tmp=$(mktemp -d "$CACHE/.minbase.XXXXXX")
	scratch=$tmp
	echo "rootfs: debootstrap --variant=minbase $SUITE" >&2
	debootstrap --variant=minbase "$SUITE" "$tmp/root" "$MIRROR" \
		> "$tmp/debootstrap.log" 2>&1 ||
		{ tail -n 20 "$tmp/debootstrap.log" >&2; die "debootstrap failed"; }
	rm -rf "$tmp/root/var/cache/apt/archives/"*.deb
	tar -C "$tmp/root" --numeric-owner -cf - . | zstd -q -T0 -o "$tmp/out.tar.zst"
	mv "$tmp/out.tar.zst" "$out"
	rm -rf "$tmp"
	scratch=
}

minbase() {
	local out
	out=$CACHE/minbase-$(key "debootstrap --variant=minbase").tar.zst
	mkdir -p "$CACHE"
	exec 8> "$CACHE/.lock-minbase"
	flock 8
	[ -s "$out" ] || build_minbase "$out"
	exec 8>&-
	echo "$out"
}

# Run a command in a chroot with /proc, /sys and /dev, unmounted after.
in_chroot() {
	local root=$1 st=0
	shift
	mount -t proc proc "$root/proc"
	mount --rbind /sys "$root/sys" && mount --make-rslave "$root/sys"
	mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev"
	chroot "$root" "$@" || st=$?
	umount -R "$root/dev" "$root/sys" "$root/proc" 2>/dev/null || true
	return $st
}

build_system() {
	local out=$1 base tmp root
	base=$(minbase)
	tmp=$(mktemp -d "$CACHE/.system.XXXXXX")
	root=$tmp/root
	scratch=$tmp
	mkdir -p "$root"
	zstd -qdc "$base" | tar -C "$root" -xf -
	echo "deb $MIRROR $SUITE main" > "$root/etc/apt/sources.list"
	echo "deb $MIRROR $SUITE-updates main" >> "$root/etc/apt/sources.list"
	echo "deb ${MIRROR%/debian}/debian-security $SUITE-security main" >> "$root/etc/apt/sources.list"
	cp /etc/resolv.conf "$root/etc/resolv.conf"
	# Nothing starts inside the chroot.
	printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
	chmod 755 "$root/usr/sbin/policy-rc.d"
	cat > "$root/tmp/debconf" <<-CONF
	postfix postfix/main_mailer_type select Internet Site
	postfix postfix/mailname string mailhost.test
	CONF
	echo "rootfs: installing the system packages" >&2
	# shellcheck disable=SC2086
	in_chroot "$root" sh -c "debconf-set-selections /tmp/debconf &&
		apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends $(echo $SYSTEM_PACKAGES) &&
		apt-get clean" > "$tmp/apt.log" 2>&1 ||
		{ tail -n 30 "$tmp/apt.log" >&2; die "installing the packages failed"; }
	rm -f "$root/usr/sbin/policy-rc.d" "$root/tmp/debconf"
	rm -rf "$root/var/lib/apt/lists/"*
	# No network inside: apt reads only what is on disk.
	: > "$root/etc/apt/sources.list"
	echo "nameserver 127.0.0.1" > "$root/etc/resolv.conf"
	echo "mxguard-guest" > "$root/etc/hostname"
	printf '127.0.0.1 localhost\n127.0.1.1 mxguard-guest mailhost.test\n' > "$root/etc/hosts"
	echo "/dev/vda / ext4 rw,errors=remount-ro 0 1" > "$root/etc/fstab"
	chroot "$root" passwd -d root > /dev/null
	# The test configures and starts its own DNS; Postfix stays as Debian
	# installs it (enabled).
	chroot "$root" systemctl disable -q nsd.service unbound.service
	# The boot hook: run /run.sh from the disk labelled MXGTEST, its output
	# on the second serial port, then power off.
	install -m 0755 "$here/system/hook.sh" "$root/usr/local/sbin/mxguard-systest"
	install -m 0644 "$here/system/mxguard-systest.service" \
		"$root/etc/systemd/system/mxguard-systest.service"
	ln -sf /etc/systemd/system/mxguard-systest.service \
		"$root/etc/systemd/system/multi-user.target.wants/mxguard-systest.service"
	# Boot files for QEMU's -kernel/-initrd (no boot loader).
	cp "$root"/boot/vmlinuz-* "$tmp/vmlinuz"
	cp "$root"/boot/initrd.img-* "$tmp/initrd.img"
	mkfs.ext4 -q -L mxguard-root -d "$root" "$tmp/root.img" 3G ||
		die "mkfs.ext4 -d failed"
	mkdir -p "$out.tmp"
	mv "$tmp/root.img" "$tmp/vmlinuz" "$tmp/initrd.img" "$out.tmp/"
	rm -rf "$out"
	mv "$out.tmp" "$out"
	rm -rf "$tmp"
	scratch=
}

system() {
	local out
	out=$CACHE/system-$(key "$SYSTEM_PACKAGES" "$(declare -f build_system)" \
		"$(cat "$here"/system/hook.sh "$here"/system/mxguard-systest.service)")
	mkdir -p "$CACHE"
	exec 8> "$CACHE/.lock-system"
	flock 8
	[ -s "$out/root.img" ] || build_system "$out"
	exec 8>&-
	echo "$out"
}

[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot)"
command -v debootstrap > /dev/null || die "debootstrap missing (make deps)"
case ${1:-} in
minbase) minbase ;;
system) system ;;
*) die "usage: rootfs.sh minbase|system" ;;
esac
