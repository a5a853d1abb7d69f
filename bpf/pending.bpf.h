/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Outstanding UDP queries, per socket.
 *
 * cgroup_skb/ingress runs before the UDP checksum is verified and before the
 * stub looks at the answer, so anyone who can reach the socket's port can
 * hand it an answer.  An answer is trusted (may record clean addresses) only
 * when it matches a query this socket sent: same ID, same server address
 * and port, same question.  TCP needs none of this: the stream is bound to
 * its peer (see stream.bpf.h).
 */
#ifndef MXGUARD_PENDING_BPF_H
#define MXGUARD_PENDING_BPF_H

#define PENDING_TTL_NS	((__u64)MXG_PENDING_TTL_S * 1000000000ULL)

static __always_inline int same_addr(const __u8 *a, const __u8 *b)
{
	return *(const __u64 *)a == *(const __u64 *)b &&
	       *(const __u64 *)(a + 8) == *(const __u64 *)(b + 8);
}

static __always_inline struct bpf_sock *skb_fullsock(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;

	return sk ? bpf_sk_fullsock(sk) : NULL;
}

/*
 * At egress, after the question was read: remember the query on @sk, the
 * skb's full socket (NULL: none).
 */
static __always_inline void pending_add(struct bpf_sock *sk,
					struct mxg_scratch *s,
					const struct dns_loc *loc)
{
	struct mxg_pending *pd;
	struct mxg_query *q;
	__u32 i;

	if (!sk)
		return;
	pd = bpf_sk_storage_get(&dns_pending, sk, 0,
				BPF_SK_STORAGE_GET_F_CREATE);
	if (!pd)
		return;
	i = pd->next & (MXG_PENDING_MAX - 1);
	pd->next = i + 1;
	q = &pd->q[i];
	/* Overwriting an unanswered query: its answer will not be trusted. */
	if (q->sent_ns && q->sent_ns + PENDING_TTL_NS > s->now)
		count(MXG_CNT_PENDING_LOST);
	q->qhash = s->qname_hash;
	q->sent_ns = s->now;
	__builtin_memcpy(q->server, loc->peer, 16);
	q->port = loc->peer_port;
	q->id = *(__u16 *)s->pkt;
	q->watched = s->tainted != 0;
}

enum pending_match {
	PENDING_NONE = 0,	/* no query of this socket fits the answer */
	PENDING_CLEAN,		/* it answers a query sent, not watched */
	PENDING_WATCHED,	/* it answers a watched query */
	PENDING_OTHER,		/* a watched query awaits, other question */
};

/*
 * At ingress: does the answer in scratch answer a query this socket sent?
 * With @question_known, the question must be the same, and that query is
 * consumed.  Without it (the question would not parse), only whether a
 * watched query awaits from that server is told.
 */
static __always_inline __u32 pending_match(struct bpf_sock *sk,
					   struct mxg_scratch *s,
					   const struct dns_loc *loc,
					   __u32 question_known)
{
	__u16 id = *(__u16 *)s->pkt;
	struct mxg_pending *pd;
	struct mxg_query *q;
	__u32 i, found = PENDING_NONE;

	if (!sk)
		return PENDING_NONE;
	pd = bpf_sk_storage_get(&dns_pending, sk, 0, 0);
	if (!pd)
		return PENDING_NONE;
	for (i = 0; i < MXG_PENDING_MAX; i++) {
		q = &pd->q[i];
		if (q->id != id || q->port != loc->peer_port ||
		    !q->sent_ns || q->sent_ns + PENDING_TTL_NS <= s->now ||
		    !same_addr(q->server, loc->peer))
			continue;
		if (question_known && q->qhash == s->qname_hash) {
			q->sent_ns = 0;
			return q->watched ? PENDING_WATCHED : PENDING_CLEAN;
		}
		if (q->watched)
			found = PENDING_OTHER;
	}
	return found;
}

#endif
