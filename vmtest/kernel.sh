#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Resolve a kernel for vmtest and print the directory that holds it:
#
#   kernel.sh 5.10|6.1|6.12     Debian cloud kernel from bullseye, bookworm or
#                               trixie, fetched once with `apt-get download`
#   kernel.sh /path/to/bzImage  a kernel CI build (modules may be built in)
#
# The directory holds `vmlinuz`, and for a Debian kernel `release`,
# `modules/` (its /lib/modules/<release>) and `root/boot/` (config-*).  Debian's archive
# is read through a private apt configuration under the cache: the host's own
# sources, lists and cache are never touched.
set -euo pipefail

CACHE=${VMTEST_CACHE:-/var/cache/mxguard-vmtest}
MIRROR=${VMTEST_MIRROR:-}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

die() { echo "vmtest: $*" >&2; exit 1; }

suite_of() {
	case "$1" in
	5.10) echo bullseye ;;
	6.1) echo bookworm ;;
	6.12) echo trixie ;;
	*) return 1 ;;
	esac
}

# The mirror this host already uses (deb822 or one-line sources), else Debian's.
host_mirror() {
	local uri
	uri=$(grep -hoE '(URIs:[[:space:]]*|^deb[[:space:]]+)(\[[^]]*\][[:space:]]+)?https?://[^[:space:]]+/debian/?([[:space:]]|$)' \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.sources \
		/etc/apt/sources.list.d/*.list 2>/dev/null |
		grep -oE 'https?://[^[:space:]]+' | head -n1 || true)
	echo "${uri:-http://deb.debian.org/debian}"
}

# Private apt: its own sources, lists, cache and status; nothing of the host's.
apt_private() {
	local dir=$1; shift
	apt-get -q \
		-o Dir::Etc::sourcelist="$dir/sources.list" \
		-o Dir::Etc::sourceparts="$dir/empty" \
		-o Dir::Etc::preferences=/dev/null \
		-o Dir::Etc::preferencesparts="$dir/empty" \
		-o Dir::State::Lists="$dir/lists" \
		-o Dir::State::status=/dev/null \
		-o Dir::Cache="$dir/cache" \
		-o APT::Architectures::=amd64 \
		-o APT::Sandbox::User=root \
		-o Acquire::Languages=none \
		-o Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled=false \
		-o Debug::NoLocking=true \
		"$@"
}

apt_cache_private() {
	local dir=$1; shift
	apt-cache \
		-o Dir::Etc::sourcelist="$dir/sources.list" \
		-o Dir::Etc::sourceparts="$dir/empty" \
		-o Dir::State::Lists="$dir/lists" \
		-o Dir::State::status=/dev/null \
		-o Dir::Cache="$dir/cache" \
		-o APT::Architectures::=amd64 \
		"$@"
}

fetch_debian() {
	local name=$1 suite dir mirror sec pkg pkgs p re deb rel
	suite=$(suite_of "$name") || die "unknown kernel '$name' (5.10, 6.1, 6.12, native or a bzImage path)"
	dir=$CACHE/$name
	mkdir -p "$CACHE"
	# One fetch at a time per kernel; a second run waits, then reuses it.
	exec 9> "$CACHE/.lock-$name"
	flock 9
	if [ -s "$dir/vmlinuz" ] && [ -d "$dir/root" ] && [ -d "$dir/modules" ]; then
		echo "$dir"
		return
	fi
	mirror=${MIRROR:-$(host_mirror)}
	sec=${mirror%/debian}/debian-security
	mkdir -p "$dir/apt/lists/partial" "$dir/apt/cache/archives/partial" \
		"$dir/apt/empty"
	# bullseye's kernel updates (LTS) and the others' point fixes come
	# from -security; the newest version of the package wins.
	cat > "$dir/apt/sources.list" <<-SRC
	deb [signed-by=$KEYRING] $mirror $suite main
	deb [signed-by=$KEYRING] $mirror $suite-updates main
	deb [signed-by=$KEYRING] $sec $suite-security main
	SRC
	echo "vmtest: fetching the $suite cloud kernel from $mirror" >&2
	apt_private "$dir/apt" update >&2 || die "apt-get update for $suite failed"
	# Newest first; a mirror may list a version whose file it lacks yet.
	re="^linux-image-${name//./\\.}[.+-][^ ]*-cloud-amd64-unsigned\$"
	pkgs=$(apt_cache_private "$dir/apt" pkgnames linux-image- |
		grep -E "$re" | sort -rV | head -n 6)
	[ -n "$pkgs" ] || die "no linux-image-$name*-cloud-amd64-unsigned in $suite"
	pkg=
	for p in $pkgs; do
		echo "vmtest: $suite: $p" >&2
		if (cd "$dir" && apt_private "$dir/apt" download "$p" >&2); then
			pkg=$p
			break
		fi
	done
	[ -n "$pkg" ] || die "could not download any of: $pkgs"
	deb=$(ls "$dir"/"$pkg"_*.deb | head -n1)
	rm -rf "$dir/root.tmp"
	dpkg-deb -x "$deb" "$dir/root.tmp"
	rel=$(ls "$dir/root.tmp/boot" | sed -n 's/^vmlinuz-//p' | head -n1)
	[ -n "$rel" ] || die "$deb has no /boot/vmlinuz-*"
	cp "$dir/root.tmp/boot/vmlinuz-$rel" "$dir/vmlinuz"
	# Modules: /lib/modules up to bookworm, /usr/lib/modules in trixie.
	rm -rf "$dir/modules"
	mv "$(ls -d "$dir"/root.tmp/{usr/,}lib/modules/"$rel" 2>/dev/null | head -n1)" \
		"$dir/modules" || die "$deb has no modules for $rel"
	rm -rf "$dir/root.tmp/lib" "$dir/root.tmp/usr"
	echo "$rel" > "$dir/release"
	rm -rf "$dir/root" "$dir/apt" "$deb"
	mv "$dir/root.tmp" "$dir/root"
	echo "$dir"
}

[ $# -eq 1 ] || die "usage: kernel.sh 5.10|6.1|6.12|/path/to/bzImage"
case "$1" in
*/*)
	[ -r "$1" ] || die "no kernel image at $1"
	readlink -f "$(dirname "$1")"
	;;
*)
	fetch_debian "$1"
	;;
esac
