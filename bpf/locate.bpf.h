/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Find the DNS payload of an skb: IPv4 (with options), IPv6 (through a
 * bounded number of extension headers), then UDP or TCP on port 53.
 */
#ifndef MXGUARD_LOCATE_BPF_H
#define MXGUARD_LOCATE_BPF_H

#define IPPROTO_HOPOPTS		0
#define IPPROTO_ROUTING		43
#define IPPROTO_FRAGMENT	44
#define IPPROTO_AH		51
#define IPPROTO_DSTOPTS		60

enum {
	LOC_NOT_DNS = -1,	/* not DNS, as far as can be told */
	LOC_DNS = 0,		/* DNS payload located */
	LOC_OPAQUE = 1,		/* transport header out of reach */
};

struct dns_loc {
	__u32 off;		/* start of the L4 payload */
	__u32 len;		/* payload bytes in this skb */
	__u32 seq;		/* TCP: sequence number, host order */
	__u16 peer_port;	/* network order */
	__u8 proto;		/* IPPROTO_UDP or IPPROTO_TCP */
	__u8 syn;		/* TCP: SYN set */
	__u8 peer[16];		/* remote address, v4-mapped for IPv4 */
};

/* Walk hop-by-hop, routing, destination options and AH headers. */
static __always_inline int ipv6_transport(struct __sk_buff *skb,
					  __u8 *proto, __u32 *off)
{
	__u8 hdr[2];
	__u32 i;

	for (i = 0; i < MXG_EXTHDR_MAX; i++) {
		if (*proto == IPPROTO_TCP || *proto == IPPROTO_UDP)
			return LOC_DNS;
		if (*proto == IPPROTO_FRAGMENT)
			return LOC_OPAQUE;	/* reassembly happens before us */
		if (*proto != IPPROTO_HOPOPTS && *proto != IPPROTO_ROUTING &&
		    *proto != IPPROTO_DSTOPTS && *proto != IPPROTO_AH)
			return LOC_NOT_DNS;
		if (bpf_skb_load_bytes(skb, *off, hdr, 2))
			return LOC_OPAQUE;
		*off += *proto == IPPROTO_AH ? ((__u32)hdr[1] + 2) * 4 :
					       ((__u32)hdr[1] + 1) * 8;
		*proto = hdr[0];
	}
	return (*proto == IPPROTO_TCP || *proto == IPPROTO_UDP) ? LOC_DNS :
								 LOC_OPAQUE;
}

/* The first 20 bytes of the transport header, UDP's 8 or TCP's fixed part. */
union l4hdr {
	struct udphdr uh;
	struct tcphdr th;
};

/*
 * Sets *@have when @t already holds the transport header: an IPv4 header
 * without options is read in one load with the 20 bytes after it, which
 * saves the second bpf_skb_load_bytes() call (about 30 ns each,
 * tests/bench/micro.c) on nearly every packet.
 */
static __always_inline int ip_header(struct __sk_buff *skb, int egress,
				     struct dns_loc *loc, __u8 *proto,
				     __u32 *l4, union l4hdr *t, int *have)
{
	*have = 0;
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		struct {
			struct iphdr ip;
			union l4hdr t;
		} h;

		if (skb->len >= sizeof(h) &&
		    !bpf_skb_load_bytes(skb, 0, &h, sizeof(h)))
			*have = h.ip.ihl == 5;
		else if (bpf_skb_load_bytes(skb, 0, &h.ip, sizeof(h.ip)))
			return LOC_NOT_DNS;
		/* Fragments are reassembled before ingress; a piece is opaque. */
		if (h.ip.frag_off & bpf_htons(0x3fff))
			return LOC_OPAQUE;
		if (*have)
			*t = h.t;
		*proto = h.ip.protocol;
		*l4 = h.ip.ihl * 4;
		__builtin_memset(loc->peer, 0, 10);
		loc->peer[10] = 0xff;
		loc->peer[11] = 0xff;
		__builtin_memcpy(&loc->peer[12],
				 egress ? &h.ip.daddr : &h.ip.saddr, 4);
		return LOC_DNS;
	}
	if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr ip6;

		if (bpf_skb_load_bytes(skb, 0, &ip6, sizeof(ip6)))
			return LOC_NOT_DNS;
		*proto = ip6.nexthdr;
		*l4 = sizeof(ip6);
		__builtin_memcpy(loc->peer, egress ? &ip6.daddr : &ip6.saddr,
				 16);
		return ipv6_transport(skb, proto, l4);
	}
	return LOC_NOT_DNS;
}

static __always_inline int dns_locate(struct __sk_buff *skb, int egress,
				      struct dns_loc *loc)
{
	union l4hdr t;
	__u32 l4 = 0;
	__u8 proto = 0;
	int ret, have;
	__u16 port;

	ret = ip_header(skb, egress, loc, &proto, &l4, &t, &have);
	if (ret != LOC_DNS)
		return ret;
	loc->proto = proto;
	loc->syn = 0;
	loc->seq = 0;
	if (proto == IPPROTO_UDP) {
		if (!have && bpf_skb_load_bytes(skb, l4, &t.uh, sizeof(t.uh)))
			return LOC_NOT_DNS;
		port = egress ? t.uh.dest : t.uh.source;
		loc->off = l4 + sizeof(t.uh);
	} else {
		if (!have && bpf_skb_load_bytes(skb, l4, &t.th, sizeof(t.th)))
			return LOC_NOT_DNS;
		port = egress ? t.th.dest : t.th.source;
		loc->off = l4 + t.th.doff * 4;
		loc->seq = bpf_ntohl(t.th.seq);
		loc->syn = t.th.syn;
	}
	if (port != bpf_htons(DNS_PORT))
		return LOC_NOT_DNS;
	loc->peer_port = port;
	loc->len = skb->len > loc->off ? skb->len - loc->off : 0;
	return LOC_DNS;
}

#endif
