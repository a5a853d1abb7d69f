#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Regenerate the tree's vmlinux.h (the kernel types the BPF programs see):
#
#   bpf/vmlinux/gen.sh OUT [SOURCE]
#
# SOURCE is a file with BTF (/sys/kernel/btf/vmlinux, a vmlinux ELF) or a
# bzImage, whose compressed vmlinux is unpacked first.  The default is
# Debian 12's cloud kernel as vmtest/kernel.sh caches it: the oldest
# kernel the packages target, so the header names no type a newer kernel
# added without a CO-RE guard noticing at build time.
set -euo pipefail
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: gen.sh OUT [BTF|bzImage]" >&2; exit 2; }
out=$1
src=${2:-}
repo=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mxguard-vmlinux.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if [ -z "$src" ]; then
	src=$("$repo/vmtest/kernel.sh" 6.1)/vmlinuz
fi
# A bzImage: the setup header gives the payload (boot protocol 2.08+:
# payload_offset at 0x248, payload_length at 0x24c, from the start of the
# protected-mode code, (setup_sects + 1) * 512 bytes in).
if [ "$(head -c 4 "$src" | od -An -tx1 | tr -d ' ')" != 7f454c46 ] &&
   [ "$(dd if="$src" bs=1 skip=514 count=4 2>/dev/null)" = HdrS ]; then
	python3 - "$src" "$tmp/payload" <<-'PY'
	import struct, sys
	d = open(sys.argv[1], 'rb').read()
	sects = d[0x1f1] or 4
	off, n = struct.unpack('<II', d[0x248:0x250])
	start = (sects + 1) * 512 + off
	open(sys.argv[2], 'wb').write(d[start:start + n])
	PY
	# The kernel appends the decompressed size, which the tools call
	# trailing garbage: success is an ELF coming out.
	case $(head -c 4 "$tmp/payload" | od -An -tx1 | tr -d ' ') in
	02214c18) lz4 -dc "$tmp/payload" > "$tmp/vmlinux" 2>/dev/null || true ;;
	28b52ffd) zstd -dc "$tmp/payload" > "$tmp/vmlinux" 2>/dev/null || true ;;
	fd377a58) xz -dc "$tmp/payload" > "$tmp/vmlinux" 2>/dev/null || true ;;
	1f8b*) gzip -dc "$tmp/payload" > "$tmp/vmlinux" 2>/dev/null || true ;;
	*) echo "gen.sh: $src: unknown kernel compression" >&2; exit 1 ;;
	esac
	[ "$(head -c 4 "$tmp/vmlinux" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] ||
		{ echo "gen.sh: $src: could not unpack its vmlinux" >&2; exit 1; }
	src=$tmp/vmlinux
fi
mkdir -p "$(dirname "$out")"
bpftool btf dump file "$src" format c > "$tmp/vmlinux.h"
mv "$tmp/vmlinux.h" "$out"
echo "gen.sh: $out from $src ($(wc -l < "$out") lines)"
