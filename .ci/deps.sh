#!/bin/bash
# Install every build and test dependency from Debian: the packages listed in
# .ci/packages/*.list (one per line, '#' comments).  Idempotent: when all are
# present it only checks and returns.
set -euo pipefail
cd "$(dirname "$0")"

mapfile -t PKGS < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' \
	-e '/^[[:space:]]*$/d' packages/*.list |
	sort -u)

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: need root to install: ${missing[*]}" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Postfix asks questions at install time; answer them up front.
if printf '%s\n' "${missing[@]}" | grep -qx postfix; then
	echo "postfix postfix/main_mailer_type select No configuration" |
		debconf-set-selections
	echo "postfix postfix/mailname string mailhost.test" |
		debconf-set-selections
fi
# The tests start their own postfix, unbound and nsd; keep the packages'
# system services from starting (and taking port 53) on install.
rc=/usr/sbin/policy-rc.d
if [ ! -e "$rc" ]; then
	printf '#!/bin/sh\nexit 101\n' > "$rc"
	chmod 755 "$rc"
	trap 'rm -f "$rc"' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
