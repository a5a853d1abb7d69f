#!/bin/bash
# make install / make uninstall into a throwaway DESTDIR: every file lands
# where the unit and the man pages say, DESTDIR and PREFIX are honoured, the
# shipped configuration and policy pass `mxguardd -n`, the unit passes
# systemd-analyze, a local edit survives a reinstall, and uninstall removes
# what install put there but leaves the administrator's files.  The layout
# is the Debian package's (tests/install/deb.sh compares the two).
set -uo pipefail
cd "$(dirname "$0")/../.."
dest=$(mktemp -d /tmp/mxguard-install.XXXXXX)
trap 'rm -rf "$dest"' EXIT
pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
bad() { echo "not ok - $1"; fail=$((fail + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }

# Where systemd reads units, as the Makefile asks pkg-config.
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null)
unitdir=${unitdir:-/lib/systemd/system}
make -s install DESTDIR="$dest" PREFIX=/opt/mxg >/dev/null || bad "make install"
for f in opt/mxg/sbin/mxguardd opt/mxg/sbin/mxguardctl \
	opt/mxg/share/man/man8/mxguardd.8 opt/mxg/share/man/man8/mxguardctl.8 \
	opt/mxg/share/man/man5/mxguard.policy.5 \
	opt/mxg/share/man/man5/mxguard.conf.5 \
	opt/mxg/lib/systemd/catalog/mxguard.catalog \
	opt/mxg/share/bash-completion/completions/mxguardctl \
	etc/logrotate.d/mxguard "${unitdir#/}/mxguard-metrics.service" \
	"${unitdir#/}/mxguard-metrics.timer" \
	opt/mxg/share/mxguard/alert.schema.json \
	opt/mxg/share/mxguard/policies/mil.policy \
	opt/mxg/share/mxguard/policies/freemail.policy \
	opt/mxg/share/mxguard/policies/tld-neighbours.policy \
	opt/mxg/share/mxguard/policies/example-org.policy \
	"${unitdir#/}/mxguardd.service" usr/lib/sysusers.d/mxguard.conf \
	etc/mxguard/mxguard.conf etc/mxguard/policies.d/vendor.policy \
	opt/mxg/sbin/mxguard-milter opt/mxg/libexec/mxguard/mxguard-smtpd-filter \
	opt/mxg/share/man/man8/mxguard-milter.8 \
	"${unitdir#/}/mxguard-milter.service" \
	opt/mxg/share/mxguard/contrib/main.cf.snippet \
	opt/mxg/share/mxguard/contrib/mxguard-rcpt.acl \
	opt/mxg/share/mxguard/contrib/mxguard-not-smtp.acl \
	opt/mxg/share/mxguard/contrib/mxguard-hold.router \
	opt/mxg/share/mxguard/contrib/smtpd.conf.snippet; do
	check "installed $f" "[ -e '$dest/$f' ]"
done
check "unit runs the PREFIX binary" \
	"grep -q '^ExecStart=/opt/mxg/sbin/mxguardd -f /etc/mxguard/mxguard.conf' '$dest/${unitdir#/}/mxguardd.service'"
check "shipped policies are not live configuration in /etc" \
	"[ -z \"\$(find '$dest/etc/mxguard' -name '*.policy' ! -name vendor.policy)\" ]"
check "vendor.policy includes the shipped policies from PREFIX" \
	"grep -qx 'include /opt/mxg/share/mxguard/policies/mil.policy' '$dest/etc/mxguard/policies.d/vendor.policy'"
check "installed in alert mode (changes no delivery)" \
	"grep -qx 'mode = alert' '$dest/etc/mxguard/mxguard.conf'"
# Never skipped: systemd-analyze comes with .ci/packages/build.list.
if command -v systemd-analyze >/dev/null; then
	sed "s|/opt/mxg/sbin/mxguardd|$dest/opt/mxg/sbin/mxguardd|" \
		"$dest/${unitdir#/}/mxguardd.service" > "$dest/mxguardd.service"
	check "systemd-analyze verify" \
		"! systemd-analyze verify '$dest/mxguardd.service' 2>&1 | grep -v 'man \| failed with code 16' | grep -q ."
else
	bad "systemd-analyze verify: systemd-analyze missing (make deps)"
fi
sed "s|/etc/mxguard/policies.d|$dest/etc/mxguard/policies.d|" \
	"$dest/etc/mxguard/mxguard.conf" > "$dest/conf"
sed -i "s|^include /opt/mxg|include $dest/opt/mxg|" \
	"$dest/etc/mxguard/policies.d/vendor.policy"
check "milter unit runs the PREFIX binary" \
	"grep -q '^ExecStart=/opt/mxg/sbin/mxguard-milter -s ' '$dest/${unitdir#/}/mxguard-milter.service'"
if command -v systemd-analyze >/dev/null; then
	sed "s|/opt/mxg/sbin/mxguard-milter|$dest/opt/mxg/sbin/mxguard-milter|" \
		"$dest/${unitdir#/}/mxguard-milter.service" > "$dest/mxguard-milter.service"
	check "systemd-analyze verify (milter)" \
		"! systemd-analyze verify '$dest/mxguard-milter.service' 2>&1 | grep -v 'man \| failed with code 16\|postfix.service\|mxguardd.service' | grep -q ."
else
	bad "systemd-analyze verify (milter): systemd-analyze missing (make deps)"
fi
check "shipped config and policies pass mxguardd -n" \
	"'$dest/opt/mxg/sbin/mxguardd' -n -f '$dest/conf' 2>/dev/null"
if command -v man >/dev/null; then
	for m in man8/mxguardd.8 man8/mxguardctl.8 man5/mxguard.policy.5 man5/mxguard.conf.5; do
		check "man page $m renders" \
			"[ -n \"\$(MANWIDTH=80 man -l '$dest/opt/mxg/share/man/$m' 2>/dev/null)\" ]"
	done
else
	bad "man pages render: man missing (make deps)"
fi
check "logrotate reads the shipped file" \
	"logrotate -d -s '$dest/logrotate.state' '$dest/etc/logrotate.d/mxguard' >/dev/null 2>&1"
check "bash completion loads" \
	"bash -c '. \"$dest/opt/mxg/share/bash-completion/completions/mxguardctl\" && complete -p mxguardctl mxguardd' >/dev/null"
echo "# local edit" >> "$dest/etc/mxguard/mxguard.conf"
make -s install DESTDIR="$dest" PREFIX=/opt/mxg >/dev/null
check "reinstall keeps a local edit" \
	"grep -q '# local edit' '$dest/etc/mxguard/mxguard.conf'"
make -s uninstall DESTDIR="$dest" PREFIX=/opt/mxg >/dev/null
check "uninstall removes the binaries" "[ ! -e '$dest/opt/mxg/sbin/mxguardd' ]"
check "uninstall removes the milter" \
	"[ ! -e '$dest/opt/mxg/sbin/mxguard-milter' ] && [ ! -e '$dest/${unitdir#/}/mxguard-milter.service' ] && [ ! -e '$dest/opt/mxg/share/mxguard/contrib' ]"
check "uninstall removes the unit" \
	"[ ! -e '$dest/${unitdir#/}/mxguardd.service' ]"
check "uninstall removes the shipped policies" \
	"[ ! -e '$dest/opt/mxg/share/mxguard' ]"
check "uninstall keeps the configuration" \
	"[ -e '$dest/etc/mxguard/mxguard.conf' ] && [ -e '$dest/etc/mxguard/policies.d/vendor.policy' ]"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
