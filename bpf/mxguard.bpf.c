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
 *  cgroup/sendmsg4|6   Port 53 on unconnected UDP: remember the owner too.
 *
 * The DNS programs only observe; they always return 1 (pass).
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

#include "maps.bpf.h"
#include "dns.bpf.h"
#include "taint.bpf.h"

struct dns_loc {
	__u32 off;	/* start of the DNS message */
	__u32 len;	/* bytes of it in this skb */
	__u32 capped;	/* the message continues beyond this skb */
};

static __always_inline int dns_locate(struct __sk_buff *skb, int egress,
				      struct dns_loc *loc)
{
	__u32 l4, msglen;
	__u16 port, prefix;
	__u8 proto;

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr ip;

		if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)))
			return -1;
		if (ip.frag_off & bpf_htons(0x3fff))
			return -1;
		proto = ip.protocol;
		l4 = ip.ihl * 4;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr ip6;

		if (bpf_skb_load_bytes(skb, 0, &ip6, sizeof(ip6)))
			return -1;
		proto = ip6.nexthdr;
		l4 = sizeof(ip6);
	} else {
		return -1;
	}
	if (proto == IPPROTO_UDP) {
		struct udphdr uh;

		if (bpf_skb_load_bytes(skb, l4, &uh, sizeof(uh)))
			return -1;
		port = egress ? uh.dest : uh.source;
		loc->off = l4 + sizeof(uh);
	} else if (proto == IPPROTO_TCP) {
		struct tcphdr th;

		if (bpf_skb_load_bytes(skb, l4, &th, sizeof(th)))
			return -1;
		port = egress ? th.dest : th.source;
		loc->off = l4 + th.doff * 4 + 2;
	} else {
		return -1;
	}
	if (port != bpf_htons(DNS_PORT) || skb->len <= loc->off)
		return -1;
	loc->len = skb->len - loc->off;
	loc->capped = 0;
	if (proto == IPPROTO_TCP) {
		/* RFC 1035 4.2.2: two-byte length prefix per message. */
		if (bpf_skb_load_bytes(skb, loc->off - 2, &prefix, 2))
			return -1;
		msglen = bpf_ntohs(prefix);
		if (msglen < loc->len)
			loc->len = msglen;
		else if (msglen > loc->len)
			loc->capped = 1;
	}
	return 0;
}

static __always_inline void owner_from_current(struct mxg_owner *o)
{
	__u64 id = bpf_get_current_pid_tgid();

	o->tgid = id >> 32;
	o->pid = (__u32)id;
	o->uid = (__u32)bpf_get_current_uid_gid();
	o->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(o->comm, sizeof(o->comm));
}

static __always_inline void load_owner(struct __sk_buff *skb,
				       struct mxg_scratch *s, int egress)
{
	struct bpf_sock *sk = skb->sk;
	struct mxg_owner *o = NULL;

	if (sk)
		sk = bpf_sk_fullsock(sk);
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

static __always_inline void emit_query(struct mxg_scratch *s,
				       struct mxg_config *cfg, __u16 qtype,
				       __u32 type)
{
	struct mxg_event *ev = event_reserve(type);

	if (!ev)
		return;
	event_owner(ev, &s->owner);
	if (type == MXG_EV_DNS_LOOKALIKE) {
		ev->protected_hash = s->rule.protected_hash;
		ev->rule_id = s->rule.rule_id;
		ev->action = s->rule.action;
	}
	ev->mode = cfg->mode;
	ev->scope = MXG_SCOPE_NONE;
	ev->qtype = qtype;
	__builtin_memcpy(ev->name, s->qname, MXG_NAME_MAX);
	__builtin_memcpy(ev->origin, s->qname, MXG_NAME_MAX);
	if (type == MXG_EV_DNS_LOOKALIKE)
		copy_protected(ev->protected_name, s->rule.protected_hash);
	bpf_ringbuf_submit(ev, 0);
}

/* Is the response's question itself tainted (an MX host, a CNAME target)? */
static __always_inline void question_taint(struct mxg_scratch *s)
{
	struct mxg_tname_key k = {};
	struct mxg_tname *tn;

	k.name_hash = s->qname_hash;
	k.id = s->owner.tgid;
	k.level = MXG_TNAME_PROCESS;
	tn = s->owner.tgid ? bpf_map_lookup_elem(&taint_names, &k) : NULL;
	s->tainted = 1;
	if (!tn || tn->expires_ns <= s->now) {
		k.id = s->owner.cgroup_id;
		k.level = MXG_TNAME_UNIT;
		tn = bpf_map_lookup_elem(&taint_names, &k);
		s->tainted = 2;
	}
	if (!tn || tn->expires_ns <= s->now) {
		s->tainted = 0;
		return;
	}
	s->origin_hash = tn->origin_hash;
	s->protected_hash = tn->protected_hash;
	s->rule_id = tn->rule_id;
	s->action = tn->action;
}

static __always_inline void walk_answers(struct mxg_scratch *s, __u32 off)
{
	__u32 an = pkt_u16(s, 6), ns = pkt_u16(s, 8), ar = pkt_u16(s, 10);
	__u32 total = an + ns + ar, section, i;
	int next = off;

	for (i = 0; i < MXG_RR_MAX; i++) {
		if (i >= total)
			break;
		section = i < an ? SEC_ANSWER :
			  i < an + ns ? SEC_AUTHORITY : SEC_ADDITIONAL;
		next = mxg_rr(next, section);
		if (next < 0) {
			count(next == PARSE_TRUNCATED ? MXG_CNT_TRUNCATED :
							MXG_CNT_MALFORMED);
			return;
		}
	}
	count(i < total ? MXG_CNT_TRUNCATED : MXG_CNT_PARSED);
}

static __always_inline void dns_packet(struct __sk_buff *skb, int egress)
{
	struct mxg_config *cfg = get_config();
	struct mxg_scratch *s;
	struct dns_loc loc;
	__u32 len, qend;
	__u16 qtype;
	int ret, matched;

	if (!cfg || dns_locate(skb, egress, &loc))
		return;
	s = get_scratch();
	if (!s)
		return;
	count(MXG_CNT_PACKETS);
	len = loc.len;
	s->pkt_capped = loc.capped;
	if (len > MXG_DNS_MAX) {
		len = MXG_DNS_MAX;
		s->pkt_capped = 1;
	}
	if (len < DNS_HDR_LEN) {
		count(MXG_CNT_MALFORMED);
		return;
	}
	if (bpf_skb_load_bytes(skb, loc.off, s->pkt, len)) {
		count(MXG_CNT_MALFORMED);
		return;
	}
	s->pkt_len = len;
	/* QR must fit the direction, and exactly one question. */
	if ((s->pkt[2] >> 7) != !egress || pkt_u16(s, 4) != 1)
		return;
	load_owner(skb, s, egress);
	ret = mxg_parse_name(DNS_HDR_LEN);
	if (ret < 0) {
		count(ret == PARSE_TRUNCATED ? MXG_CNT_TRUNCATED :
					       MXG_CNT_MALFORMED);
		return;
	}
	qend = ret;
	if (qend + 4 > s->pkt_len) {
		count(MXG_CNT_MALFORMED);
		return;
	}
	qtype = pkt_u16(s, qend);
	__builtin_memcpy(s->qname, s->name, MXG_NAME_MAX);
	matched = mxg_hash_name(1);
	s->qname_hash = s->name_hash;
	s->now = bpf_ktime_get_ns();
	s->tainted = 0;
	if (matched && s->rule.verdict == MXG_VERDICT_LOOKALIKE) {
		/*
		 * An MX host under the lookalike suffix itself (mx.navy.ml for
		 * navy.ml) keeps the chain's origin: alerts then name the
		 * recipient domain the mail was for.
		 */
		if (!egress)
			question_taint(s);
		if (!s->tainted) {
			s->origin_hash = s->qname_hash;
			s->protected_hash = s->rule.protected_hash;
			s->rule_id = s->rule.rule_id;
			s->action = s->rule.action;
		}
		s->tainted = 1;
		remember_name(s);
		if (egress) {
			count(MXG_CNT_QUERY_MATCH);
			emit_query(s, cfg, qtype, MXG_EV_DNS_LOOKALIKE);
		}
	} else if (!matched && !egress) {
		question_taint(s);
	} else if (!matched && qtype == DNS_T_MX) {
		/* The daemon's slower second look (edit distance, IDN). */
		emit_query(s, cfg, qtype, MXG_EV_MX_QUERY);
	}
	if (egress) {
		count(MXG_CNT_PARSED);
		return;
	}
	if (s->pkt[3] & 0x0F) {		/* RCODE: no answers to trust */
		count(MXG_CNT_PARSED);
		return;
	}
	walk_answers(s, qend + 4);
}

SEC("cgroup_skb/egress")
int mxg_dns_egress(struct __sk_buff *skb)
{
	dns_packet(skb, 1);
	return 1;
}

SEC("cgroup_skb/ingress")
int mxg_dns_ingress(struct __sk_buff *skb)
{
	dns_packet(skb, 0);
	return 1;
}

/* In process context: the storage tells ingress who owns this socket. */
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
}

static __always_inline struct mxg_taint *taint_live(void *map, void *key,
						    __u64 now)
{
	struct mxg_taint *t = bpf_map_lookup_elem(map, key);

	if (t && t->expires_ns <= now) {
		if (!bpf_map_delete_elem(map, key)) {
			count(MXG_CNT_TAINT_EXPIRED);
			if (map == (void *)&taint_proc)
				count(MXG_CNT_PROC_EXPIRED);
		}
		return NULL;
	}
	return t;
}

/* The nearest record in the connecting process's lineage. */
static __always_inline struct mxg_taint *lineage_taint(const __u8 *addr,
						       __u64 now)
{
	struct task_struct *task = NULL;
	struct mxg_proc_key pk = {};
	struct mxg_taint *t;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	int i;

	if (walk_ancestry)
		task = (void *)bpf_get_current_task();
	__builtin_memcpy(pk.addr, addr, 16);
	for (i = 0; i < MXG_ANCESTRY_MAX; i++) {
		pk.tgid = tgid;
		t = taint_live(&taint_proc, &pk, now);
		if (t || !walk_ancestry)
			return t;
		task = BPF_CORE_READ(task, real_parent);
		if (!task)
			return NULL;
		tgid = BPF_CORE_READ(task, tgid);
		if (tgid <= 1)
			return NULL;
	}
	return NULL;
}

static __always_inline int judge(const __u8 *addr, __u16 port, __u8 family)
{
	struct mxg_config *cfg = get_config();
	struct mxg_unit_key uk = {};
	struct mxg_host_key hk = {};
	struct mxg_owner self = {};
	struct mxg_taint *t;
	struct mxg_event *ev;
	__u64 now = bpf_ktime_get_ns();
	__u8 scope = MXG_SCOPE_PROCESS, block;

	if (!cfg || !bpf_map_lookup_elem(&ports, &port))
		return 1;
	count(MXG_CNT_CONNECTS);
	t = lineage_taint(addr, now);
	if (t && t->verdict != MXG_VERDICT_LOOKALIKE)
		return 1;
	if (!t) {
		uk.cgroup_id = bpf_get_current_cgroup_id();
		__builtin_memcpy(uk.addr, addr, 16);
		t = taint_live(&taint_unit, &uk, now);
		scope = MXG_SCOPE_UNIT;
	}
	if (!t && cfg->scope == MXG_SCOPE_HOST) {
		__builtin_memcpy(hk.addr, addr, 16);
		t = taint_live(&taint_host, &hk, now);
		scope = MXG_SCOPE_HOST;
	}
	if (!t)
		return 1;
	/* Process scope never blocks on a unit-level match, but says so. */
	block = t->action == MXG_ACTION_BLOCK &&
		cfg->mode == MXG_MODE_ENFORCE &&
		!(scope == MXG_SCOPE_UNIT && cfg->scope == MXG_SCOPE_PROCESS);
	count(block ? MXG_CNT_BLOCKS : MXG_CNT_ALERTS);
	ev = event_reserve(MXG_EV_CONNECT);
	if (ev) {
		owner_from_current(&self);
		event_owner(ev, &self);
		ev->resolver_tgid = t->resolver_tgid;
		ev->resolver_cgroup = t->resolver_cgroup;
		ev->protected_hash = t->protected_hash;
		ev->rule_id = t->rule_id;
		ev->dport = port;
		ev->family = family;
		ev->outcome = block ? MXG_OUTCOME_BLOCKED : MXG_OUTCOME_ALERTED;
		ev->action = t->action;
		ev->scope = scope;
		ev->mode = cfg->mode;
		__builtin_memcpy(ev->addr, addr, 16);
		copy_name(ev->name, t->name_hash);
		copy_name(ev->origin, t->origin_hash);
		copy_protected(ev->protected_name, t->protected_hash);
		bpf_ringbuf_submit(ev, 0);
	}
	return block ? 0 : 1;
}

static __always_inline int sock_addr4(struct bpf_sock_addr *ctx, int connect)
{
	__u16 port = bpf_ntohs((__u16)ctx->user_port);
	__u32 ip4 = ctx->user_ip4;
	__u8 addr[16] = {};

	if (port == DNS_PORT) {
		record_owner(ctx);
		return 1;
	}
	if (!connect)
		return 1;
	addr[10] = 0xff;
	addr[11] = 0xff;
	__builtin_memcpy(&addr[12], &ip4, 4);
	return judge(addr, port, AF_INET);
}

static __always_inline int sock_addr6(struct bpf_sock_addr *ctx, int connect)
{
	__u16 port = bpf_ntohs((__u16)ctx->user_port);
	__u32 w[4];
	__u8 addr[16];

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
	return judge(addr, port, AF_INET6);
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
