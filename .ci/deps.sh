#!/bin/bash
# Install every build and test dependency from Debian.  Idempotent: when all
# packages are present it only checks and returns.
set -euo pipefail

PKGS=(
	make gcc clang llvm pkg-config git
	libbpf-dev bpftool libelf-dev zlib1g-dev
	libnl-3-dev libnl-genl-3-dev libnl-route-3-dev libnl-idiag-3-dev
	libcmocka-dev libpsl-dev libidn2-dev
	iproute2 python3 valgrind
)

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: need root to install: ${missing[*]}" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
