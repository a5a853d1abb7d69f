// SPDX-License-Identifier: GPL-2.0-only
/*
 * mxguard datapath.
 *
 *  cgroup_skb/egress   DNS queries: a question that matches a lookalike rule
 *                      raises a dns_lookalike event.
 *  cgroup_skb/ingress  DNS responses: taint the answers of lookalike or
 *                      tainted questions, record clean answers.  Runs before
 *                      the answer is queued on the socket, so the taint exists
 *                      before recvmsg() returns: no race with the connect.
 *  cgroup/connect4|6   Monitored ports: judge the destination against the
 *                      connecting process's lineage, its cgroup and the host.
 *                      Port 53: remember who owns the DNS socket.
 *                      A block on port 25 goes to the SMTP responder when
 *                      one listens (redirect.bpf.h), else EPERM.
 *  cgroup/sendmsg4|6   Port 53 on unconnected UDP: remember the owner too.
 *
 * The DNS programs observe, and hold back (drop) an answer to a lookalike or
 * tainted question that they could not read to the end, in block mode.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>

#include "mxguard/abi.h"
#include "mxguard/hash.h"

#define AF_INET		2
#define AF_INET6	10
#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD
#define IPPROTO_TCP	6
#define IPPROTO_UDP	17
#define DNS_PORT	53
#define SOCK_STREAM	1
#define SOCK_DGRAM	2

char LICENSE[] SEC("license") = "GPL";

/*
 * Walk real_parent at connect time (process scope).  The loader clears this
 * when the kernel refuses bpf_get_current_task() in sock_addr programs; the
 * lineage is then the connecting process alone.
 */
const volatile __u32 walk_ancestry = 1;

/*
 * Call bpf_get_current_{pid_tgid,uid_gid,comm,cgroup_id}() in the cgroup_skb
 * programs.  Linux 5.10 and 6.1 refuse all four there; 6.12 allows pid_tgid
 * and cgroup_id (bpf_base_func_proto, 6.10) but not uid_gid or comm, which
 * 6.18 allows.  Off by default, so that a load without the loader's probe
 * (the BPF_PROG_TEST_RUN suite, bpftool) works on every kernel; the loader
 * turns it on where all four are allowed.  Off, a query sent on a socket no
 * connect/sendmsg hook has seen is attributed to its cgroup, as on ingress.
 */
const volatile __u32 skb_current_task = 0;

/*
 * Tell a port-25 block in SMTP (bpf/redirect.bpf.h).  It needs
 * bpf_sk_lookup_tcp() and bpf_get_socket_cookie() in cgroup/connect
 * programs (Linux 5.2 and 5.0); the loader clears it where the verifier
 * refuses either, and every block is then EPERM.
 */
const volatile __u32 redirect_usable = 1;

/*
 * Read the clock as bpf_ktime_get_coarse_ns() (Linux 5.11): the time of
 * the last tick, a few ns, where bpf_ktime_get_ns() reads the clocksource
 * (on the development VM 5-10% of a DNS run and 14% of a connect, under
 * load).  Every time the datapath keeps or compares is a TTL of at least
 * --ttl-min (300 s), an outstanding query's seconds or the 100 ms between
 * unexplained-connect reports; a tick (1-4 ms) behind changes none of
 * them, and the records and the clock a connect compares them with come
 * from the same clock.  Behind, a record only looks live a tick longer.
 * The loader sets it where the verifier allows the helper in both kinds
 * of program; off, the programs load on 5.10.
 */
const volatile __u32 ktime_coarse = 0;

static __always_inline __u64 mxg_now(void)
{
	return ktime_coarse ? bpf_ktime_get_coarse_ns() : bpf_ktime_get_ns();
}

#include "maps.bpf.h"
#include "dns.bpf.h"
#include "locate.bpf.h"

static __always_inline void owner_from_current(struct mxg_owner *o)
{
	__u64 id = bpf_get_current_pid_tgid();

	o->tgid = id >> 32;
	o->pid = (__u32)id;
	o->uid = (__u32)bpf_get_current_uid_gid();
	o->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(o->comm, sizeof(o->comm));
}

/* @sk: the skb's full socket, or NULL (dns_packet() looks it up once). */
static __always_inline void load_owner(struct __sk_buff *skb,
				       struct bpf_sock *sk,
				       struct mxg_scratch *s, int egress)
{
	struct mxg_owner *o = NULL;

	if (sk)
		o = bpf_sk_storage_get(&sock_owner, sk, 0, 0);
	if (o) {
		s->owner = *o;
		return;
	}
	/* Queries leave in the sender's context: current is the owner. */
	if (egress && skb_current_task) {
		owner_from_current(&s->owner);
		return;
	}
	/*
	 * Without a recorded owner (a socket opened before mxguard attached)
	 * the process is unknown in softirq context, or its helpers are not
	 * allowed here: taint at unit level only.
	 */
	__builtin_memset(&s->owner, 0, sizeof(s->owner));
	s->owner.cgroup_id = bpf_skb_cgroup_id(skb);
	count(MXG_CNT_NO_OWNER);
}

#include "taint.bpf.h"
#include "pending.bpf.h"
#include "similar.bpf.h"
#include "vcache.bpf.h"
#include "message.bpf.h"
#include "stream.bpf.h"
#include "redirect.bpf.h"
#include "connect.bpf.h"

/* Copy @len bytes of the message at @off into scratch->pkt. */
static __always_inline int load_message(struct __sk_buff *skb,
					struct mxg_scratch *s, __u32 off,
					__u32 len)
{
	s->pkt_capped = 0;
	if (len > MXG_DNS_MAX) {
		len = MXG_DNS_MAX;
		s->pkt_capped = 1;
	}
	if (len < DNS_HDR_LEN) {
		count(MXG_CNT_MALFORMED);
		return -1;
	}
	if (bpf_skb_load_bytes(skb, off, s->pkt, len)) {
		count(MXG_CNT_MALFORMED);
		return -1;
	}
	s->pkt_len = len;
	return 0;
}

/*
 * A query: raise its events, and remember it so that only its answer is
 * trusted.  A TCP query is read when its segment starts with the length
 * prefix (observation only: ingress judges every answer on its own).
 */
static __always_inline int dns_query(struct __sk_buff *skb,
				     struct bpf_sock *sk,
				     const struct dns_loc *loc,
				     struct mxg_scratch *s)
{
	__u32 off = loc->off, len = loc->len;
	__u16 prefix;
	int qend;

	if (loc->proto == IPPROTO_TCP) {
		if (len < 2 || bpf_skb_load_bytes(skb, off, &prefix, 2))
			return 1;
		off += 2;
		len -= 2;
		if (bpf_ntohs(prefix) < len)
			len = bpf_ntohs(prefix);
	}
	if (load_message(skb, s, off, len) || (s->pkt[2] & 0x80))
		return 1;
	load_owner(skb, sk, s, 1);
	qend = mxg_question(SLOT_EGRESS, 1);
	if (qend < 0) {
		count(qend == PARSE_TRUNCATED ? MXG_CNT_TRUNCATED :
						MXG_CNT_MALFORMED);
		return 1;
	}
	count(MXG_CNT_PARSED);
	if (loc->proto == IPPROTO_UDP)
		pending_add(sk, s, loc);
	return 1;
}

static __always_inline int udp_answer(struct __sk_buff *skb,
				      struct bpf_sock *sk,
				      struct mxg_config *cfg,
				      const struct dns_loc *loc,
				      struct mxg_scratch *s)
{
	if (load_message(skb, s, loc->off, loc->len))
		return 1;
	load_owner(skb, sk, s, 0);
	__builtin_memcpy(s->server, loc->peer, 16);
	s->server_port = bpf_ntohs(loc->peer_port);
	return judge_response(sk, s, cfg, SLOT_INGRESS, loc);
}

/*
 * The transport header is out of reach (too many IPv6 extension headers, a
 * fragment).  On a socket that has talked DNS, that is a packet mxguard
 * cannot read: held back in block mode.
 */
static __always_inline int opaque_packet(struct __sk_buff *skb,
					 struct bpf_sock *sk,
					 struct mxg_config *cfg,
					 struct mxg_scratch *s)
{
	if (!sk || !bpf_sk_storage_get(&sock_owner, sk, 0, 0))
		return 1;
	count(MXG_CNT_PACKETS);
	load_owner(skb, sk, s, 0);
	s->tainted = 0;
	s->qtype = 0;
	s->server_port = 0;
	__builtin_memset(s->server, 0, 16);
	emit_held(s, cfg, MXG_HOLD_HEADERS, cfg->mode == MXG_MODE_ENFORCE, 0);
	return cfg->mode != MXG_MODE_ENFORCE;
}

static __always_inline int dns_message(struct __sk_buff *skb,
				       struct bpf_sock *sk,
				       struct mxg_config *cfg,
				       const struct dns_loc *loc,
				       struct mxg_scratch *s, __u32 slot)
{
	count(MXG_CNT_PACKETS);
	if (slot == SLOT_EGRESS)
		return dns_query(skb, sk, loc, s);
	if (loc->proto == IPPROTO_TCP)
		return tcp_segment(skb, sk, cfg, loc, s);
	return udp_answer(skb, sk, cfg, loc, s);
}

/*
 * Most packets of a watched cgroup are the bulk of SMTP sessions, and the
 * socket says they are not DNS without a look at the packet:
 *  - a TCP socket carries DNS only if its peer's port is 53: a DNS stream
 *    is this host's connection to a server;
 *  - a connected UDP socket receives only from its peer, so at ingress
 *    one connected to another port gets no answer from port 53.
 * What the socket cannot vouch for is parsed as before: no full socket, a
 * raw or other socket, unconnected UDP, and UDP at egress (sendto() may aim
 * a connected socket anywhere).  bpf_sock.dst_port is read as the 4 bytes
 * every kernel accepts (5.10's field is a __u32; later ones a __be16 and
 * padding); the port is its low 16 bits, in network order either way.
 */
static __always_inline int surely_not_dns(struct bpf_sock *sk, __u32 slot)
{
	__u16 port;

	if (!sk)
		return 0;
	port = (__u16)*(volatile __u32 *)&sk->dst_port;
	if (sk->protocol == IPPROTO_TCP && sk->type == SOCK_STREAM)
		return port != bpf_htons(DNS_PORT);
	if (sk->protocol == IPPROTO_UDP && sk->type == SOCK_DGRAM &&
	    slot == SLOT_INGRESS)
		return port && port != bpf_htons(DNS_PORT);
	return 0;
}

/*
 * Before the socket, the packet itself, read in place (direct packet
 * access: no helper call, and the header is in cache): an IPv4 packet
 * without options and not a fragment, or an IPv6 packet without extension
 * headers, TCP or UDP with a peer port (egress: destination, ingress:
 * source) other than 53, is what dns_locate() calls LOC_NOT_DNS, whatever
 * its socket.  Anything else (IPv4 options, extension headers, a header
 * beyond the linear data) goes on to the socket test.
 */
static __always_inline int packet_not_dns(struct __sk_buff *skb, __u32 slot)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	__u16 *l4;
	__u8 proto;

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = data;

		l4 = data + sizeof(*ip);
		if ((void *)(l4 + 2) > end || *(__u8 *)ip != 0x45 ||
		    (ip->frag_off & bpf_htons(0x3fff)))
			return 0;
		proto = ip->protocol;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = data;

		l4 = data + sizeof(*ip6);
		if ((void *)(l4 + 2) > end)
			return 0;
		proto = ip6->nexthdr;
	} else {
		return 0;
	}
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return 0;
	return l4[slot == SLOT_EGRESS ? 1 : 0] != bpf_htons(DNS_PORT);
}

static __always_inline int dns_packet(struct __sk_buff *skb, __u32 slot)
{
	struct bpf_sock *sk;
	struct mxg_config *cfg;
	struct mxg_scratch *s;
	struct dns_loc loc = {};
	int ret, verdict;

	if (packet_not_dns(skb, slot))
		return 1;
	/* Once: every later use of the socket gets it from here. */
	sk = skb_fullsock(skb);
	if (surely_not_dns(sk, slot))
		return 1;
	cfg = get_config();
	if (!cfg)
		return 1;
	ret = dns_locate(skb, slot == SLOT_EGRESS, &loc);
	if (ret == LOC_NOT_DNS ||
	    (ret == LOC_DNS && slot == SLOT_EGRESS && !loc.len))
		return 1;
	s = get_scratch(slot);
	if (!s)
		return 1;
	if (s->busy) {
		/* Nested on this CPU: the other run owns the scratch. */
		count(MXG_CNT_NESTED);
		return cfg->mode != MXG_MODE_ENFORCE;
	}
	s->busy = 1;
	if (ret == LOC_OPAQUE)
		verdict = slot == SLOT_EGRESS ? 1 : opaque_packet(skb, sk, cfg, s);
	else
		verdict = dns_message(skb, sk, cfg, &loc, s, slot);
	s->busy = 0;
	return verdict;
}

SEC("cgroup_skb/egress")
int mxg_dns_egress(struct __sk_buff *skb)
{
	return dns_packet(skb, SLOT_EGRESS);
}

/*
 * Returns 0 (drop) only to hold back an answer mxguard could not read to
 * the end, in block mode; see message.bpf.h.
 */
SEC("cgroup_skb/ingress")
int mxg_dns_ingress(struct __sk_buff *skb)
{
	return dns_packet(skb, SLOT_INGRESS);
}

/*
 * In process context: the storage tells ingress who owns this socket, and a
 * TCP DNS socket gets its stream state before the SYN-ACK arrives.
 */
static __always_inline void record_owner(struct bpf_sock_addr *ctx)
{
	struct bpf_sock *sk = ctx->sk;
	struct mxg_owner *o;

	if (!sk)
		return;
	o = bpf_sk_storage_get(&sock_owner, sk, 0,
			       BPF_SK_STORAGE_GET_F_CREATE);
	if (o)
		owner_from_current(o);
	if (ctx->type == SOCK_STREAM)
		bpf_sk_storage_get(&dns_stream, sk, 0,
				   BPF_SK_STORAGE_GET_F_CREATE);
}

static __always_inline int sock_addr4(struct bpf_sock_addr *ctx, int connect)
{
	__u16 port = bpf_ntohs((__u16)ctx->user_port);
	__u32 ip4 = ctx->user_ip4;
	__u8 addr[16] __attribute__((aligned(4))) = {};	/* mxg_any_slot() */

	if (port == DNS_PORT) {
		record_owner(ctx);
		return 1;
	}
	if (!connect)
		return 1;
	addr[10] = 0xff;
	addr[11] = 0xff;
	__builtin_memcpy(&addr[12], &ip4, 4);
	return judge(ctx, addr, port, AF_INET);
}

static __always_inline int sock_addr6(struct bpf_sock_addr *ctx, int connect)
{
	__u16 port = bpf_ntohs((__u16)ctx->user_port);
	__u32 w[4];
	__u8 addr[16] __attribute__((aligned(4)));	/* mxg_any_slot() */

	if (port == DNS_PORT) {
		record_owner(ctx);
		return 1;
	}
	if (!connect)
		return 1;
	/* A v4-mapped destination is already in our canonical form. */
	w[0] = ctx->user_ip6[0];
	w[1] = ctx->user_ip6[1];
	w[2] = ctx->user_ip6[2];
	w[3] = ctx->user_ip6[3];
	__builtin_memcpy(addr, w, 16);
	return judge(ctx, addr, port, AF_INET6);
}

SEC("cgroup/connect4")
int mxg_connect4(struct bpf_sock_addr *ctx)
{
	return sock_addr4(ctx, 1);
}

SEC("cgroup/connect6")
int mxg_connect6(struct bpf_sock_addr *ctx)
{
	return sock_addr6(ctx, 1);
}

SEC("cgroup/sendmsg4")
int mxg_sendmsg4(struct bpf_sock_addr *ctx)
{
	return sock_addr4(ctx, 0);
}

SEC("cgroup/sendmsg6")
int mxg_sendmsg6(struct bpf_sock_addr *ctx)
{
	return sock_addr6(ctx, 0);
}
