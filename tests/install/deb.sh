#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Build the Debian package the way a Debian builder does, from a clean copy
# of the tree (tracked and new files, nothing of .output/), then check it:
# lintian reports no error, the hardening flags reached every compile and
# link (blhc, hardening-check), it installs what `make install PREFIX=/usr`
# installs, its configuration files are conffiles, and its maintainer
# scripts unload enforcement on removal and restart (never stop) on upgrade.
#
#   tests/install/deb.sh [-b]     -b: build only (make deb)
#
# The package lands in .output/deb/ (mxguard_<version>_amd64.deb, and a
# stable name, mxguard.deb, for the booted-system test).
set -uo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
out=$repo/.output/deb
build_only=
[ "${1:-}" = -b ] && build_only=1
pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
bad() { echo "not ok - $1"; fail=$((fail + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }

rm -rf "$out"
mkdir -p "$out/src/mxguard"
# A clean checkout's files: what git tracks, and new files not ignored.
git ls-files -z -c -o --exclude-standard |
	(cd "$repo" && xargs -0 cp --parents -a -t "$out/src/mxguard" 2>/dev/null)
t0=$(date +%s)
if (cd "$out/src/mxguard" && dpkg-buildpackage -us -uc -b) \
	> "$out/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b ($(($(date +%s) - t0)) s)"
else
	bad "dpkg-buildpackage -us -uc -b (see ${out#"$repo"/}/build.log)"
	tail -n 20 "$out/build.log"
	echo "$pass passed, $fail failed"
	exit 1
fi
mv "$out"/src/*.deb "$out"/src/*.changes "$out"/src/*.buildinfo "$out/"
deb=$(ls "$out"/mxguard_*_amd64.deb)
ln -sf "$(basename "$deb")" "$out/mxguard.deb"
if [ -n "$build_only" ]; then
	echo "deb: $deb"
	exit 0
fi

lintian --pedantic -I "$out"/mxguard_*_amd64.changes 2>&1 |
	grep -v 'running with root privileges' > "$out/lintian.txt"
echo "# lintian: $(grep -c '^E:' "$out/lintian.txt") errors," \
	"$(grep -c '^W:' "$out/lintian.txt") warnings," \
	"$(grep -c '^[IPX]:' "$out/lintian.txt") other tags"
sed 's/^/#   /' "$out/lintian.txt"
check "lintian: no errors" "! grep -q '^E:' '$out/lintian.txt'"
check "lintian: no warnings" "! grep -q '^W:' '$out/lintian.txt'"
blhc "$out/build.log" > "$out/blhc.txt" 2>&1
check "blhc: every compile and link has the hardening flags" \
	"[ ! -s '$out/blhc.txt' ]"

root=$out/root
dpkg-deb -x "$deb" "$root"
# Debian 12's dpkg-buildflags sets neither -fstack-clash-protection nor
# -fcf-protection (dpkg 1.22 does): CET is not asked for, and stack clash
# reports "unknown", which hardening-check does not count as a failure.
for b in usr/sbin/mxguardd usr/sbin/mxguardctl; do
	check "hardening-check $b" \
		"hardening-check --nocfprotection '$root/$b' > '$out/hardening.txt' 2>&1"
done

# The package installs what make install does (Debian compresses the man
# pages and adds /usr/share/doc).
make -s -C "$repo" install DESTDIR="$out/make" PREFIX=/usr > /dev/null 2>&1 ||
	bad "make install PREFIX=/usr"
(cd "$out/make" && find . ! -type d | sed 's|^\.||' | sort) > "$out/make.files"
dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { print $6 }' | sed -e 's|^\.||' \
	-e 's|\(/usr/share/man/.*\)\.gz$|\1|' | grep -v '^/usr/share/doc/' |
	sort > "$out/deb.files"
check "the package installs what make install PREFIX=/usr does" \
	"diff -u '$out/make.files' '$out/deb.files'"

dpkg-deb -e "$deb" "$out/control"
check "mxguard.conf and vendor.policy are conffiles" \
	"grep -qx /etc/mxguard/mxguard.conf '$out/control/conffiles' &&
	 grep -qx /etc/mxguard/policies.d/vendor.policy '$out/control/conffiles'"
check "installed in alert mode" \
	"grep -qx 'mode = alert' '$root/etc/mxguard/mxguard.conf'"
check "prerm: stops the unit only on remove, then mxguardd --unload" \
	"awk '/deb-systemd-invoke stop/ { s = NR } /mxguardd --unload/ { u = NR }
	     END { exit !(s && u && s < u) }' '$out/control/prerm' &&
	 grep -q '\"\$1\" = remove' '$out/control/prerm'"
check "postinst: restarts on upgrade (no stop in prerm, pins adopted)" \
	"grep -q '_dh_action=restart' '$out/control/postinst'"
check "postinst: creates the control group (sysusers)" \
	"grep -q 'systemd-sysusers' '$out/control/postinst'"
check "postrm purge: removes state and logs" \
	"grep -q 'rm -rf /var/lib/mxguard' '$out/control/postrm'"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
