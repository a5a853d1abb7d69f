#!/bin/bash
# make install / make uninstall into a throwaway DESTDIR: every file lands
# where the unit and the man pages say, DESTDIR and PREFIX are honoured, the
# shipped configuration and policy pass `mxguardd -n`, the unit passes
# systemd-analyze, a local edit survives a reinstall, and uninstall removes
# what install put there but leaves the administrator's files.
set -uo pipefail
cd "$(dirname "$0")/../.."
dest=$(mktemp -d /tmp/mxguard-install.XXXXXX)
trap 'rm -rf "$dest"' EXIT
pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
bad() { echo "not ok - $1"; fail=$((fail + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }

make -s install DESTDIR="$dest" PREFIX=/opt/mxg >/dev/null || bad "make install"
for f in opt/mxg/sbin/mxguardd opt/mxg/sbin/mxguardctl \
	opt/mxg/share/man/man8/mxguardd.8 opt/mxg/share/man/man8/mxguardctl.8 \
	opt/mxg/share/man/man5/mxguard.policy.5 \
	opt/mxg/share/man/man5/mxguard.conf.5 \
	opt/mxg/lib/systemd/catalog/mxguard.catalog \
	opt/mxg/share/bash-completion/completions/mxguardctl \
	etc/logrotate.d/mxguard lib/systemd/system/mxguard-metrics.service \
	lib/systemd/system/mxguard-metrics.timer \
	opt/mxg/share/mxguard/alert.schema.json \
	lib/systemd/system/mxguardd.service etc/mxguard/mxguard.conf \
	etc/mxguard/policies.d/mil.policy \
	opt/mxg/sbin/mxguard-milter opt/mxg/libexec/mxguard/mxguard-smtpd-filter \
	opt/mxg/share/man/man8/mxguard-milter.8 \
	lib/systemd/system/mxguard-milter.service \
	opt/mxg/share/mxguard/contrib/main.cf.snippet \
	opt/mxg/share/mxguard/contrib/mxguard-rcpt.acl \
	opt/mxg/share/mxguard/contrib/mxguard-not-smtp.acl \
	opt/mxg/share/mxguard/contrib/smtpd.conf.snippet; do
	check "installed $f" "[ -e '$dest/$f' ]"
done
check "unit runs the PREFIX binary" \
	"grep -q '^ExecStart=/opt/mxg/sbin/mxguardd -f /etc/mxguard/mxguard.conf' '$dest/lib/systemd/system/mxguardd.service'"
if command -v systemd-analyze >/dev/null; then
	sed "s|/opt/mxg/sbin/mxguardd|$dest/opt/mxg/sbin/mxguardd|" \
		"$dest/lib/systemd/system/mxguardd.service" > "$dest/mxguardd.service"
	check "systemd-analyze verify" \
		"! systemd-analyze verify '$dest/mxguardd.service' 2>&1 | grep -v 'man \| failed with code 16' | grep -q ."
fi
sed "s|/etc/mxguard/policies.d|$dest/etc/mxguard/policies.d|" \
	"$dest/etc/mxguard/mxguard.conf" > "$dest/conf"
check "milter unit runs the PREFIX binary" \
	"grep -q '^ExecStart=/opt/mxg/sbin/mxguard-milter -s ' '$dest/lib/systemd/system/mxguard-milter.service'"
if command -v systemd-analyze >/dev/null; then
	sed "s|/opt/mxg/sbin/mxguard-milter|$dest/opt/mxg/sbin/mxguard-milter|" \
		"$dest/lib/systemd/system/mxguard-milter.service" > "$dest/mxguard-milter.service"
	check "systemd-analyze verify (milter)" \
		"! systemd-analyze verify '$dest/mxguard-milter.service' 2>&1 | grep -v 'man \| failed with code 16\|postfix.service\|mxguardd.service' | grep -q ."
fi
check "shipped config and policies pass mxguardd -n" \
	"'$dest/opt/mxg/sbin/mxguardd' -n -f '$dest/conf' 2>/dev/null"
check "man pages render" \
	"man -l '$dest/opt/mxg/share/man/man8/mxguardd.8' >/dev/null 2>&1"
check "mxguard.conf(5) renders" \
	"man -l '$dest/opt/mxg/share/man/man5/mxguard.conf.5' >/dev/null 2>&1"
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
	"[ ! -e '$dest/opt/mxg/sbin/mxguard-milter' ] && [ ! -e '$dest/lib/systemd/system/mxguard-milter.service' ] && [ ! -e '$dest/opt/mxg/share/mxguard/contrib' ]"
check "uninstall removes the unit" \
	"[ ! -e '$dest/lib/systemd/system/mxguardd.service' ]"
check "uninstall keeps the configuration" \
	"[ -e '$dest/etc/mxguard/mxguard.conf' ]"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
