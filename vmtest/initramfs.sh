#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Build the guest's initramfs, shared by every kernel:
#
#  - static busybox (init, mount, tar...), plus bash, iproute2 and nft: the
#    suites' scripts and system(3) calls use them (busybox's sh would run its
#    own, smaller `ip` applet, so /bin/sh is bash here);
#  - the files of the Debian packages in VMTEST_GUEST_PACKAGES and their
#    dependencies, as installed on this host (python3 and python3-jsonschema:
#    the suites validate JSON with them);
#  - the work tree's sources and its built binaries, at the same absolute
#    paths, with every shared library they load.
#
# Debian's cloud kernels build neither 9p nor virtiofs in, and bookworm has
# no virtiofsd, so the guest gets copies rather than a share of the host.
# Kernel modules come in a second, per-kernel archive (modules.sh).
#
#   initramfs.sh OUT.cpio
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: initramfs.sh OUT.cpio" >&2; exit 2; }
out=$(readlink -f "$1")
repo=$(cd "$(dirname "$0")/.." && pwd)
GUEST_PACKAGES=${VMTEST_GUEST_PACKAGES:-python3 python3-jsonschema}
stage=$(mktemp -d "${TMPDIR:-/tmp}/mxguard-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT

die() { echo "initramfs: $*" >&2; exit 1; }

# Copy @1 to the same path under the stage (symlinks kept as they are).
put() {
	[ -e "$stage$1" ] || [ -L "$stage$1" ] && return 0
	mkdir -p "$stage$(dirname "$1")"
	cp -a "$1" "$stage$1"
}

# A binary, what its symlinks point at, and every library it loads.
put_elf() {
	local lib real
	real=$(readlink -f "$1")
	put "$1"
	[ "$real" = "$1" ] || put "$real"
	for lib in $(ldd "$real" 2>/dev/null |
		     awk '/=> \// { print $3 } /^\t\/[^ ]*ld-linux/ { print $1 }'); do
		put "$lib"
		put "$(readlink -f "$lib")"
	done
}

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"
}

# Installed packages and, recursively, their installed dependencies.
closure() {
	local todo=("$@") seen=" " p
	while [ ${#todo[@]} -gt 0 ]; do
		p=${todo[0]%%:*}
		todo=("${todo[@]:1}")
		case $seen in *" $p "*) continue ;; esac
		installed "$p" || continue
		seen="$seen$p "
		todo+=($(dpkg-query -W -f='${Depends},${Pre-Depends}\n' "$p" |
			 tr ',|' '\n\n' | sed -e 's/(.*)//' -e 's/:any//' |
			 tr -d ' ' | grep -v '^$' || true))
	done
	echo "$seen"
}

bin() { command -v "$1" || die "$1 not found (make deps)"; }

busybox=$(bin busybox)
case $(ldd "$busybox" 2>&1) in *"not a dynamic"*) ;; *)
	die "$busybox is not static (install busybox-static)" ;;
esac

# The host's merged-/usr layout, so package paths and symlinks resolve alike.
for d in bin sbin lib lib64; do
	if [ -L "/$d" ]; then
		mkdir -p "$stage/usr/$d"
		ln -s "usr/$d" "$stage/$d"
	else
		mkdir -p "$stage/$d"
	fi
done
mkdir -p "$stage"/{dev,proc,sys,tmp,run,etc,root,results}

# The word list the lookalike rules read (user/lib/words.h), resolved: the
# host's /usr/share/dict/words is an alternative's link, in no package.
if [ -e /usr/share/dict/words ]; then
	mkdir -p "$stage/usr/share/dict"
	cp -L /usr/share/dict/words "$stage/usr/share/dict/words"
else
	echo "initramfs: no /usr/share/dict/words; the guest goes without" >&2
fi

for p in $GUEST_PACKAGES; do
	installed "$p" || echo "initramfs: $p is not installed; the guest goes without" >&2
done
for p in $(closure $GUEST_PACKAGES); do
	dpkg -L "$p" | while IFS= read -r f; do
		case $f in
		/usr/share/doc/* | /usr/share/man/* | /usr/share/locale/* | \
		/usr/share/lintian/* | /usr/lib/python3*/test/* | \
		/usr/lib/*/gconv/*) continue ;;
		esac
		[ -f "$f" ] || [ -L "$f" ] || continue
		put "$f"
	done
done

for tool in bash ip nft; do
	put_elf "$(bin "$tool")"
done

# The work tree: sources, then the built binaries (and their libraries).
(cd "$repo" && find . -path ./.git -prune -o -path ./.output -prune -o \
	-type f -print) | while IFS= read -r f; do
	put "$repo/${f#./}"
done
put "$repo/.output/mxguard.bpf.o"
for f in "$repo"/.output/* "$repo"/.output/tests/* "$repo"/.output/vmtest/*; do
	[ -f "$f" ] && [ -x "$f" ] || continue
	case ${f##*/} in bench | fuzz_*) continue ;; esac
	put_elf "$f"
done
for f in mxguardd tests/bpf_test tests/bpf_packets vmtest/verifier_stats; do
	[ -x "$repo/.output/$f" ] || die ".output/$f missing: run 'make vmtest'"
done

# busybox fills in what no package brought; /bin/sh is bash (see above).
cp "$busybox" "$stage/bin/busybox"
for applet in $("$busybox" --list); do
	[ -e "$stage/bin/$applet" ] || [ -L "$stage/bin/$applet" ] ||
		ln -s busybox "$stage/bin/$applet"
done
ln -sf bash "$stage/bin/sh"
# Users and groups as on the host (the suites drop to nobody/nogroup).
cp /etc/passwd /etc/group "$stage/etc/"
cp "$repo/vmtest/init" "$stage/init"
chmod 0755 "$stage/init"

# mktemp made the stage 0700: "/" must let the suites' unprivileged users in.
chmod 0755 "$stage"
chmod 1777 "$stage/tmp"
(cd "$stage" && find . -print0 | cpio --null -o -H newc --quiet) > "$out.tmp"
mv "$out.tmp" "$out"
