#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""DNS answers from pcap files into the differential fuzzer's seed corpus.

usage: pcap2corpus.py OUTDIR PCAP...   (at most --max files, default 300)

Every UDP datagram from port 53, and every TCP segment from port 53 that
holds one whole length-prefixed message, is a candidate.  Answers that
differ only in ID and TTLs (unbound's cache counting down) are one: the key
is the header flags, the four counts, the length and the question.  Each file
is named by the SHA-1 of its bytes, so a second run adds only what is new.
Captures come from the e2e suite (MXG_E2E_DNS_PCAP=DIR make check-e2e).
"""
import argparse
import hashlib
import os
import struct
import sys


def packets(path):
    """(linktype, frame) of each record of a classic pcap file."""
    with open(path, 'rb') as f:
        head = f.read(24)
        if len(head) < 24:
            return
        magic = struct.unpack('<I', head[:4])[0]
        if magic in (0xa1b2c3d4, 0xa1b23c4d):
            end = '<'
        elif magic in (0xd4c3b2a1, 0x4d3cb2a1):
            end = '>'
        else:
            raise ValueError(f'{path}: not a pcap file')
        link = struct.unpack(end + 'I', head[20:24])[0]
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            incl = struct.unpack(end + 'IIII', rec)[2]
            data = f.read(incl)
            if len(data) < incl:
                return
            yield link, data


def l3(link, frame):
    """(ethertype, network-layer bytes) for the link types tcpdump writes."""
    if link == 1:                       # Ethernet
        return struct.unpack('>H', frame[12:14])[0], frame[14:]
    if link == 113:                     # Linux cooked (SLL)
        return struct.unpack('>H', frame[14:16])[0], frame[16:]
    if link == 276:                     # Linux cooked v2 (SLL2)
        return struct.unpack('>H', frame[0:2])[0], frame[20:]
    if link == 0:                       # loopback (BSD)
        return None, None
    return None, None


def dns_payload(ethertype, ip):
    """The DNS message a server on port 53 sent, or None."""
    if ethertype == 0x0800 and len(ip) >= 20:
        proto, ihl = ip[9], (ip[0] & 15) * 4
        total = struct.unpack('>H', ip[2:4])[0]
        l4 = ip[ihl:total]
    elif ethertype == 0x86dd and len(ip) >= 40:
        proto = ip[6]
        l4 = ip[40:40 + struct.unpack('>H', ip[4:6])[0]]
    else:
        return None
    if proto == 17 and len(l4) >= 8:
        if struct.unpack('>H', l4[0:2])[0] != 53:
            return None
        return l4[8:]
    if proto == 6 and len(l4) >= 20:
        if struct.unpack('>H', l4[0:2])[0] != 53:
            return None
        data = l4[(l4[12] >> 4) * 4:]
        if len(data) >= 2 and struct.unpack('>H', data[:2])[0] == len(data) - 2:
            return data[2:]
    return None


def key(msg):
    """Flags, counts, length and question: IDs and TTLs left out."""
    end = 12
    while end < len(msg) and msg[end] and msg[end] < 0xc0:
        end += 1 + msg[end]
    return msg[2:12] + len(msg).to_bytes(2, 'big') + msg[12:end + 5]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('outdir')
    ap.add_argument('pcap', nargs='+')
    ap.add_argument('--max', type=int, default=300)
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    have = len(os.listdir(a.outdir))
    seen, added = set(), 0
    for path in a.pcap:
        for link, frame in packets(path):
            ethertype, ip = l3(link, frame)
            msg = dns_payload(ethertype, ip) if ip else None
            if not msg or len(msg) < 12 or not msg[2] & 0x80:
                continue
            k = key(msg)
            if k in seen:
                continue
            seen.add(k)
            name = os.path.join(a.outdir, hashlib.sha1(msg).hexdigest())
            if os.path.exists(name):
                continue
            if have + added >= a.max:
                break
            with open(name, 'wb') as f:
                f.write(msg)
            added += 1
    print(f'pcap2corpus: {added} new answers ({len(seen)} distinct) in '
          f'{a.outdir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
