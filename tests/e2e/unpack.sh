# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# MTAs that conflict with Postfix (Exim, OpenSMTPD) are never installed:
# their Debian packages are downloaded once, cached, and unpacked into a
# test's own directory.  Sourced by the e2e scripts.
#
#   unpack_debs DEST PKG...
#
# The cache is $MXG_DEB_CACHE (default /var/cache/mxguard-debs); a package
# already there is not fetched again, so a second CI run needs no network.
# Libraries the unpacked binaries need beyond the host's are the caller's
# to list (LD_LIBRARY_PATH=DEST/usr/lib/x86_64-linux-gnu then).

unpack_debs() {
	local dest=$1 cache=${MXG_DEB_CACHE:-/var/cache/mxguard-debs} pkg deb
	shift
	mkdir -p "$cache" "$dest" || return 1
	for pkg in "$@"; do
		deb=$(ls "$cache/${pkg}_"*.deb 2>/dev/null | head -n1)
		if [ -z "$deb" ]; then
			(cd "$cache" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >/dev/null) || {
				echo "unpack_debs: cannot download $pkg" \
				     "(apt-get update first?)" >&2
				return 1
			}
			deb=$(ls "$cache/${pkg}_"*.deb | head -n1)
		fi
		dpkg-deb -x "$deb" "$dest" || return 1
	done
}
