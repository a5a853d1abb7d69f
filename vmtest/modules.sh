#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Build a kernel's module archive for the guest: the modules the suites need
# (VMTEST_MODULES) and what they depend on, uncompressed, with
# /vmtest-modules/load.list in load order.  The kernel unpacks it over the
# shared initramfs.  A module the tree lacks is taken to be built in
# (modules.builtin says so, or a warning).
#
#   modules.sh MODULES_DIR OUT.cpio
#
# Defaults: inet_diag, tcp_diag, udp_diag (mxguardd destroys cached
# connections through sock_diag); nfnetlink, nf_tables, nft_numgen (the BPF
# suite drops TCP segments with nftables to reorder a DNS stream).
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: modules.sh MODULES_DIR OUT.cpio" >&2; exit 2; }
moddir=$(readlink -f "$1")
out=$(readlink -f "$2")
MODULES=${VMTEST_MODULES:-inet_diag tcp_diag udp_diag nfnetlink nf_tables nft_numgen}
stage=$(mktemp -d "${TMPDIR:-/tmp}/mxguard-modules.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/vmtest-modules"
: > "$stage/vmtest-modules/load.list"
loaded=" "

find_ko() {
	find "$moddir/kernel" -name "$1.ko" -o -name "$1.ko.xz" -o \
		-name "$1.ko.zst" -o -name "$1.ko.gz" 2>/dev/null | head -n1
}

# Depth first: dependencies are listed before the module that needs them.
add() {
	local name=${1//-/_} ko dep
	case $loaded in *" $name "*) return 0 ;; esac
	loaded="$loaded$name "
	ko=$(find_ko "$name")
	[ -z "$ko" ] && ko=$(find_ko "${name//_/-}")
	if [ -z "$ko" ]; then
		grep -q "/${name}.ko\$\|/${name//_/-}.ko\$" "$moddir/modules.builtin" 2>/dev/null ||
			echo "modules: $name not found under $moddir; assuming it is built in" >&2
		return 0
	fi
	case $ko in
	*.xz) xz -dc "$ko" ;;
	*.zst) zstd -qdc "$ko" ;;
	*.gz) gzip -dc "$ko" ;;
	*) cat "$ko" ;;
	esac > "$stage/vmtest-modules/$name.ko"
	# The .modinfo section's NUL-separated "depends=a,b" (as modinfo reads).
	for dep in $(tr '\0' '\n' < "$stage/vmtest-modules/$name.ko" |
		     sed -n 's/^depends=//p' | head -n1 | tr ',' ' '); do
		add "$dep"
	done
	echo "$name.ko" >> "$stage/vmtest-modules/load.list"
}

for m in $MODULES; do
	add "$m"
done
# Unpacked over the shared archive, whose entries it would re-mode: so no
# "." entry (mktemp's 0700 would lock unprivileged users out of "/").
chmod 0755 "$stage/vmtest-modules"
(cd "$stage" && find . -mindepth 1 -print0 |
	cpio --null -o -H newc --quiet) > "$out"
