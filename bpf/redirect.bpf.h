/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A block on port 25 or 587, told in SMTP.  Instead of EPERM, the connect
 * is rewritten, before any packet leaves, to the responder mxguardd runs on
 * loopback in the connecting socket's network namespace.  On 25 it greets
 * and answers each RCPT with a 4xx that names the lookalike, so the MTA
 * defers the recipient, not the host, and its queue shows why.  On 587 (a
 * relay or smarthost, where STARTTLS and AUTH come before any RCPT) it
 * greets with a 421 that names the lookalike the server was resolved
 * from, which the MTA puts in its queue as the reason the host refused.
 *
 * Only when a listener carrying the responder's mark is found, here and
 * now, with bpf_sk_lookup_tcp(): a netns the responder does not serve, a
 * daemon that is down, or a stranger on the port all end in EPERM as
 * before.  Port 465 and any other watched port always get EPERM: TLS comes
 * first on 465, so a reply in the clear would reach the queue as a TLS
 * error, and on other ports nothing says the client speaks SMTP.
 *
 * The original destination is kept by socket cookie in `redirects`, for the
 * responder's alert; nothing depends on it for the refusal itself.
 */
#ifndef MXGUARD_REDIRECT_BPF_H
#define MXGUARD_REDIRECT_BPF_H

#define SMTP_PORT	25
#define SUBMISSION_PORT	587
#define LOOPBACK4	0x7f000001	/* 127.0.0.1 */

static __always_inline int v4_mapped(const __u8 *a)
{
	__u64 lo;
	__u16 mid;

	__builtin_memcpy(&lo, a, 8);
	__builtin_memcpy(&mid, a + 8, 2);
	return !lo && !mid && a[10] == 0xff && a[11] == 0xff;
}

/* Is the responder listening on loopback:@port in this netns? */
static __always_inline int responder_here(struct bpf_sock_addr *ctx,
					  const struct mxg_responder *r,
					  int v4)
{
	struct bpf_sock_tuple tuple = {};
	struct bpf_sock *sk;
	__u32 mark;

	if (v4) {
		tuple.ipv4.daddr = bpf_htonl(LOOPBACK4);
		tuple.ipv4.dport = bpf_htons(r->port);
		sk = bpf_sk_lookup_tcp(ctx, &tuple, sizeof(tuple.ipv4),
				       BPF_F_CURRENT_NETNS, 0);
	} else {
		tuple.ipv6.daddr[3] = bpf_htonl(1);
		tuple.ipv6.dport = bpf_htons(r->port);
		sk = bpf_sk_lookup_tcp(ctx, &tuple, sizeof(tuple.ipv6),
				       BPF_F_CURRENT_NETNS, 0);
	}
	if (!sk)
		return 0;
	mark = sk->mark;
	bpf_sk_release(sk);
	return mark == r->mark;
}

static __always_inline void remember(struct bpf_sock_addr *ctx,
				     const struct mxg_taint *t,
				     const __u8 *addr, __u16 port, __u8 family)
{
	struct mxg_redirect rd = {};
	__u64 cookie = bpf_get_socket_cookie(ctx);

	rd.protected_hash = t->protected_hash;
	rd.origin_hash = t->origin_hash;
	rd.name_hash = t->name_hash;
	rd.cgroup_id = bpf_get_current_cgroup_id();
	rd.tgid = bpf_get_current_pid_tgid() >> 32;
	rd.rule_id = t->rule_id;
	__builtin_memcpy(rd.addr, addr, 16);
	rd.port = port;
	rd.family = family;
	bpf_map_update_elem(&redirects, &cookie, &rd, BPF_ANY);
}

/* 1: the connect now goes to the responder; 0: refuse it with EPERM. */
static __always_inline int redirect(struct bpf_sock_addr *ctx,
				    const struct mxg_taint *t,
				    const __u8 *addr, __u16 port, __u8 family)
{
	struct mxg_responder *r;
	__u32 zero = 0;
	int v4 = family == AF_INET || v4_mapped(addr);

	if ((port != SMTP_PORT && port != SUBMISSION_PORT) || !redirect_usable)
		return 0;
	r = bpf_map_lookup_elem(&responder, &zero);
	if (!r || !r->port)
		return 0;
	if (!responder_here(ctx, r, v4)) {
		count(MXG_CNT_NO_RESPONDER);
		return 0;
	}
	remember(ctx, t, addr, port, family);
	if (family == AF_INET) {
		ctx->user_ip4 = bpf_htonl(LOOPBACK4);
	} else {
		/* ::ffff:127.0.0.1 for a v4-mapped destination, else ::1. */
		ctx->user_ip6[0] = 0;
		ctx->user_ip6[1] = 0;
		ctx->user_ip6[2] = v4 ? bpf_htonl(0xffff) : 0;
		ctx->user_ip6[3] = v4 ? bpf_htonl(LOOPBACK4) : bpf_htonl(1);
	}
	ctx->user_port = bpf_htons(r->port);
	count(MXG_CNT_REDIRECTS);
	return 1;
}

#endif
